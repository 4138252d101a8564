#include "report.h"

#include <algorithm>
#include <cstdio>

namespace fieldcase::bench {

namespace {

std::string Number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

}  // namespace

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void Report::Add(const std::string& name, const std::string& unit, int decimals, double value) {
  auto it = std::find_if(figures_.begin(), figures_.end(),
                         [&](const Figure& f) { return f.name == name; });
  if (it == figures_.end()) {
    figures_.push_back({name, unit, decimals, {}});
    it = figures_.end() - 1;
  }
  it->runs.push_back(value);
}

void Report::Print(bool json) const {
  if (json) {
    std::string j = "{\"bench\":" + JsonString(bench_) + ",\"params\":{";
    for (size_t i = 0; i < params_.size(); ++i) {
      j += (i ? "," : "") + JsonString(params_[i].first) + ":" + std::to_string(params_[i].second);
    }
    j += "},\"figures\":{";
    for (size_t i = 0; i < figures_.size(); ++i) {
      const Figure& f = figures_[i];
      j += (i ? "," : "") + JsonString(f.name) + ":{\"unit\":" + JsonString(f.unit) +
           ",\"median\":" + Number(Median(f.runs), f.decimals) + ",\"runs\":[";
      for (size_t k = 0; k < f.runs.size(); ++k)
        j += (k ? "," : "") + Number(f.runs[k], f.decimals);
      j += "]}";
    }
    j += "},\"notes\":[";
    for (size_t i = 0; i < notes_.size(); ++i) j += (i ? "," : "") + JsonString(notes_[i]);
    j += "]}";
    std::puts(j.c_str());
    return;
  }
  size_t name_w = 0, unit_w = 0;
  for (const Figure& f : figures_) {
    name_w = std::max(name_w, f.name.size());
    unit_w = std::max(unit_w, f.unit.size());
  }
  for (const std::string& n : notes_) std::printf("# %s\n", n.c_str());
  for (const Figure& f : figures_) {
    std::string runs;
    for (double r : f.runs) runs += (runs.empty() ? "" : " ") + Number(r, f.decimals);
    std::printf("%-*s  %-*s  median %s  (runs: %s)\n", int(name_w), f.name.c_str(), int(unit_w),
                f.unit.c_str(), Number(Median(f.runs), f.decimals).c_str(), runs.c_str());
  }
  std::fflush(stdout);
}

}  // namespace fieldcase::bench
