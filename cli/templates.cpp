#include "templates.h"

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cctype>
#include <chrono>
#include <set>
#include <sstream>

#include "builtin_templates.h"
#include "fieldcase/store/keystore.h"

namespace fieldcase::cli {

namespace {

constexpr size_t kMaxTemplateBytes = 256 * 1024;

struct JsonField {
  std::string name;
  std::vector<std::string> allowed;
  std::string type;  // optional: "text" (default) or "date"
  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("name", name), cereal::make_nvp("allowed", allowed));
    try {
      ar(cereal::make_nvp("type", type));
    } catch (const cereal::Exception&) {
      type.clear();  // absent: free text (a lookup by name moves nothing)
    }
  }
};

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

Result<Template> ParseTemplate(std::string_view json) {
  if (json.size() > kMaxTemplateBytes)
    return Status::InvalidArgument("template larger than 256 KiB");
  Template t;
  std::vector<JsonField> fields;
  try {
    std::istringstream in{std::string(json)};
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("name", t.name), cereal::make_nvp("description", t.description),
       cereal::make_nvp("fields", fields), cereal::make_nvp("note_kinds", t.op.note_kinds));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("template is not valid: ") + e.what() +
                                   " (expected name, description, fields[{name, allowed, "
                                   "type?}], "
                                   "note_kinds)");
  }
  if (!ValidName(t.name))
    return Status::InvalidArgument("template name must be letters, digits, - or _");
  std::set<std::string> seen;
  for (auto& f : fields) {
    if (!ValidName(f.name)) {
      return Status::InvalidArgument("template field name '" + f.name +
                                     "' must be letters, digits, - or _");
    }
    if (!seen.insert(f.name).second) {
      return Status::InvalidArgument("template field '" + f.name + "' is listed twice");
    }
    if (f.type == "date") {
      if (!f.allowed.empty()) {
        return Status::InvalidArgument("template field '" + f.name +
                                       "' is a date: it lists no allowed values");
      }
      t.date_fields.insert(f.name);
    } else if (!f.type.empty() && f.type != "text") {
      return Status::InvalidArgument("template field '" + f.name + "' has type '" + f.type +
                                     "'; types are text and date");
    }
    t.op.fields.push_back({f.name, f.allowed});
  }
  if (t.op.note_kinds.empty()) return Status::InvalidArgument("template lists no note kinds");
  t.op.template_name = t.name;
  FC_RETURN_IF_ERROR(record::CheckOp(t.op));
  return t;
}

Result<Template> FindTemplate(const std::string& name,
                              const std::vector<std::filesystem::path>& search_dirs) {
  if (!ValidName(name)) return Status::InvalidArgument("'" + name + "' is not a template name");
  for (const auto& dir : search_dirs) {
    auto path = dir / (name + ".json");
    if (!std::filesystem::exists(path)) continue;
    FC_ASSIGN_OR_RETURN(Bytes text, store::ReadFileBounded(path, kMaxTemplateBytes));
    auto t = ParseTemplate(AsChars(text));
    if (!t.ok()) return t.status().Prefixed(path.string());
    return t;
  }
  for (const auto& [builtin_name, text] : kBuiltinTemplates) {
    if (name == builtin_name) return ParseTemplate(text);
  }
  std::string known;
  for (const auto& n : BuiltinTemplateNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::NotFound("no template '" + name + "'; built in: " + known +
                          " (or put NAME.json in --templates DIR)");
}

Status CheckDate(std::string_view value) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(value) +
                                   "' is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31");
  };
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (value[i] < '0' || value[i] > '9') return bad();
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (value[i] - '0');
    return v;
  };
  const std::chrono::year_month_day date{std::chrono::year{num(0, 4)},
                                         std::chrono::month{unsigned(num(5, 2))},
                                         std::chrono::day{unsigned(num(8, 2))}};
  if (!date.ok() || num(0, 4) < 1900) return bad();
  return Status::Ok();
}

Result<uint64_t> ParseEventTime(std::string_view text, int64_t now_ms) {
  auto bad = [&] {
    return Status::InvalidArgument("--at '" + std::string(text) +
                                   "' is not a time; write YYYY-MM-DD or \"YYYY-MM-DD HH:MM\" "
                                   "(UTC), e.g. \"2026-11-30 22:10\"");
  };
  if (text.size() < 10) return bad();
  if (!CheckDate(text.substr(0, 10)).ok()) return bad();
  std::string_view rest = text.substr(10);
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  int h = 0, m = 0, s = 0;
  if (!rest.empty()) {
    if (rest[0] != ' ' && rest[0] != 'T') return bad();
    rest.remove_prefix(1);
    auto two = [&](size_t at, int& v, int max) {
      if (rest.size() < at + 2 || !std::isdigit(static_cast<unsigned char>(rest[at])) ||
          !std::isdigit(static_cast<unsigned char>(rest[at + 1]))) {
        return false;
      }
      v = (rest[at] - '0') * 10 + (rest[at + 1] - '0');
      return v <= max;
    };
    if (!two(0, h, 23) || rest.size() < 5 || rest[2] != ':' || !two(3, m, 59)) return bad();
    if (rest.size() == 8) {
      if (rest[5] != ':' || !two(6, s, 59)) return bad();
    } else if (rest.size() != 5) {
      return bad();
    }
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const std::chrono::sys_days day{std::chrono::year_month_day{
      std::chrono::year{num(0, 4)}, std::chrono::month{unsigned(num(5, 2))},
      std::chrono::day{unsigned(num(8, 2))}}};
  const int64_t ms =
      (int64_t(day.time_since_epoch().count()) * 86400 + h * 3600 + m * 60 + s) * 1000;
  if (ms <= 0) return Status::InvalidArgument("--at must be after 1970");
  if (ms > now_ms + 5 * 60 * 1000) {
    return Status::InvalidArgument("--at " + std::string(text) +
                                   " is in the future; it says when the event happened");
  }
  return uint64_t(ms);
}

std::vector<std::string> BuiltinTemplateNames() {
  std::vector<std::string> out;
  for (const auto& [n, text] : kBuiltinTemplates) out.emplace_back(n);
  return out;
}

}  // namespace fieldcase::cli
