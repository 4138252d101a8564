#include <catch2/catch.hpp>

#include "fieldcase/base/json.h"
#include "fieldcase/base/json_reader.h"

namespace fieldcase {

using T = JsonValue::Type;

TEST_CASE("json reader: reads back what the writer writes, escapes included", "[base]") {
  const std::string nasty = std::string("a\"b\\c\nd\te\x01 \xe2\x80\xae ü 😀 ") + '\0' + "end";
  Json j;
  j.BeginObject().Field("s", nasty).Field("n", int64_t(-42)).Field("big", INT64_MAX);
  j.FieldBool("t", true).FieldBool("f", false).Key("none").Null();
  j.Key("list").BeginArray().Int(1).String("x").BeginObject().EndObject().EndArray().EndObject();
  auto v = ParseJson(j.str());
  REQUIRE(v.ok());
  const JsonValue* s = v->Get("s", T::kString);
  REQUIRE(s != nullptr);
  // Controls and bidi overrides come back as the characters they were escaped from.
  CHECK(s->string.find("a\"b\\c\nd\te\x01") == 0);
  CHECK(s->string.find("\xe2\x80\xae") != std::string::npos);
  CHECK(s->string.find("😀") != std::string::npos);
  CHECK(v->Get("n", T::kInt)->integer == -42);
  CHECK(v->Get("big", T::kInt)->integer == INT64_MAX);
  CHECK(v->Get("t", T::kBool)->boolean);
  CHECK_FALSE(v->Get("f", T::kBool)->boolean);
  CHECK(v->object.at("none").type == T::kNull);
  CHECK(v->Get("list", T::kArray)->array.size() == 3);
  CHECK(v->Get("n", T::kString) == nullptr);  // asked for the wrong type: absent
}

TEST_CASE("json reader: refuses what is not strict JSON", "[base]") {
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "{\"a\":1}x",
                          "{\"a\":1,\"a\":2}", "\"\x01\"", "\"\\ud800\"", "\"\\udc00\"",
                          "\"\\x\"", "01", "1.5", "1e3", "9223372036854775808", "tru",
                          "\"unterminated", "[\"a\\u12\"]", "nul"}) {
    INFO(bad);
    CHECK_FALSE(ParseJson(bad).ok());
  }
  CHECK(ParseJson("-9223372036854775807").ok());
  CHECK(ParseJson(" [ ] ").ok());
}

TEST_CASE("json reader: nesting is bounded, not a stack overflow", "[base]") {
  const std::string deep(100000, '[');
  auto v = ParseJson(deep);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().message().find("deeply") != std::string::npos);
  std::string ok_depth = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(ParseJson(ok_depth).ok());
}

}  // namespace fieldcase
