// Case templates: data, not code (examples/templates/*.json). The store stays
// domain-free; a template only shapes the open-case op (field names, allowed values,
// note kinds), which then travels inside the case so every device validates alike.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fieldcase/base/status.h"
#include "fieldcase/record/ops.h"

namespace fieldcase::cli {

struct Template {
  std::string name;
  std::string description;
  record::OpenCase op;  // template_name, fields, note_kinds
  // Fields whose values are ISO dates. Checked on this device when it writes (the open-case
  // op that travels carries names and allowed values only).
  std::set<std::string> date_fields;
};

// YYYY-MM-DD naming a real day (no 2027-02-30), year 1900 or later.
Status CheckDate(std::string_view value);
// When an event happened, UTC: YYYY-MM-DD, "YYYY-MM-DD HH:MM[:SS]" or YYYY-MM-DDTHH:MM[:SS][Z].
// Milliseconds since the epoch; refused when not a real time or later than now + 5 minutes.
Result<uint64_t> ParseEventTime(std::string_view text, int64_t now_ms);

// Parses a template from JSON text (bounded by the caller), checking names and limits.
Result<Template> ParseTemplate(std::string_view json);
// Looks in, in order: search_dirs, then the built-in templates.
Result<Template> FindTemplate(const std::string& name,
                              const std::vector<std::filesystem::path>& search_dirs);
// Names of the built-in templates.
std::vector<std::string> BuiltinTemplateNames();

}  // namespace fieldcase::cli
