#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "fieldcase/crypto/sign.h"
#include "test_util.h"

using namespace fieldcase;
using crypto::SignTag;

namespace {
crypto::SigningKey FixedKey() {
  Bytes seed(32);
  for (size_t i = 0; i < 32; ++i) seed[i] = uint8_t(i);
  auto k = crypto::SigningKey::FromSeed(seed);
  REQUIRE(k.ok());
  return std::move(k).value();
}

}  // namespace

TEST_CASE("crypto: RFC 8032 test 1 public key from seed", "[crypto]") {
  auto k = crypto::SigningKey::FromSeed(
      test::Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  REQUIRE(k.ok());
  CHECK(ToHex(k->public_key()) ==
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_CASE("crypto: domain-tagged signatures match the known answers", "[crypto]") {
  // ed25519 is deterministic: a fixed seed and message give fixed bytes (kat/sign.txt).
  auto kat = test::ReadKat("sign.txt");
  REQUIRE(!kat.empty());
  auto key = FixedKey();
  CHECK(ToHex(key.public_key()) == kat["public_key"]);
  CHECK(ToHex(key.Sign(SignTag::kEntry, {AsBytes("message")})) == kat["entry_sig"]);
  CHECK(ToHex(key.Sign(SignTag::kHandshake, {AsBytes("message")})) == kat["handshake_sig"]);
}

TEST_CASE("crypto: tags end in one NUL and none is a prefix of another", "[crypto]") {
  std::vector<SignTag> tags = {SignTag::kEntry,        SignTag::kHandshake,
                               SignTag::kEnrolRequest, SignTag::kBundleManifest,
                               SignTag::kKeyWrap,      SignTag::kReceipt,
                               SignTag::kEnrolResponse, SignTag::kReport};
  for (auto a : tags) {
    auto ta = crypto::TagBytes(a);
    CHECK(ta.back() == '\0');
    CHECK(ta.find('\0') == ta.size() - 1);
    CHECK(ta.rfind("fieldcase/v1/", 0) == 0);
    for (auto b : tags) {
      if (a != b) CHECK(crypto::TagBytes(b).rfind(ta, 0) == std::string_view::npos);
    }
  }
  CHECK(crypto::TagBytes(SignTag::kEntry) == std::string_view("fieldcase/v1/entry\0", 19));
}

TEST_CASE("crypto: every tampered input fails verification", "[crypto]") {
  auto key = FixedKey();
  Bytes msg = {1, 2, 3, 4, 5};
  Signature sig = key.Sign(SignTag::kEntry, {msg});
  REQUIRE(crypto::Verify(key.public_key(), SignTag::kEntry, {msg}, sig));
  // Another purpose.
  CHECK_FALSE(crypto::Verify(key.public_key(), SignTag::kReceipt, {msg}, sig));
  // Every bit of the message, the signature and the key.
  for (size_t i = 0; i < msg.size() * 8; ++i) {
    Bytes m = msg;
    m[i / 8] ^= uint8_t(1 << (i % 8));
    CHECK_FALSE(crypto::Verify(key.public_key(), SignTag::kEntry, {m}, sig));
  }
  for (size_t i = 0; i < sig.size() * 8; ++i) {
    Signature s = sig;
    s[i / 8] ^= uint8_t(1 << (i % 8));
    CHECK_FALSE(crypto::Verify(key.public_key(), SignTag::kEntry, {msg}, s));
  }
  for (size_t i = 0; i < 32 * 8; i += 7) {
    PublicKey pk = key.public_key();
    pk[i / 8] ^= uint8_t(1 << (i % 8));
    CHECK_FALSE(crypto::Verify(pk, SignTag::kEntry, {msg}, sig));
  }
}

TEST_CASE("crypto: a wrong-size seed is refused", "[crypto]") {
  CHECK_FALSE(crypto::SigningKey::FromSeed(Bytes(31)).ok());
}
