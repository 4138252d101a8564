#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "fieldcase/crypto/hash.h"
#include "test_util.h"

using namespace fieldcase;

TEST_CASE("crypto: personalised BLAKE2b matches independent known answers", "[crypto]") {
  // tests/data/kat/blake2b.txt was computed with Python's hashlib, not with libsodium.
  std::ifstream in(std::string(FIELDCASE_TEST_DATA) + "/kat/blake2b.txt");
  REQUIRE(in.good());
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name, key_hex, input_hex, expected;
    size_t outlen = 0;
    ss >> name >> outlen >> key_hex >> input_hex >> expected;
    Bytes key = key_hex == "-" ? Bytes{} : test::Hex(key_hex);
    Bytes input = input_hex == "-" ? Bytes{} : test::Hex(input_hex);
    crypto::Hasher h(name, outlen, key);
    h.Update(input);
    Bytes out(outlen);
    h.Final(out);
    INFO(name << " outlen " << outlen);
    CHECK(ToHex(out) == expected);
    ++checked;
  }
  CHECK(checked == 46);
}

TEST_CASE("crypto: 128-bit hashes are their own parameter set, not truncations", "[crypto]") {
  Id full = crypto::Hash256(crypto::hashname::kCase, {AsBytes("x")});
  Id128 short_hash = crypto::Hash128(crypto::hashname::kCase, {AsBytes("x")});
  CHECK(ToHex(full).substr(0, 32) != ToHex(short_hash));
}

TEST_CASE("crypto: parts hash as their concatenation, names separate domains", "[crypto]") {
  Id a = crypto::Hash256("fc-payload", {AsBytes("ab"), AsBytes("c")});
  Id b = crypto::Hash256("fc-payload", {AsBytes("abc")});
  Id c = crypto::Hash256("fc-entry-id", {AsBytes("abc")});
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("crypto: keyed hash depends on the key", "[crypto]") {
  Bytes k1(32, 1), k2(32, 2);
  auto h1 = crypto::KeyedHash256(k1, "fc-entry", {AsBytes("m")});
  auto h2 = crypto::KeyedHash256(k2, "fc-entry", {AsBytes("m")});
  CHECK_FALSE(crypto::ConstantTimeEqual(h1.view(), h2.view()));
  CHECK(h1.size() == 32);
}

TEST_CASE("crypto: a personalisation longer than 16 bytes is a programmer error", "[crypto]") {
  CHECK_THROWS(crypto::Hasher("this-name-is-too-long", 32));
}
