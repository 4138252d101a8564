#include "json.h"

#include <cstdio>

namespace fieldcase::cli {

std::string JsonEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
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
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o.push_back(char(c));
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

}  // namespace fieldcase::cli
