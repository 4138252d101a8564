// Untrusted text (names, badges, notes from another device) shown on someone's screen.
#pragma once

#include <string_view>

namespace fieldcase {

// Valid UTF-8 with no control characters (C0, DEL, C1: escape sequences, CR, BS, NUL) and
// no bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069), which could make
// text paint something other than what it says, such as a fake prompt or fingerprint.
bool IsPrintableText(std::string_view s);

}  // namespace fieldcase
