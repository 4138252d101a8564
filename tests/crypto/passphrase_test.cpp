#include <catch2/catch.hpp>

#include "fieldcase/crypto/passphrase.h"
#include "test_util.h"

using namespace fieldcase;

namespace {
crypto::SecretBytes Pass(std::string_view s) { return crypto::SecretBytes::CopyFrom(AsBytes(s)); }
}  // namespace

TEST_CASE("crypto: weak passphrases are refused with the rule named", "[crypto]") {
  CHECK_THAT(crypto::PassphraseWeakness("1234"), Catch::Contains("too short"));
  CHECK_THAT(crypto::PassphraseWeakness("aaaaaaaaaaaaaaaa"), Catch::Contains("repetitive"));
  CHECK_THAT(crypto::PassphraseWeakness("onlylowercase"), Catch::Contains("too simple"));
  CHECK(crypto::PassphraseWeakness("Correct-Horse-42").empty());
  CHECK(crypto::PassphraseWeakness("correct horse battery staple").empty());
}

TEST_CASE("crypto: sealing under a passphrase round-trips and fails closed", "[crypto]") {
  Bytes secret = {1, 2, 3, 4};
  Bytes blob =
      crypto::SealWithPassphrase(Pass("Correct-Horse-42"), secret, crypto::KdfCost::kInteractive);
  auto ok = crypto::OpenWithPassphrase(Pass("Correct-Horse-42"), blob);
  REQUIRE(ok.ok());
  CHECK(crypto::ConstantTimeEqual(ok->view(), secret));

  auto wrong = crypto::OpenWithPassphrase(Pass("Correct-Horse-43"), blob);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Status::Code::kWrongPassphrase);

  auto cost = crypto::BlobCost(blob);
  REQUIRE(cost.ok());
  CHECK(*cost == crypto::KdfCost::kInteractive);

  // The cost parameters are authenticated: lowering them is detected, not obeyed.
  Bytes lowered = blob;
  lowered[5] ^= 1;
  CHECK_FALSE(crypto::OpenWithPassphrase(Pass("Correct-Horse-42"), lowered).ok());
  // Absurd parameters are refused before any work.
  Bytes huge = blob;
  huge[20] = 0x7f;
  auto r = crypto::OpenWithPassphrase(Pass("Correct-Horse-42"), huge);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK_FALSE(crypto::OpenWithPassphrase(Pass("x"), ByteView(blob).first(30)).ok());
}
