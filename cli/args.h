// Command-line parsing: positional words and --options, nothing clever. Every command
// declares the options it takes, so a typo is an error instead of being ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fieldcase/base/status.h"

namespace fieldcase::cli {

struct OptionSpec {
  std::string name;  // without dashes
  bool takes_value = false;
  bool repeatable = false;
};

class Args {
 public:
  // Splits argv into positionals and options; `--` ends options.
  static Result<Args> Parse(const std::vector<std::string>& argv,
                            const std::vector<OptionSpec>& specs);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
};

}  // namespace fieldcase::cli
