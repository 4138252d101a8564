#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "fieldcase/crypto/hash.h"
#include "fieldcase/store/entry.h"
#include "store_fixture.h"

using namespace fieldcase;
using store::Header;

namespace {
Header Sample() {
  Header h;
  h.kind = 1;
  for (size_t i = 0; i < 32; ++i) h.author[i] = uint8_t(i);
  h.seq = 0x0102030405060708ull;
  h.prev.fill(0xAA);
  h.case_id.fill(0xBB);
  h.hlc = 0x1122334455667788ull;
  h.key_id.fill(0xCC);
  h.payload_len = 0xDEADBEEF;
  h.payload_hash.fill(0xDD);
  return h;
}
}  // namespace

TEST_CASE("store: v1 header is 151 bytes at the documented offsets", "[store]") {
  auto b = store::EncodeHeader(Sample());
  REQUIRE(b.size() == 151);
  CHECK(b[0] == 1);
  CHECK(b[1] == 1);
  CHECK(b[2] == 0);
  CHECK(b[3] == 0);
  CHECK(b[34] == 31);
  CHECK(b[35] == 0x08);  // seq little-endian
  CHECK(b[42] == 0x01);
  CHECK(b[43] == 0xAA);
  CHECK(b[75] == 0xBB);
  CHECK(b[91] == 0x88);  // hlc little-endian
  CHECK(b[99] == 0xCC);
  CHECK(b[115] == 0xEF);  // payload_len little-endian
  CHECK(b[118] == 0xDE);
  CHECK(b[119] == 0xDD);
  CHECK(b[150] == 0xDD);
  auto back = store::DecodeHeader(b);
  REQUIRE(back.ok());
  CHECK(*back == Sample());
}

TEST_CASE("store: header decoder is strict", "[store]") {
  auto b = store::EncodeHeader(Sample());
  CHECK_FALSE(store::DecodeHeader(ByteView(b).first(150)).ok());
  Bytes longer(b.begin(), b.end());
  longer.push_back(0);
  CHECK_FALSE(store::DecodeHeader(longer).ok());
  auto flags = b;
  flags[2] = 1;
  auto r = store::DecodeHeader(flags);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("flags"));
  auto v2 = b;
  v2[0] = 2;
  auto u = store::DecodeHeader(v2);
  REQUIRE_FALSE(u.ok());
  CHECK(u.status().IsNeedsUpgrade());  // needs upgrade, not garbage
  CHECK_FALSE(store::DecodeHeader(ByteView{}).ok());
  // Unknown kinds decode: their status, not the codec, decides.
  auto k9 = b;
  k9[1] = 9;
  CHECK(store::DecodeHeader(k9).ok());
}

TEST_CASE("store: signature covers org and every header byte, id covers the signature", "[store]") {
  test::StoreFixture f;
  store::Entry e = f.Next(f.root, nullptr);
  CHECK(store::VerifyEntrySignature(f.org, e.header_bytes, f.root.public_key(), e.signature));
  Id other_org = f.org;
  other_org[0] ^= 1;
  CHECK_FALSE(
      store::VerifyEntrySignature(other_org, e.header_bytes, f.root.public_key(), e.signature));
  for (size_t i = 0; i < e.header_bytes.size(); ++i) {
    auto h = e.header_bytes;
    h[i] ^= 1;
    CHECK_FALSE(store::VerifyEntrySignature(f.org, h, f.root.public_key(), e.signature));
  }
  CHECK(e.id == crypto::Hash256("fc-entry-id", {e.header_bytes, e.signature}));
  CHECK(e.header.payload_hash == crypto::Hash256("fc-payload", {*e.payload}));
}

TEST_CASE("store: key and case ids derive from (author, seq)", "[store]") {
  PublicKey a{};
  a[0] = 7;
  Array<8> seq5 = {5, 0, 0, 0, 0, 0, 0, 0};
  CHECK(store::KeyIdFor(a, 5) == crypto::Hash128("fc-key-id", {a, seq5}));
  CHECK(store::CaseIdFor(a, 5) == crypto::Hash128("fc-case", {a, seq5}));
  CHECK(store::KeyIdFor(a, 5) != store::KeyIdFor(a, 6));
  CHECK(store::OrgId(a) == crypto::Hash256("fc-org", {a}));
}

TEST_CASE("store: worked example entry matches docs/formats/entry.md", "[store]") {
  // A fixed root key and fixed header: ed25519 is deterministic, so the bytes are fixed.
  // tests/data/kat/entry_example.txt holds them; docs/formats/entry.md annotates them.
  auto root = test::KeyFromByte(0x42);
  Id org = store::OrgId(root.public_key());
  Header h;
  h.kind = 3;
  h.seq = 1;
  h.hlc = (uint64_t(1764374400000) << 16) | 1;  // 2025-11-29 00:00:00Z, counter 1
  // A founding control payload: cereal flag, op 1, org name "Demo", recovery key 0x55…
  Bytes payload = {0x01, 0x01, 0x04, 0, 0, 0, 0, 0, 0, 0, 'D', 'e', 'm', 'o'};
  payload.insert(payload.end(), 32, 0x55);
  store::Entry e = store::SignEntry(h, payload, org, root);
  auto kat = test::ReadKat("entry_example.txt");
  CHECK(ToHex(org) == kat["org_id"]);
  CHECK(ToHex(e.header_bytes) == kat["header"]);
  CHECK(ToHex(e.signature) == kat["signature"]);
  CHECK(ToHex(e.id) == kat["id"]);
  CHECK(ToHex(*e.payload) == kat["payload"]);
}
