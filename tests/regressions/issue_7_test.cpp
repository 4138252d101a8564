// Issue 7: the attacks on the trust rules that an adversarial review proved, each
// performed here and shown to fail.
#include <catch2/catch.hpp>

#include <algorithm>

#include "fieldcase/crypto/box.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/key_payload.h"
#include "forger.h"
#include "node/node_fixture.h"
#include "org/org_builder.h"

using namespace fieldcase;
using org::KeyOpCode;
using org::KeyPayload;
using org::Role;
using store::EntryStatus;
using test::kNow;

namespace {

// The introducing key entries of a case (zero: the team key), by generation.
std::vector<Id128> KeyIds(node::Node& n, const Id128& case_id) {
  std::vector<std::pair<uint32_t, Id128>> found;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kKey);
  REQUIRE(n.log().ForEach(f, [&](store::StoredEntry& se) {
    auto p = org::DecodeKeyPayload(*se.entry.payload);
    if (p.ok() && p->op != KeyOpCode::kGrant && se.entry.header.case_id == case_id) {
      found.emplace_back(p->generation, store::KeyIdFor(se.entry.header.author, se.entry.header.seq));
    }
    return Status::Ok();
  }).ok());
  std::sort(found.begin(), found.end());
  std::vector<Id128> out;
  for (auto& [gen, id] : found) out.push_back(id);
  return out;
}

Id128 KeyIdOfEntry(node::Node& n, const Id& id) {
  auto e = n.log().Get(id);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  return (*e)->entry.header.key_id;
}

std::string NoteTexts(node::Node& n, const Id128& case_id) {
  auto v = n.LoadCase(case_id);
  REQUIRE(v.ok());
  std::string out;
  for (const auto& note : v->notes) out += note.text + "|";
  return out;
}

record::OpenCase SmallCase() {
  record::OpenCase op;
  op.template_name = "stalking";
  op.fields = {{"victim", {}}};
  op.note_kinds = {"incident"};
  return op;
}

PublicKey BoxKeyOf(node::Node& n, const PublicKey& member) { return n.members().at(member).box_key; }

}  // namespace

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
  p.wraps.push_back(*org::WrapSealed(evil, BoxKeyOf(*ada, ada->writer()), org.hq->org_id(), case_id, team));
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
  auto opening = o.Write("member", 2, org::EncodeKeyPayload(open), store::CaseIdFor(mk.public_key(), seq));
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

TEST_CASE("issue 7 #1: enrolment refuses the recovery key, another member's box key and unusable keys",
          "[regressions][attack]") {
  test::Org org;
  auto recovery = node::OpenRecoveryFile(org.tmp.path() / "recovery",
                                         crypto::SecretBytes::CopyFrom(AsBytes("Recovery-Staple-77")));
  REQUIRE(recovery.ok());
  test::Forger m(org.hq->org_id());
  auto as_recovery = org.hq->Enrol(m.Request("mallory", recovery->public_key()), Role::kOfficer, kNow);
  REQUIRE_FALSE(as_recovery.ok());
  CHECK_THAT(as_recovery.status().message(), Catch::Contains("recovery key"));
  auto as_hq = org.hq->Enrol(m.Request("mallory", BoxKeyOf(*org.hq, org.hq->writer())),
                             Role::kOfficer, kNow);
  REQUIRE_FALSE(as_hq.ok());
  CHECK_THAT(as_hq.status().message(), Catch::Contains("another member"));
  auto zero = org.hq->Enrol(m.Request("mallory", PublicKey{}), Role::kOfficer, kNow);
  REQUIRE_FALSE(zero.ok());
  CHECK_THAT(zero.status().message(), Catch::Contains("unusable"));
  // Her own key is fine.
  CHECK(org.hq->Enrol(m.Request("mallory"), Role::kOfficer, kNow).ok());
}

TEST_CASE("issue 7 #5: a revoked admin's off-chain certificate enrols nobody",
          "[regressions][attack]") {
  test::OrgBuilder o;
  auto found = o.Found();
  auto admin_cert = o.Enrol("root", "admin", Role::kAdmin);
  auto honest = o.Enrol("admin", "honest", Role::kOfficer);  // admin seq 1
  o.Enrol("admin", "x2", Role::kOfficer);                     // admin seq 2
  auto a3 = o.Enrol("admin", "x3", Role::kOfficer);           // admin seq 3
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
  auto rep = org.hq->Import({m.Sign(store::Kind::kKey, org::EncodeKeyPayload(p), org.case_id)}, kNow);
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
