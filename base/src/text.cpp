#include "fieldcase/base/text.h"

#include <cstdio>

namespace fieldcase {

bool NextCodePoint(std::string_view s, size_t i, uint32_t& cp, size_t& len) {
  const auto b = static_cast<uint8_t>(s[i]);
  len = 1;
  if (b < 0x80) {
    cp = b;
    return true;
  }
  size_t n = 0;
  if ((b & 0xE0) == 0xC0) {
    cp = b & 0x1F;
    n = 2;
  } else if ((b & 0xF0) == 0xE0) {
    cp = b & 0x0F;
    n = 3;
  } else if ((b & 0xF8) == 0xF0) {
    cp = b & 0x07;
    n = 4;
  } else {
    return false;
  }
  if (i + n > s.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<uint8_t>(s[i + k]);
    if ((c & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
  len = n;
  return true;
}

bool IsUnsafeCodePoint(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
         cp == 0x2028 || cp == 0x2029;
}

bool IsValidUtf8(std::string_view s) {
  uint32_t cp = 0;
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    if (!NextCodePoint(s, i, cp, len)) return false;
  }
  return true;
}

bool IsPrintableText(std::string_view s, bool allow_newlines) {
  uint32_t cp = 0;
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    if (!NextCodePoint(s, i, cp, len)) return false;
    if (allow_newlines && (cp == '\n' || cp == '\t')) continue;
    if (IsUnsafeCodePoint(cp)) return false;
  }
  return true;
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string EscapeForTerminal(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  uint32_t cp = 0;
  size_t len = 0;
  char buf[16];
  for (size_t i = 0; i < s.size(); i += len) {
    if (!NextCodePoint(s, i, cp, len)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<uint8_t>(s[i])));
      out += buf;
      continue;
    }
    if (cp == '\\') {  // so that no text can pass for an escape this function made
      out += "\\\\";
      continue;
    }
    if (!IsUnsafeCodePoint(cp) || (keep_newlines && cp == '\n')) {
      out.append(s.substr(i, len));
      continue;
    }
    switch (cp) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case 0x1B:
        out += "\\e";
        break;
      default:
        if (cp < 0x80) {
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
        } else {
          std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
        }
        out += buf;
    }
  }
  return out;
}

}  // namespace fieldcase
