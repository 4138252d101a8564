#include <catch2/catch.hpp>

#include <sodium.h>

#include <algorithm>

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
      crypto::SealWithPassphrase(Pass("Correct-Horse-42"), secret, crypto::KdfCost::kInsecureFast);
  auto ok = crypto::OpenWithPassphrase(Pass("Correct-Horse-42"), blob);
  REQUIRE(ok.ok());
  CHECK(crypto::ConstantTimeEqual(ok->view(), secret));

  auto wrong = crypto::OpenWithPassphrase(Pass("Correct-Horse-43"), blob);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Status::Code::kWrongPassphrase);

  auto cost = crypto::BlobCost(blob);
  REQUIRE(cost.ok());
  CHECK(*cost == crypto::KdfCost::kInsecureFast);

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

// Sealed the way builds before the 8 MiB test cost sealed --insecure-fast-kdf stores
// (INTERACTIVE: 64 MiB, two passes), by the format in passphrase.h, not by our sealer.
TEST_CASE("crypto: a blob sealed at the earlier interactive cost still opens", "[crypto]") {
  const std::string pass = "Correct-Horse-42";
  Bytes blob = {'F', 'C', 'P', 'W', 1};
  auto put = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) blob.push_back(uint8_t(v >> (8 * i)));
  };
  put(crypto_pwhash_OPSLIMIT_INTERACTIVE);
  put(crypto_pwhash_MEMLIMIT_INTERACTIVE);
  uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  blob.insert(blob.end(), salt, salt + sizeof salt);
  blob.insert(blob.end(), nonce, nonce + sizeof nonce);
  uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  REQUIRE(crypto_pwhash(key, sizeof key, pass.data(), pass.size(), salt,
                        crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                        crypto_pwhash_ALG_ARGON2ID13) == 0);
  const Bytes secret = {9, 8, 7};
  const size_t header = blob.size();
  blob.resize(header + secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(blob.data() + header, &n, secret.data(),
                                             secret.size(), blob.data(), header, nullptr, nonce,
                                             key);
  auto opened = crypto::OpenWithPassphrase(Pass(pass), blob);
  REQUIRE(opened.ok());
  CHECK(crypto::ConstantTimeEqual(opened->view(), secret));
  CHECK(*crypto::BlobCost(blob) == crypto::KdfCost::kInsecureFast);  // still reported weak
}

TEST_CASE("crypto: a blob asking less than the test cost is refused before any work",
          "[crypto]") {
  Bytes blob =
      crypto::SealWithPassphrase(Pass("Correct-Horse-42"), Bytes{1}, crypto::KdfCost::kInsecureFast);
  Bytes no_passes = blob;
  std::fill(no_passes.begin() + 5, no_passes.begin() + 13, 0);
  Bytes tiny_memory = blob;
  std::fill(tiny_memory.begin() + 13, tiny_memory.begin() + 21, 0);
  tiny_memory[14] = 0x20;  // 8 KiB, libsodium's own minimum
  for (const Bytes* b : {&no_passes, &tiny_memory}) {
    auto r = crypto::OpenWithPassphrase(Pass("Correct-Horse-42"), *b);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
}
