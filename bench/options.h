// Command-line options shared by the fieldcase-bench subcommands.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include "fieldcase/base/status.h"

namespace fieldcase::bench {

struct Options {
  int64_t count = 100000;            // --count N: entries to write or to open
  int runs = 3;                      // --runs R: the median of R runs is reported
  int threads = 2;                   // --threads T: decrypt threads for `open`
  bool json = false;                 // --json: one JSON object on stdout instead of lines
  bool help = false;                 // --help
  bool keep = false;                 // --keep: leave the temp folder in place (scale)
  std::string mode = "both";         // --mode: `append` phases to run (both, batched, per-commit)
  std::filesystem::path tmp_parent;  // --tmp DIR: where temp data folders go
};

// Parses argv[first..argc) into `defaults`, accepting only the flags named in `allowed`
// (e.g. {"count", "runs", "json", "tmp"}); --help is always accepted.
Result<Options> ParseOptions(int argc, char** argv, int first, Options defaults,
                             std::initializer_list<std::string_view> allowed);

}  // namespace fieldcase::bench
