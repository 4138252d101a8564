#include <catch2/catch.hpp>

#include "fieldcase/crypto/hash.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/record/data_payload.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"

using namespace fieldcase;
using namespace fieldcase::record;
using namespace fieldcase::org;

namespace {
store::Header DataHeader() {
  store::Header h;
  h.kind = 1;
  h.author.fill(3);
  h.seq = 9;
  h.case_id.fill(4);
  h.hlc = 12345;
  h.key_id.fill(5);
  return h;
}
Id Org() {
  Id o;
  o.fill(0x11);
  return o;
}
}  // namespace

TEST_CASE("org: data payload round-trips and hides value lengths", "[org]") {
  auto key = crypto::SecretBytes::Random(32);
  auto h = DataHeader();
  Bytes high = EncodeOp(SetField{"risk_level", "high", {}});
  Bytes medium = EncodeOp(SetField{"risk_level", "medium", {}});
  Bytes p1 = SealData(key, Org(), h, high);
  Bytes p2 = SealData(key, Org(), h, medium);
  CHECK(p1.size() == p2.size());
  CHECK(p1.size() == kDataOverheadBytes + 64);
  auto back = OpenData(key, Org(), h, p1);
  REQUIRE(back.ok());
  CHECK(Bytes(back->data(), back->data() + back->size()) == high);
}

TEST_CASE("org: data payload fails closed on any change of key, context or bytes", "[org]") {
  auto key = crypto::SecretBytes::Random(32);
  auto h = DataHeader();
  Bytes p = SealData(key, Org(), h, EncodeOp(AddNote{"incident", "canary"}));
  CHECK_FALSE(OpenData(crypto::SecretBytes::Random(32), Org(), h, p).ok());
  Id other = Org();
  other[0] ^= 1;
  CHECK_FALSE(OpenData(key, other, h, p).ok());
  for (auto mutate : std::vector<std::function<void(store::Header&)>>{
           [](store::Header& x) { x.seq++; }, [](store::Header& x) { x.hlc++; },
           [](store::Header& x) { x.case_id[0] ^= 1; }, [](store::Header& x) { x.key_id[0] ^= 1; },
           [](store::Header& x) { x.author[0] ^= 1; }, [](store::Header& x) { x.kind = 9; }}) {
    auto hh = h;
    mutate(hh);
    CHECK_FALSE(OpenData(key, Org(), hh, p).ok());
  }
  for (size_t i = 0; i < p.size(); i += 5) {
    Bytes q = p;
    q[i] ^= 0x20;
    CHECK_FALSE(OpenData(key, Org(), h, q).ok());
  }
  CHECK_FALSE(OpenData(key, Org(), h, ByteView(p).first(40)).ok());
}

TEST_CASE("org: the commitment lets one entry be disclosed by its entry key alone", "[org]") {
  auto case_key = crypto::SecretBytes::Random(32);
  auto h = DataHeader();
  Bytes p = SealData(case_key, Org(), h, EncodeOp(AddNote{"incident", "x"}));
  auto entry_key = EntryKey(case_key, h.author, h.seq, ByteView(p).subspan(32, 24));
  // The commitment is derived from entry_key only, so a court can check it.
  auto commit = crypto::KeyedHash256(entry_key.view(), "fc-commit", {});
  CHECK(crypto::ConstantTimeEqual(commit.view(), ByteView(p).first(32)));
}

TEST_CASE("org: key payload round-trip and wraps bound to their context", "[org]") {
  auto team = crypto::SecretBytes::Random(32);
  Id128 team_id;
  team_id.fill(1);
  auto case_key = crypto::SecretBytes::Random(32);
  Id128 case_id, key_id;
  case_id.fill(2);
  key_id.fill(3);
  auto device = crypto::BoxKeyPair::Generate();
  KeyPayload kp;
  kp.op = KeyOpCode::kCaseKey;
  kp.key_id = key_id;
  kp.check = KeyCheck(case_key);
  kp.wraps.push_back(WrapUnderTeamKey(case_key, team, team_id, Org(), case_id, key_id));
  kp.wraps.push_back(*WrapSealed(case_key, device.public_key(), Org(), case_id, key_id));
  Bytes enc = EncodeKeyPayload(kp);
  auto dec = DecodeKeyPayload(enc);
  REQUIRE(dec.ok());
  REQUIRE(dec->wraps.size() == 2);
  auto k1 = UnwrapUnderTeamKey(dec->wraps[0], team, Org(), case_id, key_id);
  REQUIRE(k1.ok());
  CHECK(KeyCheck(*k1) == kp.check);
  auto k2 = UnwrapSealed(dec->wraps[1], device, Org(), case_id, key_id);
  REQUIRE(k2.ok());
  // Lifted into another case, key or org: refused.
  Id128 other;
  other.fill(9);
  CHECK_FALSE(UnwrapUnderTeamKey(dec->wraps[0], team, Org(), other, key_id).ok());
  CHECK_FALSE(UnwrapUnderTeamKey(dec->wraps[0], team, Org(), case_id, other).ok());
  CHECK_FALSE(UnwrapSealed(dec->wraps[1], device, Org(), other, key_id).ok());
  Id org2 = Org();
  org2[3] ^= 1;
  CHECK_FALSE(UnwrapSealed(dec->wraps[1], device, org2, case_id, key_id).ok());
  // Strict decoding: every truncation and a trailing byte fail; a huge count fails early.
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK_FALSE(DecodeKeyPayload(ByteView(enc).first(n)).ok());
  Bytes trailing = enc;
  trailing.push_back(0);
  CHECK_FALSE(DecodeKeyPayload(trailing).ok());
  Bytes huge = enc;
  for (size_t i = 102; i < 110; ++i) huge[i] = 0xff;  // wrap count
  CHECK_FALSE(DecodeKeyPayload(huge).ok());
  Bytes unknown = enc;
  unknown[1] = 77;
  CHECK(DecodeKeyPayload(unknown).status().IsNeedsUpgrade());
}

TEST_CASE("org: control payloads decode strictly and seal personal data", "[org]") {
  auto dir_key = crypto::SecretBytes::Random(32);
  Enrolment e;
  e.subject.fill(7);
  e.box_key.fill(8);
  e.role = Role::kOfficer;
  e.person_id.fill(9);
  e.expiry_ms = 42;
  e.sealed_personal = SealPersonal({"PC Ada", "4471"}, dir_key, Org(), e.subject);
  Bytes enc = EncodeControlPayload(e);
  auto dec = DecodeControlPayload(enc);
  REQUIRE(dec.ok());
  const auto& d = std::get<Enrolment>(*dec);
  CHECK(d.role == Role::kOfficer);
  CHECK(d.expiry_ms == 42);
  auto personal = OpenPersonal(d.sealed_personal, dir_key, Org(), d.subject);
  REQUIRE(personal.ok());
  CHECK(personal->name == "PC Ada");
  CHECK(personal->badge == "4471");
  // Names are not in clear, and the seal is bound to its subject.
  CHECK(std::string(enc.begin(), enc.end()).find("PC Ada") == std::string::npos);
  PublicKey other;
  other.fill(1);
  CHECK_FALSE(OpenPersonal(d.sealed_personal, dir_key, Org(), other).ok());
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK_FALSE(DecodeControlPayload(ByteView(enc).first(n)).ok());
  Bytes bad_role = enc;
  bad_role[1 + 1 + 64] = 0;
  CHECK_FALSE(DecodeControlPayload(bad_role).ok());
  Bytes wrong_flag = enc;
  wrong_flag[0] = 0;
  CHECK_FALSE(DecodeControlPayload(wrong_flag).ok());
}
