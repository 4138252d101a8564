// A station for the bundle and sync benchmarks (prepared, not timed): HQ founded here,
// nine officer devices and one more device enrolled, then N ~400-byte notes from ten
// authors (HQ and the nine officers, whose notes reach HQ by bundle). The extra device's
// folder is copied aside right after it joined, before any note: each run starts a fresh
// copy of it, which lacks exactly the N notes.
#pragma once

#include <memory>

#include "fixture.h"
#include "options.h"

namespace fieldcase::bench {

struct Station {
  std::unique_ptr<TempDir> tmp;
  std::unique_ptr<node::Node> hq;
  std::vector<Id128> cases;
  int64_t notes = 0;
  int runs_started = 0;
};

Result<Station> BuildStation(const Options& o);
// A copy of the device as it was when it joined, unlocked.
Result<std::unique_ptr<node::Node>> FreshDevice(Station& s);
// HQ writes `n` more notes.
Status WriteNotes(node::Node& author, const std::vector<Id128>& cases, int64_t first, int64_t n);

}  // namespace fieldcase::bench
