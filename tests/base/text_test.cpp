#include <catch2/catch.hpp>

#include <string>

#include "fieldcase/base/text.h"

using fieldcase::IsPrintableText;

TEST_CASE("base: printable text refuses control characters, escapes and bidi overrides",
          "[base]") {
  CHECK(IsPrintableText("PC Ada Okafor"));
  CHECK(IsPrintableText("Zoë Åsa — 4471"));
  CHECK(IsPrintableText(""));
  CHECK_FALSE(IsPrintableText("Ada\x1b[2J\x1b[HFingerprint: 0000"));  // CSI paints a fake screen
  CHECK_FALSE(IsPrintableText("Ada\rBob"));
  CHECK_FALSE(IsPrintableText("Ada\bX"));
  CHECK_FALSE(IsPrintableText(std::string("A\0B", 3)));
  CHECK_FALSE(IsPrintableText("Ada\x7f"));
  CHECK_FALSE(IsPrintableText("\xc2\x9b" "2J"));          // C1 CSI
  CHECK_FALSE(IsPrintableText("Ada \xe2\x80\xae" "evil"));  // U+202E right-to-left override
  CHECK_FALSE(IsPrintableText("\xff"));                   // not UTF-8
  CHECK_FALSE(IsPrintableText("\xc0\xaf"));               // overlong
  CHECK_FALSE(IsPrintableText("\xed\xa0\x80"));           // a surrogate
  CHECK_FALSE(IsPrintableText("\xe2\x82"));               // truncated
}

TEST_CASE("base: text for a terminal shows every control, escape and override escaped",
          "[base]") {
  using fieldcase::EscapeForTerminal;
  CHECK(EscapeForTerminal("PC Ada Okafor — Zoë") == "PC Ada Okafor — Zoë");
  CHECK(EscapeForTerminal("a\x1b[2Jb") == "a\\e[2Jb");
  CHECK(EscapeForTerminal("line\r2026-01-01 forged") == "line\\r2026-01-01 forged");
  CHECK(EscapeForTerminal("x\by") == "x\\x08y");
  CHECK(EscapeForTerminal(std::string("A\0B", 3)) == "A\\x00B");
  CHECK(EscapeForTerminal("\x7f") == "\\x7f");
  CHECK(EscapeForTerminal("\xc2\x9b" "2J") == "\\u{009b}2J");
  CHECK(EscapeForTerminal("\xe2\x80\xae" "evil") == "\\u{202e}evil");
  CHECK(EscapeForTerminal("\x1b]8;;http://x\x1b\\link") == "\\e]8;;http://x\\e\\\\link");  // OSC 8
  CHECK(EscapeForTerminal("looks \\e[31m escaped") == "looks \\\\e[31m escaped");  // cannot pass
  CHECK(EscapeForTerminal("mark\xe2\x80\x8f") == "mark\\u{200f}");
  CHECK(EscapeForTerminal("\xff\xc0\xaf") == "\\xff\\xc0\\xaf");
  CHECK(EscapeForTerminal("one\ntwo") == "one\\ntwo");
  CHECK(EscapeForTerminal("one\ntwo", /*keep_newlines=*/true) == "one\ntwo");
  // Whatever comes out is printable: nothing a terminal acts on.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(char(c));
  CHECK(fieldcase::IsPrintableText(EscapeForTerminal(all)));
}

TEST_CASE("base: valid UTF-8, notes with line breaks, blank text", "[base]") {
  CHECK(fieldcase::IsValidUtf8("Zoë"));
  CHECK_FALSE(fieldcase::IsValidUtf8("\xc3"));
  CHECK(IsPrintableText("first line\n\tsecond", /*allow_newlines=*/true));
  CHECK_FALSE(IsPrintableText("first line\n\tsecond"));
  CHECK_FALSE(IsPrintableText("a\r\nb", /*allow_newlines=*/true));
  CHECK(fieldcase::IsBlank(" \t\n "));
  CHECK(fieldcase::IsBlank(""));
  CHECK_FALSE(fieldcase::IsBlank(" x "));
}
