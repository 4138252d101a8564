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

std::string DescribeOp(const record::Op& op) {
  return std::visit(
      [](const auto& o) -> std::string {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, record::OpenCase>)
          return "opened case (" + o.template_name + ")";
        if constexpr (std::is_same_v<T, record::SetField>)
          return "set " + o.field + " = " + o.value;
        if constexpr (std::is_same_v<T, record::AddNote>)
          return "added " + o.kind + " note" +
                 (o.at_ms != 0 ? " (happened " + FormatMs(int64_t(o.at_ms)) + ")" : "") + ": " +
                 o.text;
        if constexpr (std::is_same_v<T, record::Tag>) return "tagged " + o.tag;
        if constexpr (std::is_same_v<T, record::Untag>) return "untagged " + o.tag;
        if constexpr (std::is_same_v<T, record::SetStatus>) {
          return o.status == record::CaseStatus::kClosed ? "closed case" : "reopened case";
        }
        if constexpr (std::is_same_v<T, record::UnknownOp>) {
          return "unknown change (op " + std::to_string(o.code) + ")";
        }
      },
      op);
}


// Text for HTML element content and attribute values. Untrusted bytes that are not UTF-8
// or are controls are shown escaped first (Safe), so nothing can hide or reorder text.
std::string HtmlText(std::string_view s) {
  const std::string safe = Safe(s);
  std::string o;
  o.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string HtmlPageStart(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
         HtmlText(title) +
         "</title>\n<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;"
         "padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #999;"
         "padding:.25em .5em;text-align:left;vertical-align:top}code{font-size:90%}"
         ".ok{color:#060}.fail{color:#a00}.muted{color:#666}</style></head><body>\n";
}

}  // namespace fieldcase::cli
