// Figures of one benchmark: every run's value, and the median that is reported.
//
// Text output, one line per figure:
//   append.batched  entries/s  median 21345  (runs: 21000 21345 22001)
// JSON output (--json), one object:
//   {"bench":"append","params":{"count":100000,...},
//    "figures":{"append.batched":{"unit":"entries/s","median":21345,"runs":[...]},...},
//    "notes":["..."]}
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fieldcase::bench {

double Median(std::vector<double> values);

class Report {
 public:
  explicit Report(std::string bench) : bench_(std::move(bench)) {}

  void Param(const std::string& name, int64_t value) { params_.emplace_back(name, value); }
  // Adds one run's value to the figure `name` (created on first use, kept in that order).
  // `decimals` is how the figure prints: 0 for rates, 3 for seconds.
  void Add(const std::string& name, const std::string& unit, int decimals, double value);
  void Note(std::string text) { notes_.push_back(std::move(text)); }

  // Prints to stdout: aligned lines, or one JSON object.
  void Print(bool json) const;

 private:
  struct Figure {
    std::string name;
    std::string unit;
    int decimals = 0;
    std::vector<double> runs;
  };
  std::string bench_;
  std::vector<std::pair<std::string, int64_t>> params_;
  std::vector<Figure> figures_;
  std::vector<std::string> notes_;
};

}  // namespace fieldcase::bench
