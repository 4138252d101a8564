// Issue 7, the trust rules (#1, #3, #4, #5, #6): each attack an adversarial review proved,
// performed here and shown to fail.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <variant>

#include "fieldcase/crypto/box.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/record/ops.h"
#include "issue_7_helpers.h"
#include "node/node_fixture.h"
#include "org/org_builder.h"

using namespace fieldcase;
using org::KeyOpCode;
using org::KeyPayload;
using org::Role;
using store::EntryStatus;
using test::kNow;
using namespace fieldcase::test;

TEST_CASE("issue 7 #4: a key payload that arrives after its header gets the strict checks",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  test::Forger m(org.hq->org_id());
  REQUIRE(org.hq->Enrol(m.Request("mallory"), Role::kOfficer, kNow).ok());
  test::Sync(*org.hq, *ada);
  const Id128 team = KeyIds(*ada, Id128{}).back();

  // Her own case's opening key entry, whose payload claims to introduce the team key.
  auto evil = crypto::SecretBytes::Random(32);
  const Id128 case_id = store::CaseIdFor(m.pk(), m.next_seq());
  KeyPayload p;
  p.op = KeyOpCode::kCaseKey;
  p.key_id = team;
  p.generation = 1;
  p.check = org::KeyCheck(evil);
  p.wraps.push_back(
      *org::WrapSealed(evil, BoxKeyOf(*ada, ada->writer()), org.hq->org_id(), case_id, team));
  auto raw = m.Sign(store::Kind::kKey, org::EncodeKeyPayload(p), case_id);

  auto first = ada->Import({test::HeaderOnly(raw)}, kNow);
  REQUIRE(first.ok());
  CHECK(first->added == 1);
  auto late = ada->Import({raw}, kNow);
  REQUIRE(late.ok());
  CHECK(late->rejected == 1);
  REQUIRE(late->reasons.size() == 1);
  CHECK_THAT(late->reasons[0], Catch::Contains("key_id does not derive"));

  // The team key is untouched: a case ada opens now is read at HQ, and ada still reads HQ's.
  auto c = ada->OpenCase(SmallCase(), kNow);
  REQUIRE(c.ok());
  REQUIRE(ada->Write(*c, record::AddNote{"incident", "after"}, kNow).ok());
  test::Sync(*ada, *org.hq);
  CHECK(NoteTexts(*org.hq, *c) == "after|");
  CHECK(NoteTexts(*ada, org.case_id) == "written at HQ|");
  auto v = node::VerifyFolder({org.tmp.path() / "ada"});
  REQUIRE(v.ok());
  CHECK(v->ok());
}

TEST_CASE("issue 7 #4: a signed key payload that names another key is quarantined",
          "[regressions][attack]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", Role::kAdmin);
  o.Enrol("admin", "officer", Role::kOfficer);
  const auto& k = o.Key("officer");
  const uint64_t seq = o.heads[k.public_key()].first + 1;
  KeyPayload p;
  p.op = KeyOpCode::kCaseKey;
  p.key_id.fill(0x42);  // not KeyIdFor(author, seq)
  auto e = o.Write("officer", 2, org::EncodeKeyPayload(p), store::CaseIdFor(k.public_key(), seq));
  CHECK(o.Statuses(o.log).at(e.id) == EntryStatus::kQuarantined);
}

TEST_CASE("issue 7 #1: a certificate whose box key is the recovery key names nobody",
          "[regressions][attack]") {
  test::OrgBuilder o;
  const PublicKey recovery = crypto::BoxKeyPair::Generate().public_key();
  o.Write("root", 3, org::EncodeControlPayload(org::Founding{"Test Force", recovery}));
  o.Enrol("root", "admin", Role::kAdmin);
  auto enrol = [&](const std::string& who, uint8_t person, const PublicKey& box) {
    org::Enrolment en;
    en.subject = o.Pk(who);
    en.role = Role::kOfficer;
    en.person_id.fill(person);
    en.box_key = box;
    return o.Write("admin", 3, org::EncodeControlPayload(en));
  };
  const PublicKey member_box = crypto::BoxKeyPair::Generate().public_key();
  enrol("member", 1, member_box);
  enrol("mallory", 2, recovery);    // what a compromised admin, or a store from before, holds
  enrol("copycat", 3, member_box);  // a later certificate on the same box key owns nothing
  // A restricted case of the member: sealed to her device and to the recovery recipient.
  const auto& mk = o.Key("member");
  const uint64_t seq = o.heads[mk.public_key()].first + 1;
  KeyPayload open;
  open.op = KeyOpCode::kCaseKey;
  open.key_id = store::KeyIdFor(mk.public_key(), seq);
  open.generation = 1;
  for (const PublicKey& r : {member_box, recovery}) {
    open.wraps.push_back({org::WrapType::kSealed, r, Bytes(80, 0)});
  }
  auto opening =
      o.Write("member", 2, org::EncodeKeyPayload(open), store::CaseIdFor(mk.public_key(), seq));
  auto next_by = [&](const std::string& who) {
    const auto& k = o.Key(who);
    KeyPayload n = open;
    n.key_id = store::KeyIdFor(k.public_key(), o.heads[k.public_key()].first + 1);
    n.generation = 2;
    n.previous_key_id = open.key_id;
    return o.Write(who, 2, org::EncodeKeyPayload(n), opening.header.case_id);
  };
  auto by_mallory = next_by("mallory");
  auto by_copycat = next_by("copycat");
  auto by_member = next_by("member");
  auto st = o.Statuses(o.log);
  CHECK(st.at(by_mallory.id) == EntryStatus::kQuarantined);
  CHECK(st.at(by_copycat.id) == EntryStatus::kQuarantined);
  CHECK(st.at(by_member.id) == EntryStatus::kAccepted);
}

TEST_CASE(
    "issue 7 #1: enrolment refuses the recovery key, another member's box key and unusable keys",
    "[regressions][attack]") {
  test::Org org;
  auto recovery = node::OpenRecoveryFile(
      org.tmp.path() / "recovery", crypto::SecretBytes::CopyFrom(AsBytes("Recovery-Staple-77")));
  REQUIRE(recovery.ok());
  test::Forger m(org.hq->org_id());
  auto as_recovery =
      org.hq->Enrol(m.RequestWithBoxKey("mallory", recovery->public_key()), Role::kOfficer, kNow);
  REQUIRE_FALSE(as_recovery.ok());
  CHECK_THAT(as_recovery.status().message(), Catch::Contains("recovery key"));
  auto as_hq = org.hq->Enrol(m.RequestWithBoxKey("mallory", BoxKeyOf(*org.hq, org.hq->writer())),
                             Role::kOfficer, kNow);
  REQUIRE_FALSE(as_hq.ok());
  CHECK_THAT(as_hq.status().message(), Catch::Contains("another member"));
  auto zero = org.hq->Enrol(m.RequestWithBoxKey("mallory", PublicKey{}), Role::kOfficer, kNow);
  REQUIRE_FALSE(zero.ok());
  CHECK_THAT(zero.status().message(), Catch::Contains("unusable"));
  // And no request file can carry a box key its device does not hold: the X25519 key must
  // derive from the box identity that signs the request.
  org::EnrolRequest borrowed = m.Request("mallory");
  borrowed.box_key = recovery->public_key();
  auto file = org::EncodeEnrolRequest(borrowed, m.key, m.identity);
  auto decoded = org::DecodeEnrolRequest(file);
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("not proven"));
  // Her own key is fine.
  CHECK(org.hq->Enrol(m.Request("mallory"), Role::kOfficer, kNow).ok());
}

TEST_CASE("issue 7 #5: a revoked admin's off-chain certificate enrols nobody",
          "[regressions][attack]") {
  test::OrgBuilder o;
  auto found = o.Found();
  auto admin_cert = o.Enrol("root", "admin", Role::kAdmin);
  auto honest = o.Enrol("admin", "honest", Role::kOfficer);  // admin seq 1
  o.Enrol("admin", "x2", Role::kOfficer);                    // admin seq 2
  auto a3 = o.Enrol("admin", "x3", Role::kOfficer);          // admin seq 3
  auto revoke = o.Revoke("root", "admin", 3, a3.id);
  org::Enrolment en;
  en.subject = o.Pk("evil");
  en.role = Role::kSupervisor;
  auto off = o.Write("admin", 3, org::EncodeControlPayload(en), {}, {}, /*fork_at=*/2);
  auto evil_team = o.TeamKey("evil");
  auto honest_case = o.OpenCaseKey("honest");

  SECTION("a node that never held the cut-off's last entry cannot tell the branches apart") {
    auto st = o.Statuses({found, admin_cert, honest, off, revoke, evil_team, honest_case});
    CHECK(st.at(off.id) == EntryStatus::kPending);
    CHECK(st.at(evil_team.id) == EntryStatus::kPending);  // was accepted: evil was enrolled
    CHECK(st.at(honest.id) == EntryStatus::kPending);     // was quarantined
    CHECK(st.at(honest_case.id) == EntryStatus::kPending);
  }
  SECTION("a node that holds everything") {
    auto st = o.Statuses(o.log);
    CHECK(st.at(honest.id) == EntryStatus::kAccepted);
    CHECK(st.at(honest_case.id) == EntryStatus::kAccepted);
    CHECK(st.at(off.id) == EntryStatus::kQuarantined);
    CHECK(st.at(evil_team.id) == EntryStatus::kPending);  // never enrolled
  }
}

TEST_CASE("issue 7 #3: a case key written by a device revoked later is not written under again",
          "[regressions][attack]") {
  test::Org org;
  test::Forger m(org.hq->org_id());
  REQUIRE(org.hq->Enrol(m.Request("mallory"), Role::kOfficer, kNow).ok());
  const Id128 gen1 = KeyIds(*org.hq, org.case_id).back();

  // She writes generation 2 of the case key, sealed to HQ only — never to herself, so no
  // wrap shows that she knows it.
  auto evil = crypto::SecretBytes::Random(32);
  KeyPayload p;
  p.op = KeyOpCode::kCaseKey;
  p.key_id = store::KeyIdFor(m.pk(), m.next_seq());
  p.generation = 2;
  p.previous_key_id = gen1;
  p.check = org::KeyCheck(evil);
  p.wraps.push_back(*org::WrapSealed(evil, BoxKeyOf(*org.hq, org.hq->writer()), org.hq->org_id(),
                                     org.case_id, p.key_id));
  const Id128 gen2 = p.key_id;
  auto rep =
      org.hq->Import({m.Sign(store::Kind::kKey, org::EncodeKeyPayload(p), org.case_id)}, kNow);
  REQUIRE(rep.ok());
  REQUIRE(rep->added == 1);
  auto before = org.hq->Write(org.case_id, record::AddNote{"incident", "before"}, kNow);
  REQUIRE(before.ok());
  REQUIRE(KeyIdOfEntry(*org.hq, *before) == gen2);  // her key is the preferred one

  REQUIRE(org.hq->Revoke(m.pk(), kNow).ok());
  auto after = org.hq->Write(org.case_id, record::AddNote{"incident", "after"}, kNow);
  REQUIRE(after.ok());
  const Id128 used = KeyIdOfEntry(*org.hq, *after);
  CHECK(used != gen2);
  CHECK(used != gen1);
  CHECK(KeyIds(*org.hq, org.case_id).back() == used);  // a new generation, by HQ
  CHECK(NoteTexts(*org.hq, org.case_id) == "written at HQ|before|after|");
}

TEST_CASE("issue 7 #6: entries of unknown header versions are bounded, batched and forwarded",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  std::vector<store::RawEntry> later;
  for (int i = 0; i < 10; ++i) {
    store::RawEntry e;
    e.header = Bytes(200, uint8_t(i));
    e.header[0] = 2;  // a header version this build does not know
    e.signature.fill(uint8_t(i));
    e.payload = Bytes(64, 7);
    later.push_back(e);
  }
  store::RawEntry huge;
  huge.header = Bytes(store::kMaxOpaqueHeaderBytes + 1, 2);
  later.push_back(huge);
  auto rep = org.hq->Import(later, kNow);
  REQUIRE(rep.ok());
  CHECK(rep->added == 10);
  CHECK(rep->rejected == 1);
  CHECK(*org.hq->log().CountOpaque() == 10);
  // Forwarded: a device that syncs from HQ holds them too.
  test::Sync(*org.hq, *ada);
  CHECK(*ada->log().CountOpaque() == 10);
  // Counted in the pending bound, and the first to go.
  auto dropped = org.hq->log().DropOldestPending(/*keep=*/4);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 6);
  CHECK(*org.hq->log().CountOpaque() == 4);
  auto v = node::VerifyFolder({org.tmp.path() / "hq"});
  REQUIRE(v.ok());
  CHECK(v->ok());
}
