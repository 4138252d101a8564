// A small strict JSON reader for files this program wrote and signed (verification
// reports): bounded depth and size, UTF-8 strings with their escapes, integers only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fieldcase/base/status.h"

namespace fieldcase {

struct JsonValue {
  enum class Type { kNull, kBool, kInt, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;  // a repeated key is refused

  // Member lookups for readers that know the shape: nullptr when absent or of another type.
  const JsonValue* Get(std::string_view key, Type want) const;
};

inline constexpr int kMaxJsonDepth = 32;
inline constexpr size_t kMaxJsonValues = 1000000;

// The whole text must be one value (whitespace around it allowed). Fractions, exponents,
// and integers beyond int64 are refused: nothing we write has them.
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace fieldcase
