#include "fieldcase/base/json.h"

#include <cstdio>

#include "fieldcase/base/text.h"

namespace fieldcase {

// Valid JSON in valid UTF-8 whatever the input: bytes that are not UTF-8 become U+FFFD
// (text from another device is not trusted to be UTF-8); controls, DEL, C1, bidi overrides
// and the JavaScript line separators are \u escapes, so no viewer acts on them.
std::string JsonEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  uint32_t cp = 0;
  size_t len = 0;
  char buf[8];
  for (size_t i = 0; i < s.size(); i += len) {
    if (!NextCodePoint(s, i, cp, len)) {
      o += "\\ufffd";
      continue;
    }
    switch (cp) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (IsUnsafeCodePoint(cp) || cp == 0x2028 || cp == 0x2029) {
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
          o += buf;
        } else {
          o.append(s.substr(i, len));
        }
    }
  }
  return o;
}

void Json::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Json& Json::BeginObject() {
  Separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
Json& Json::EndObject() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
Json& Json::BeginArray() {
  Separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
Json& Json::EndArray() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
Json& Json::Key(std::string_view k) {
  Separate();
  out_ += '"' + JsonEscape(k) + "\":";
  after_key_ = true;
  return *this;
}
Json& Json::String(std::string_view s) {
  Separate();
  out_ += '"' + JsonEscape(s) + '"';
  return *this;
}
Json& Json::Int(int64_t v) {
  Separate();
  out_ += std::to_string(v);
  return *this;
}
Json& Json::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}
Json& Json::Null() {
  Separate();
  out_ += "null";
  return *this;
}

}  // namespace fieldcase
