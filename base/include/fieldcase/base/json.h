// A small streaming JSON writer for --json output (objects, arrays, strings, numbers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fieldcase {

class Json {
 public:
  Json& BeginObject();
  Json& EndObject();
  Json& BeginArray();
  Json& EndArray();
  Json& Key(std::string_view k);
  Json& String(std::string_view s);
  Json& Int(int64_t v);
  Json& Bool(bool v);
  Json& Null();
  // Key + value shorthands.
  Json& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  Json& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  Json& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  Json& FieldBool(std::string_view k, bool v) { return Key(k).Bool(v); }
  Json& Field(std::string_view k, const std::vector<std::string>& v) {
    Key(k).BeginArray();
    for (const auto& s : v) String(s);
    return EndArray();
  }
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

std::string JsonEscape(std::string_view s);

}  // namespace fieldcase
