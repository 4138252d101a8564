#include "format.h"

#include <cstdio>
#include <ctime>

#include "fieldcase/base/text.h"
#include "fieldcase/record/hlc.h"

namespace fieldcase::cli {

std::string FormatMs(int64_t ms) {
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string FormatHlc(uint64_t hlc) { return FormatMs(int64_t(record::HlcMillis(hlc))); }

std::string ShortHex(ByteView b, size_t digits) { return ToHex(b).substr(0, digits); }

std::string AuthorLabel(const node::Node& node, const PublicKey& author) {
  auto it = node.members().find(author);
  std::string role = it == node.members().end() ? "unknown" : org::ToString(it->second.role);
  std::string key = role + " " + ShortHex(author);
  if (it != node.members().end() && it->second.personal && !it->second.personal->name.empty()) {
    return Safe(it->second.personal->name) + " (" + key + ")";
  }
  return key;
}

void Note(const std::string& line) { std::fprintf(stderr, "%s\n", Safe(line).c_str()); }

std::string Safe(std::string_view text) { return EscapeForTerminal(text); }

std::string SafeBlock(std::string_view text, std::string_view indent) {
  std::string escaped = EscapeForTerminal(text, /*keep_newlines=*/true);
  std::string out;
  out.reserve(escaped.size());
  for (char c : escaped) {
    out.push_back(c);
    if (c == '\n') out.append(indent);
  }
  return out;
}

}  // namespace fieldcase::cli
