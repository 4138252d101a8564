#include "options.h"

#include <algorithm>
#include <charconv>

namespace fieldcase::bench {

namespace {

Result<int64_t> ParseInt(std::string_view flag, std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return Status::InvalidArgument("--" + std::string(flag) + " needs a whole number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi) + ", got '" +
                                   std::string(text) + "'");
  }
  return v;
}

}  // namespace

Result<Options> ParseOptions(int argc, char** argv, int first, Options o,
                             std::initializer_list<std::string_view> allowed) {
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") {
      return Status::InvalidArgument("unexpected argument '" + std::string(arg) + "'; see --help");
    }
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Status::InvalidArgument("unknown option --" + std::string(name) + " here; see --help");
    }
    if (name == "json") {
      if (inline_value) return Status::InvalidArgument("--json takes no value");
      o.json = true;
      continue;
    }
    if (name == "keep") {
      if (inline_value) return Status::InvalidArgument("--keep takes no value");
      o.keep = true;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc)
        return Status::InvalidArgument("--" + std::string(name) + " needs a value");
      value = argv[++i];
    }
    if (name == "count") {
      FC_ASSIGN_OR_RETURN(o.count, ParseInt(name, value, 1, 10'000'000));
    } else if (name == "runs") {
      FC_ASSIGN_OR_RETURN(int64_t r, ParseInt(name, value, 1, 100));
      o.runs = int(r);
    } else if (name == "threads") {
      FC_ASSIGN_OR_RETURN(int64_t t, ParseInt(name, value, 1, 64));
      o.threads = int(t);
    } else if (name == "mode") {
      if (value != "both" && value != "batched" && value != "per-commit") {
        return Status::InvalidArgument("--mode is both, batched or per-commit, not '" +
                                       std::string(value) + "'");
      }
      o.mode = std::string(value);
    } else if (name == "tmp") {
      if (value.empty()) return Status::InvalidArgument("--tmp needs a folder");
      o.tmp_parent = std::string(value);
    }
  }
  return o;
}

}  // namespace fieldcase::bench
