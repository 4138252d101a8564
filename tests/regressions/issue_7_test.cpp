// Issue 7: the attacks on the trust rules that an adversarial review proved, each
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
#include "forger.h"
#include "fieldcase/record/ops.h"
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
  REQUIRE(n.log()
              .ForEach(f,
                       [&](store::StoredEntry& se) {
                         auto p = org::DecodeKeyPayload(*se.entry.payload);
                         if (p.ok() && p->op != KeyOpCode::kGrant &&
                             se.entry.header.case_id == case_id) {
                           found.emplace_back(p->generation, store::KeyIdFor(se.entry.header.author,
                                                                             se.entry.header.seq));
                         }
                         return Status::Ok();
                       })
              .ok());
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

PublicKey BoxKeyOf(node::Node& n, const PublicKey& member) {
  return n.members().at(member).box_key;
}

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
      org.hq->Enrol(m.Request("mallory", recovery->public_key()), Role::kOfficer, kNow);
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

namespace {

// Edits a closed store the way someone with the file would: the append-only triggers are
// dropped for the edit and put back, so only the edit itself differs.
void EditDatabase(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  std::vector<std::pair<std::string, std::string>> triggers;
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'", -1,
                             &q, nullptr) == SQLITE_OK);
  while (sqlite3_step(q) == SQLITE_ROW) {
    triggers.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                          reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
  }
  sqlite3_finalize(q);
  std::string all;
  for (const auto& [name, ddl] : triggers) all += "DROP TRIGGER " + name + ";";
  all += sql + ";";
  for (const auto& [name, ddl] : triggers) all += ddl + ";";
  char* err = nullptr;
  const int rc = sqlite3_exec(h, all.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

std::string Blob(ByteView b) { return "x'" + ToHex(b) + "'"; }

std::unique_ptr<node::Node> Reopen(const std::filesystem::path& dir) {
  auto n = node::Node::Unlock({dir}, test::Pass());
  REQUIRE(n.ok());
  return std::move(n).value();
}

bool IsRevoked(node::Node& n, const PublicKey& key) {
  for (const auto& v : n.Members())
    if (v.member.key == key) return v.revoked;
  FAIL("not a member");
  return false;
}

}  // namespace

TEST_CASE("issue 7 #9: a revocation's payload row moved by hand does not un-revoke anyone",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey ada_key = ada->writer();
  auto revocation = org.hq->Revoke(ada_key, kNow);
  REQUIRE(revocation.ok());
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  EditDatabase(hq_dir / "fieldcase.db",
               "UPDATE payloads SET rowid = (SELECT max(rowid) + 1000 "
               "FROM payloads) WHERE id = " +
                   Blob(*revocation));
  auto hq = Reopen(hq_dir);
  CHECK(IsRevoked(*hq, ada_key));
  auto v = node::VerifyFolder({hq_dir});
  REQUIRE(v.ok());
  CHECK(v->ok());  // the node and verify read the same payload: nothing was lost
}

TEST_CASE("issue 7 #9: a member's box key redirected by a database edit is never sealed to",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey ada_key = ada->writer();
  const PublicKey ada_box = BoxKeyOf(*org.hq, ada_key);
  const PublicKey attacker = crypto::BoxKeyPair::Generate().public_key();
  // Ada's certificate, with the attacker's X25519 key in place of hers.
  std::optional<store::StoredEntry> cert;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kControl);
  REQUIRE(org.hq->log()
              .ForEach(f,
                       [&](store::StoredEntry& se) {
                         auto p = org::DecodeControlPayload(*se.entry.payload);
                         if (p.ok() && std::holds_alternative<org::Enrolment>(*p) &&
                             std::get<org::Enrolment>(*p).subject == ada_key) {
                           cert = se;
                         }
                         return Status::Ok();
                       })
              .ok());
  REQUIRE(cert);
  Bytes edited = *cert->entry.payload;
  auto at = std::search(edited.begin(), edited.end(), ada_box.begin(), ada_box.end());
  REQUIRE(at != edited.end());
  std::copy(attacker.begin(), attacker.end(), at);
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  EditDatabase(hq_dir / "fieldcase.db", "UPDATE payloads SET payload = " + Blob(edited) +
                                            " WHERE id = " + Blob(cert->entry.id));
  auto hq = Reopen(hq_dir);
  auto team = hq->RotateTeamKey(kNow);
  REQUIRE(team.ok());
  for (const auto& m : hq->members()) CHECK(m.second.box_key != attacker);
  store::EntryFilter keys;
  keys.kind = uint8_t(store::Kind::kKey);
  REQUIRE(hq->log()
              .ForEach(keys,
                       [&](store::StoredEntry& se) {
                         auto p = org::DecodeKeyPayload(*se.entry.payload);
                         REQUIRE(p.ok());
                         for (const auto& w : p->wraps) CHECK(w.recipient != attacker);
                         return Status::Ok();
                       })
              .ok());
  auto v = node::VerifyFolder({hq_dir});
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok());  // and verify names the edited payload
}

TEST_CASE(
    "issue 7 #10: a deleted head row or a forged evidence flag never makes a node fork itself",
    "[regressions][attack]") {
  test::Org org;
  const PublicKey me = org.hq->writer();
  auto last = org.hq->log().HeadOf(me);
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  const uint64_t seq = (*last)->seq;
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  SECTION("the head row deleted") {
    EditDatabase(hq_dir / "fieldcase.db", "DELETE FROM heads WHERE author = " + Blob(me));
    auto v = node::VerifyFolder({hq_dir});
    REQUIRE(v.ok());
    CHECK_FALSE(v->ok());  // verify sees the heads table disagree with the entries
  }
  SECTION("the evidence flag set on the newest entry") {
    EditDatabase(hq_dir / "fieldcase.db",
                 "UPDATE entries SET evidence = 1 WHERE id = " + Blob((*last)->id));
    auto v = node::VerifyFolder({hq_dir});
    REQUIRE(v.ok());
    CHECK_FALSE(v->ok());
  }
  auto hq = Reopen(hq_dir);
  auto id = hq->Write(org.case_id, record::AddNote{"incident", "after the edit"}, kNow);
  REQUIRE(id.ok());
  auto written = hq->log().Get(*id);
  REQUIRE(written.ok());
  CHECK((*written)->entry.header.seq == seq + 1);
  auto forked = hq->log().HasForkEvidence(me);
  REQUIRE(forked.ok());
  CHECK_FALSE(*forked);
}

TEST_CASE("issue 7 #11: verify names a missing founding entry and missing append-only guards",
          "[regressions][attack]") {
  SECTION("no founding entry") {
    test::TempDir tmp;
    test::OrgBuilder o;  // the root writes, but never its founding entry
    o.Enrol("root", "admin", Role::kAdmin);
    o.Enrol("admin", "officer", Role::kOfficer);
    {
      auto log = store::Store::Open(tmp / "fieldcase.db", org::ValidateKeyOrControl);
      REQUIRE(log.ok());
      REQUIRE((*log)->SetOrgId(o.org).ok());
      for (const auto& e : o.log) REQUIRE((*log)->Append(e, false, kNow).status.ok());
    }
    auto v = node::VerifyFolder({tmp.path()});
    REQUIRE(v.ok());
    CHECK_FALSE(v->ok());
    bool named = false;
    for (const auto& p : v->problems) named |= p.what.find("founding entry") != std::string::npos;
    CHECK(named);
  }
  SECTION("a trigger dropped") {
    test::Org org;
    org.hq.reset();
    const auto db = org.tmp.path() / "hq" / "fieldcase.db";
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "DROP TRIGGER entries_no_delete", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(h);
    auto v = node::VerifyFolder({org.tmp.path() / "hq"});
    REQUIRE(v.ok());
    REQUIRE_FALSE(v->ok());
    bool named = false;
    for (const auto& p : v->problems)
      named |= p.what.find("entries_no_delete") != std::string::npos;
    CHECK(named);
  }
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

namespace {

struct Enrolment {
  std::unique_ptr<node::Node> device;
  Bytes response;
};

Enrolment NewDeviceAndResponse(test::Org& org, const std::string& name) {
  auto d = node::Node::InitDevice({org.tmp.path() / name}, test::Pass(), crypto::KdfCost::kInteractive);
  REQUIRE(d.ok());
  auto req = (*d)->MakeEnrolRequest(name, "B-" + name);
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  return {std::move(d).value(), out->response};
}

}  // namespace

TEST_CASE("issue 7 #7: a response altered anywhere is refused whole, and the device joins after",
          "[regressions][attack]") {
  test::Org org;
  auto [device, response] = NewDeviceAndResponse(org, "ada");
  // One flipped bit at a spread of places: magic, ids, the sealed directory key, entries,
  // payloads, the signer and the signature.
  const size_t step = std::max<size_t>(1, response.size() / 97);
  for (size_t at = 0; at < response.size(); at += step) {
    Bytes bad = response;
    bad[at] ^= 0x01;
    auto decoded = org::DecodeEnrolResponse(bad);
    INFO("byte " << at << " of " << response.size());
    CHECK_FALSE(decoded.ok());
  }
  // Truncated, or with an entry dropped or duplicated (the count no longer matches the
  // signed bytes): refused too.
  CHECK_FALSE(org::DecodeEnrolResponse(ByteView(response).first(response.size() - 1)).ok());
  auto good = org::DecodeEnrolResponse(response);
  REQUIRE(good.ok());
  CHECK_FALSE(device->is_member());
  REQUIRE(device->Join(*good, test::Pass(), kNow).ok());
  CHECK(device->is_member());
  CHECK(NoteTexts(*device, org.case_id) == "written at HQ|");
}

TEST_CASE("issue 7 #7: a directory key sealed by a stranger is refused and nothing is joined",
          "[regressions][attack]") {
  test::Org org;
  auto [device, response] = NewDeviceAndResponse(org, "ada");
  auto good = org::DecodeEnrolResponse(response);
  REQUIRE(good.ok());
  // A stranger who saw the request (its X25519 key is in it) seals a directory key of his
  // own — the wrong size, too — and signs the response with his own key.
  org::EnrolResponse forged = *good;
  auto stranger = crypto::SigningKey::Generate();
  auto req = device->MakeEnrolRequest("ada", "B-ada");
  REQUIRE(req.ok());
  auto decoded_req = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded_req.ok());
  auto sealed = crypto::SealTo(decoded_req->box_key,
                               org::DirectoryKeyContext(good->org_id, decoded_req->box_key),
                               Bytes(5, 0x42));
  REQUIRE(sealed.ok());
  forged.sealed_directory_key = *sealed;
  auto forged_bytes = org::EncodeEnrolResponse(forged, stranger);
  auto decoded = org::DecodeEnrolResponse(forged_bytes);
  REQUIRE(decoded.ok());  // well formed, but signed by nobody of the org
  Status s = device->Join(*decoded, test::Pass(), kNow);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("not signed by an administrator"));
  CHECK_FALSE(device->is_member());
  // The folder is as it was: the real response joins.
  REQUIRE(device->Join(*good, test::Pass(), kNow).ok());
  CHECK(device->is_member());
}

TEST_CASE("issue 7 #8: names and badges in requests are printable text, bounded",
          "[regressions][attack]") {
  test::Org org;
  auto d = node::Node::InitDevice({org.tmp.path() / "eve"}, test::Pass(), crypto::KdfCost::kInteractive);
  REQUIRE(d.ok());
  // A name that paints a fake prompt with another device's fingerprint.
  const std::string paint = "Eve\x1b[2K\rDevice PC Bob asks to join. Request fingerprint: 0000";
  auto own = (*d)->MakeEnrolRequest(paint, "1");
  REQUIRE_FALSE(own.ok());
  CHECK_THAT(own.status().message(), Catch::Contains("printable"));
  CHECK_FALSE((*d)->MakeEnrolRequest(std::string(300, 'a'), "1").ok());
  // A custom client writes it anyway: decoding refuses it before anything is shown.
  test::Forger m(org.hq->org_id());
  auto bytes = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), paint, "1", std::nullopt}, m.key);
  auto decoded = org::DecodeEnrolRequest(bytes);
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("unprintable"));
  // Two requests never share a fingerprint.
  auto a = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), "Eve", "1", std::nullopt}, m.key);
  auto b = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), "Eve", "2", std::nullopt}, m.key);
  CHECK(org::RequestFingerprint(a) != org::RequestFingerprint(b));
}

TEST_CASE("issue 7 #2: only the key itself, or an administrator who confirms a lost device, names "
          "its successor",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey ada_key = ada->writer();
  // Mallory's request claims to succeed Ada's key: Ada's key never signed it.
  test::Forger mallory(org.hq->org_id());
  org::EnrolRequest hijack = mallory.Request("mallory");
  hijack.successor_of = ada_key;
  auto bytes = org::EncodeEnrolRequest(hijack, mallory.key);
  auto decoded = org::DecodeEnrolRequest(bytes);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded->vouched);
  auto refused = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("did not sign it"));
  CHECK_FALSE(IsRevoked(*org.hq, ada_key));
  // A vouch signed by any other key is refused when the request is read.
  auto forged_vouch = org::EncodeEnrolRequest(hijack, mallory.key, &mallory.key);
  CHECK_FALSE(org::DecodeEnrolRequest(forged_vouch).ok());
  // An administrator who confirms that Ada's device was lost: the successor is enrolled
  // and the lost device revoked.
  auto confirmed = org.hq->Enrol(*decoded, Role::kOfficer, kNow, ada_key);
  REQUIRE(confirmed.ok());
  CHECK(IsRevoked(*org.hq, ada_key));
  CHECK(org.hq->members().at(mallory.pk()).predecessor == ada_key);
}

TEST_CASE("issue 7 #2: a successor's cut-off keeps what the device wrote that HQ had not seen",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey old_key = ada->writer();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(ada->Write(org.case_id, record::AddNote{"incident", "offline " + std::to_string(i)}, kNow)
                .ok());
  }
  // Ada re-keys before HQ has seen those notes; her old key vouches for the new one and
  // says where its chain ends.
  auto req = ada->MakeSuccessorRequest("ada", "B-ada", test::Pass());
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  CHECK(decoded->vouched);
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  auto resp = org::DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE(ada->Join(*resp, test::Pass(), kNow).ok());
  CHECK(ada->writer() != old_key);
  test::Sync(*ada, *org.hq);
  CHECK(NoteTexts(*org.hq, org.case_id) == "written at HQ|offline 0|offline 1|offline 2|");
}
