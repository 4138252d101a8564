// Human-readable renderings shared by commands: times, authors, ids.
#pragma once

#include <string>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/node/node.h"
#include "fieldcase/record/ops.h"

namespace fieldcase::cli {

// "2026-11-29 14:03:07Z" from an hlc's millisecond part (UTC).
std::string FormatHlc(uint64_t hlc);
std::string FormatMs(int64_t ms);
// "PC Ada Jones (officer 3f2a9c1b)" or "supervisor 3f2a9c1b" when no name is known.
std::string AuthorLabel(const node::Node& node, const PublicKey& author);
std::string ShortHex(ByteView b, size_t digits = 8);
// Prints a line to stderr while the JSON or plain result goes to stdout. The line is
// escaped (it may quote a value, a path or a peer's words).
void Note(const std::string& line);
// Untrusted text for a terminal: every control character, escape sequence and bidi
// override shown escaped (base/text.h), so no name, note or value can paint over the
// screen, forge a line or hide text. Every command prints untrusted text through these.
std::string Safe(std::string_view text);
// A note's lines, each after the first starting with `indent`.
std::string SafeBlock(std::string_view text, std::string_view indent);

// One line for an operation, as `case history` and disclosures show it (unescaped: pass
// it through Safe or SafeBlock).
std::string DescribeOp(const record::Op& op);

// Text for HTML element content and attribute values: untrusted bytes are made Safe first,
// then <>&"' escaped.
std::string HtmlText(std::string_view s);
// The opening of a standalone page (doctype, title, the shared style) up to <body>.
std::string HtmlPageStart(std::string_view title);

}  // namespace fieldcase::cli
