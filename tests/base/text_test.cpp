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
