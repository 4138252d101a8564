#include "args.h"

namespace fieldcase::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv,
                         const std::vector<OptionSpec>& specs) {
  Args a;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (!options_done && w == "--") {  // what follows is text, even "--json"
      options_done = true;
      continue;
    }
    if (options_done || w.size() < 2 || w.rfind("--", 0) != 0) {
      a.positional_.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) {
      return Status::InvalidArgument("unknown option --" + name + "; see --help");
    }
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argv.size()) return Status::InvalidArgument("--" + name + " needs a value");
      value = argv[++i];
    } else if (!spec->takes_value && inline_value) {
      return Status::InvalidArgument("--" + name + " takes no value");
    }
    if (!spec->repeatable && a.values_.count(name)) {
      return Status::InvalidArgument("--" + name + " given twice");
    }
    a.values_.emplace(name, value);
  }
  return a;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = values_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

}  // namespace fieldcase::cli
