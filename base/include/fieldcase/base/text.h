// Untrusted text (names, badges, notes, values, tags from any device) shown on someone's
// screen, and the checks text passes before this device signs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fieldcase {

// Reads one UTF-8 sequence at s[i]: its code point and length. False for bytes that are
// not UTF-8 (overlong forms, surrogates, past U+10FFFF, truncated); len is then 1.
bool NextCodePoint(std::string_view s, size_t i, uint32_t& cp, size_t& len);

// Control characters (C0, DEL, C1: escape sequences, CR, BS, NUL) and bidirectional
// overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), and
// the line and paragraph separators U+2028/U+2029, which can make text paint something
// other than what it says — a fake prompt, a forged timeline line.
bool IsUnsafeCodePoint(uint32_t cp);

bool IsValidUtf8(std::string_view s);

// Valid UTF-8 with no unsafe code point; with `allow_newlines`, LF and TAB may appear
// (the lines of a note).
bool IsPrintableText(std::string_view s, bool allow_newlines = false);

// True when s holds nothing but spaces, tabs and line breaks (or nothing).
bool IsBlank(std::string_view s);

// The text as it may reach a terminal: unsafe code points as \u{XXXX} (C0 as \n, \r, \t,
// \e or \xNN), bytes that are not UTF-8 as \xNN, and a backslash as \\ (so no text can
// pass for an escape). With `keep_newlines`, LF stays (the
// caller indents what follows it).
std::string EscapeForTerminal(std::string_view s, bool keep_newlines = false);

}  // namespace fieldcase
