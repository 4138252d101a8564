// Hybrid logical clock (DESIGN §6 "HLC"). Pure logic: the wall clock is a parameter.
//
// An hlc is a uint64 carried in every entry header (DESIGN §4, 8 bytes little-endian):
//
//   bits 63..16  milliseconds since the Unix epoch (48 bits, good until the year 10889)
//   bits 15..0   counter within that millisecond
//
// The layout is a format constant: do not change.
//
// Rules:
//   - a local write takes max(wall << 16, last + 1); a counter overflow simply carries into the
//     milliseconds, so the value stays strictly increasing per author (DESIGN §4.1 checks that);
//   - on receipt, last rises to at most min(received, (wall + 5 min) << 16 | 0xFFFF), so a peer
//     with a clock a day ahead cannot drag ours more than five minutes ahead of our wall clock;
//   - nothing is ever rejected by clock; an entry more than 5 min ahead of its receipt is
//     flagged "future-dated". The flag and receipt times are local: shown, never in a digest.
#pragma once

#include <cstdint>

#include "fieldcase/base/status.h"

namespace fieldcase::record {

inline constexpr uint64_t kHlcCounterBits = 16;
inline constexpr uint64_t kHlcMaxMillis = (uint64_t{1} << 48) - 1;
// How far ahead of the receiver's wall clock an entry may be before it is flagged, and how far
// a received hlc may pull the local clock ahead of the wall.
inline constexpr uint64_t kFutureSkewMs = 300000;

constexpr uint64_t HlcMillis(uint64_t hlc) { return hlc >> kHlcCounterBits; }
constexpr uint64_t HlcCounter(uint64_t hlc) { return hlc & 0xFFFF; }
// ms is clamped to 48 bits so that an absurd wall clock cannot wrap into the counter.
constexpr uint64_t MakeHlc(uint64_t ms, uint16_t counter = 0) {
  return ((ms > kHlcMaxMillis ? kHlcMaxMillis : ms) << kHlcCounterBits) | counter;
}

// True when the hlc's milliseconds lie more than kFutureSkewMs after receipt_wall_ms.
bool IsFutureDated(uint64_t hlc, uint64_t receipt_wall_ms);

class HybridClock {
 public:
  // last: the highest hlc this author has used or observed (0 for a new key).
  explicit HybridClock(uint64_t last = 0) : last_(last) {}

  // The hlc for a local write. Fails (InvalidArgument "clock exhausted") rather than wrap past
  // 2^64 - 1; the clock is then unusable, which at 65536 writes per ms for 8900 years is moot
  // except for a hostile or corrupt `last`.
  [[nodiscard]] Result<uint64_t> Tick(uint64_t wall_ms);

  // Takes note of an hlc seen in a received entry. Never fails: a far-future hlc only moves
  // the clock to wall + kFutureSkewMs.
  void Observe(uint64_t received_hlc, uint64_t wall_ms);

  uint64_t last() const { return last_; }

 private:
  uint64_t last_;
};

}  // namespace fieldcase::record
