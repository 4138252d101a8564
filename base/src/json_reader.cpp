#include "fieldcase/base/json_reader.h"

namespace fieldcase {

const JsonValue* JsonValue::Get(std::string_view key, Type want) const {
  if (type != Type::kObject) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() || it->second.type != want ? nullptr : &it->second;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  Result<JsonValue> Document() {
    JsonValue v;
    FC_RETURN_IF_ERROR(Value(v, 0));
    Space();
    if (i_ != t_.size()) return Bad("text after the end");
    return v;
  }

 private:
  Status Bad(std::string_view what) const {
    return Status::Corruption("malformed JSON at byte " + std::to_string(i_) + ": " +
                              std::string(what));
  }
  void Space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t'))
      ++i_;
  }
  bool Eat(char c) {
    Space();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Word(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  Status Value(JsonValue& v, int depth) {
    if (depth > kMaxJsonDepth) return Bad("nested too deeply");
    // Each value costs ~130 bytes in memory against 2 in the text: bounded before it grows.
    if (++values_ > kMaxJsonValues) return Bad("more than " + std::to_string(kMaxJsonValues) + " values");
    Space();
    if (i_ >= t_.size()) return Bad("unexpected end");
    const char c = t_[i_];
    if (c == '{') {
      ++i_;
      v.type = JsonValue::Type::kObject;
      if (Eat('}')) return Status::Ok();
      do {
        Space();
        std::string key;
        FC_RETURN_IF_ERROR(String(key));
        if (!Eat(':')) return Bad("expected ':'");
        JsonValue member;
        FC_RETURN_IF_ERROR(Value(member, depth + 1));
        if (!v.object.emplace(std::move(key), std::move(member)).second) {
          return Bad("a key given twice");
        }
      } while (Eat(','));
      return Eat('}') ? Status::Ok() : Bad("expected ',' or '}'");
    }
    if (c == '[') {
      ++i_;
      v.type = JsonValue::Type::kArray;
      if (Eat(']')) return Status::Ok();
      do {
        v.array.emplace_back();
        FC_RETURN_IF_ERROR(Value(v.array.back(), depth + 1));
      } while (Eat(','));
      return Eat(']') ? Status::Ok() : Bad("expected ',' or ']'");
    }
    if (c == '"') {
      v.type = JsonValue::Type::kString;
      return String(v.string);
    }
    if (Word("true") || Word("false")) {
      v.type = JsonValue::Type::kBool;
      v.boolean = t_[i_ - 1] == 'e' && t_[i_ - 2] == 'u';
      return Status::Ok();
    }
    if (Word("null")) return Status::Ok();
    return Integer(v);
  }

  Status Integer(JsonValue& v) {
    const size_t start = i_;
    bool negative = false;
    if (i_ < t_.size() && t_[i_] == '-') {
      negative = true;
      ++i_;
    }
    if (i_ >= t_.size() || t_[i_] < '0' || t_[i_] > '9') return Bad("expected a value");
    if (t_[i_] == '0' && i_ + 1 < t_.size() && t_[i_ + 1] >= '0' && t_[i_ + 1] <= '9') {
      return Bad("a leading zero");
    }
    uint64_t n = 0;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      const uint64_t d = uint64_t(t_[i_] - '0');
      if (n > (uint64_t(INT64_MAX) - d) / 10) return Bad("a number out of range");
      n = n * 10 + d;
      ++i_;
    }
    if (i_ < t_.size() && (t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E')) {
      return Bad("a fraction or exponent");
    }
    (void)start;
    v.type = JsonValue::Type::kInt;
    v.integer = negative ? -int64_t(n) : int64_t(n);
    return Status::Ok();
  }

  static void PutUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  Status Hex4(uint32_t& out) {
    if (i_ + 4 > t_.size()) return Bad("a short \\u escape");
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = t_[i_++];
      out <<= 4;
      if (h >= '0' && h <= '9') out |= uint32_t(h - '0');
      else if (h >= 'a' && h <= 'f') out |= uint32_t(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') out |= uint32_t(h - 'A' + 10);
      else return Bad("a bad \\u escape");
    }
    return Status::Ok();
  }

  Status String(std::string& out) {
    if (i_ >= t_.size() || t_[i_] != '"') return Bad("expected a string");
    ++i_;
    while (true) {
      if (i_ >= t_.size()) return Bad("a string without its end");
      const unsigned char c = static_cast<unsigned char>(t_[i_++]);
      if (c == '"') return Status::Ok();
      if (c < 0x20) return Bad("a raw control character in a string");
      if (c != '\\') {
        out += char(c);
        continue;
      }
      if (i_ >= t_.size()) return Bad("a string without its end");
      const char e = t_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          FC_RETURN_IF_ERROR(Hex4(cp));
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t lo = 0;
            if (!Word("\\u")) return Bad("a lone surrogate");
            FC_RETURN_IF_ERROR(Hex4(lo));
            if (lo < 0xDC00 || lo > 0xDFFF) return Bad("a lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Bad("a lone surrogate");
          }
          PutUtf8(out, cp);
          break;
        }
        default:
          return Bad("an unknown escape");
      }
    }
  }

  std::string_view t_;
  size_t values_ = 0;
  size_t i_ = 0;
};

}  // namespace

Result<JsonValue> ParseJson(std::string_view text) { return Parser(text).Document(); }

}  // namespace fieldcase
