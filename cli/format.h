// Human-readable renderings shared by commands: times, authors, ids.
#pragma once

#include <string>

#include "fieldcase/base/bytes.h"
#include "fieldcase/node/node.h"

namespace fieldcase::cli {

// "2026-11-29 14:03:07Z" from an hlc's millisecond part (UTC).
std::string FormatHlc(uint64_t hlc);
std::string FormatMs(int64_t ms);
// "PC Ada Jones (officer 3f2a9c1b)" or "supervisor 3f2a9c1b" when no name is known.
std::string AuthorLabel(const node::Node& node, const PublicKey& author);
std::string ShortHex(ByteView b, size_t digits = 8);
// Prints a line to stderr while the JSON or plain result goes to stdout.
void Note(const std::string& line);

}  // namespace fieldcase::cli
