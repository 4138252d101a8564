#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>

#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/pad.h"
#include "test_util.h"

using namespace fieldcase;

TEST_CASE("crypto: XChaCha20-Poly1305 round trip and RFC draft known answer", "[crypto]") {
  // draft-irtf-cfrg-xchacha-03 §A.3.1.
  auto key = crypto::SecretBytes::CopyFrom(
      test::Hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
  crypto::AeadNonce nonce;
  Bytes n = test::Hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  std::copy(n.begin(), n.end(), nonce.begin());
  std::string pt =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  Bytes ad = test::Hex("50515253c0c1c2c3c4c5c6c7");
  Bytes ct = crypto::AeadEncrypt(key, nonce, AsBytes(pt), ad);
  CHECK(ToHex(ByteView(ct).last(16)) == "c0875924c1c7987947deafd8780acf49");
  CHECK(ToHex(ByteView(ct).first(16)) == "bd6d179d3e83d43b9576579493c0e939");
  auto back = crypto::AeadDecrypt(key, nonce, ct, ad);
  REQUIRE(back.ok());
  CHECK(AsChars(back->view()) == pt);
}

TEST_CASE("crypto: AEAD fails on any flipped bit, wrong key, nonce or ad", "[crypto]") {
  auto key = crypto::SecretBytes::Random(32);
  auto nonce = crypto::RandomArray<24>();
  Bytes ad = {9, 9};
  Bytes ct = crypto::AeadEncrypt(key, nonce, AsBytes("secret case content"), ad);
  for (size_t i = 0; i < ct.size() * 8; ++i) {
    Bytes c = ct;
    c[i / 8] ^= uint8_t(1 << (i % 8));
    CHECK_FALSE(crypto::AeadDecrypt(key, nonce, c, ad).ok());
  }
  CHECK_FALSE(crypto::AeadDecrypt(crypto::SecretBytes::Random(32), nonce, ct, ad).ok());
  auto other_nonce = nonce;
  other_nonce[0] ^= 1;
  CHECK_FALSE(crypto::AeadDecrypt(key, other_nonce, ct, ad).ok());
  CHECK_FALSE(crypto::AeadDecrypt(key, nonce, ct, Bytes{9, 8}).ok());
  CHECK_FALSE(crypto::AeadDecrypt(key, nonce, ByteView(ct).first(10), ad).ok());
}

TEST_CASE("crypto: sealed box opens only with the key and the same context", "[crypto]") {
  auto alice = crypto::BoxKeyPair::Generate();
  auto bob = crypto::BoxKeyPair::Generate();
  Bytes ctx = {1, 2, 3};
  Bytes secret(32, 7);
  Bytes sealed = *crypto::SealTo(alice.public_key(), ctx, secret);
  auto opened = crypto::OpenSealed(alice, ctx, sealed);
  REQUIRE(opened.ok());
  CHECK(crypto::ConstantTimeEqual(opened->view(), secret));
  CHECK_FALSE(crypto::OpenSealed(bob, ctx, sealed).ok());
  CHECK_FALSE(crypto::OpenSealed(alice, Bytes{1, 2, 4}, sealed).ok());
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes s = sealed;
    s[i] ^= 0x40;
    CHECK_FALSE(crypto::OpenSealed(alice, ctx, s).ok());
  }
  CHECK_FALSE(crypto::OpenSealed(alice, ctx, ByteView(sealed).first(20)).ok());
  // The public key derives from the secret.
  auto again = crypto::BoxKeyPair::FromSecret(alice.secret());
  REQUIRE(again.ok());
  CHECK(again->public_key() == alice.public_key());
}

TEST_CASE("crypto: nothing is sealed to an all-zero or low-order X25519 key", "[crypto][attack]") {
  // Issue 7 #1: a certificate may carry any 32 bytes as its box key; sealing a key to a
  // point of low order would write a wrap anyone can open (or no one), so it fails.
  PublicKey zero{};
  PublicKey one{};
  one[0] = 1;  // u = 1, a point of order 4
  // The order-8 point of the Curve25519 twist list (libsodium's blocklist).
  PublicKey order8{};
  const uint8_t p8[32] = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
                          0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
                          0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
  std::copy(std::begin(p8), std::end(p8), order8.begin());
  for (const PublicKey& bad : {zero, one, order8}) {
    CHECK_FALSE(crypto::IsUsableBoxKey(bad));
    auto sealed = crypto::SealTo(bad, {}, Bytes(32, 1));
    REQUIRE_FALSE(sealed.ok());
    CHECK_THAT(sealed.status().message(), Catch::Contains("low order"));
  }
  CHECK(crypto::IsUsableBoxKey(crypto::BoxKeyPair::Generate().public_key()));
}

TEST_CASE("crypto: padding hides value lengths within a 64-byte block", "[crypto]") {
  auto a = crypto::Pad(AsBytes("high"));
  auto b = crypto::Pad(AsBytes("medium"));
  CHECK(a.size() == 64);
  CHECK(b.size() == 64);
  CHECK(crypto::Pad(Bytes(63)).size() == 64);
  CHECK(crypto::Pad(Bytes(64)).size() == 128);
  auto len = crypto::UnpaddedLength(b.view());
  REQUIRE(len.ok());
  CHECK(*len == 6);
  Bytes bad(64, 0);  // no 0x80 marker
  CHECK_FALSE(crypto::UnpaddedLength(bad).ok());
  CHECK_FALSE(crypto::UnpaddedLength(Bytes(63, 0x80)).ok());
  CHECK_FALSE(crypto::UnpaddedLength(Bytes{}).ok());
}

TEST_CASE("crypto: secret bytes move, clone and compare in constant time", "[crypto]") {
  auto s = crypto::SecretBytes::Random(32);
  auto c = s.Clone();
  CHECK(crypto::ConstantTimeEqual(s.view(), c.view()));
  crypto::SecretBytes moved = std::move(s);
  CHECK(moved.size() == 32);
  CHECK(s.size() == 0);  // NOLINT: moved-from is empty by contract
  CHECK_FALSE(crypto::ConstantTimeEqual(moved.view(), Bytes(31)));
}
