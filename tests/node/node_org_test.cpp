#include <algorithm>

#include <catch2/catch.hpp>

#include "fieldcase/node/node.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/record/hlc.h"
#include "fieldcase/store/verify.h"
#include "fieldcase/sync/bundle.h"
#include "node/node_fixture.h"
#include "org/org_builder.h"
#include "test_util.h"

using namespace fieldcase;
using namespace fieldcase::record;
using namespace fieldcase::org;
using namespace fieldcase::sync;
using namespace fieldcase::node;

using test::kNow;
using test::Org;
using test::Pass;
using test::Sync;

TEST_CASE("node: an enrolled officer reads a colleague's case and is read back", "[sync][org]") {
  Org org;
  auto officer = org.Device("ada", Role::kOfficer);
  CHECK(officer->is_member());
  auto view = officer->LoadCase(org.case_id);
  REQUIRE(view.ok());
  REQUIRE(view->notes.size() == 1);
  CHECK(view->notes[0].text == "written at HQ");
  CHECK(view->undecryptable.empty());
  REQUIRE(officer->Write(org.case_id, AddNote{"incident", "written by Ada"}, kNow).ok());
  auto rep = Sync(*officer, *org.hq);
  CHECK(rep.rejected == 0);
  CHECK(rep.added == 1);
  auto back = org.hq->LoadCase(org.case_id);
  REQUIRE(back.ok());
  CHECK(back->notes.size() == 2);
  // Names open where the directory key is held.
  bool named = false;
  for (const auto& m : org.hq->Members())
    named |= m.member.personal && m.member.personal->name == "ada";
  CHECK(named);
}

TEST_CASE("node: hub and auditor verify everything and read nothing", "[sync][org]") {
  Org org;
  for (Role role : {Role::kHub, Role::kAuditor}) {
    auto dev = org.Device(ToString(role), role);
    auto view = dev->LoadCase(org.case_id);
    REQUIRE(view.ok());
    CHECK(view->notes.empty());
    CHECK_FALSE(view->opened);
    CHECK(view->undecryptable.size() == 2);  // the open-case entry and the note
    CHECK_FALSE(dev->Write(org.case_id, AddNote{"incident", "x"}, kNow).ok());
    // A hub holds no directory key; an auditor does, so its reports name people
    // (docs/keys.md).
    bool names = false;
    for (const auto& m : dev->Members()) names |= m.member.personal.has_value();
    CHECK(names == (role == Role::kAuditor));
  }
}

TEST_CASE("node: a revoked officer stops writing and its later entries are quarantined",
          "[sync][org]") {
  Org org;
  auto officer = org.Device("bob", Role::kOfficer);
  auto before = officer->Write(org.case_id, AddNote{"incident", "before"}, kNow);
  REQUIRE(before.ok());
  Sync(*officer, *org.hq);
  auto members = org.hq->Members();
  auto bob = org.hq->ResolveMember("bob");
  REQUIRE(bob.ok());
  REQUIRE(org.hq->Revoke(*bob, kNow).ok());
  // Bob, offline, writes on; his entry arrives at HQ after the revocation.
  auto after = officer->Write(org.case_id, AddNote{"incident", "after"}, kNow);
  REQUIRE(after.ok());
  Sync(*officer, *org.hq);
  CHECK((*org.hq->log().Get(*before))->status == store::EntryStatus::kAccepted);
  CHECK((*org.hq->log().Get(*after))->status == store::EntryStatus::kQuarantined);
  auto view = org.hq->LoadCase(org.case_id);
  REQUIRE(view.ok());
  CHECK(view->notes.size() == 2);  // HQ's and "before"; "after" is out of the view
  // Once Bob hears of it, his device refuses to write.
  Sync(*org.hq, *officer);
  auto refused = officer->Write(org.case_id, AddNote{"incident", "refused"}, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("revoked"));
}

TEST_CASE("node: a fork of a device is detected on every node whichever branch came first",
          "[sync][org]") {
  Org org;
  auto officer = org.Device("cy", Role::kOfficer);
  REQUIRE(officer->Write(org.case_id, AddNote{"incident", "one"}, kNow).ok());
  // A clone of the device's folder writes its own seq 2 (a restored or copied device).
  officer.reset();
  std::filesystem::copy(org.tmp.path() / "cy", org.tmp.path() / "cy-clone",
                        std::filesystem::copy_options::recursive);
  auto a = Node::Unlock({org.tmp.path() / "cy"}, Pass());
  auto b = Node::Unlock({org.tmp.path() / "cy-clone"}, Pass());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE((*a)->Write(org.case_id, AddNote{"incident", "branch a"}, kNow).ok());
  REQUIRE((*b)->Write(org.case_id, AddNote{"incident", "branch b"}, kNow).ok());
  Sync(**a, *org.hq);
  Sync(**b, *org.hq);
  Sync(*org.hq, **a);
  auto rep = store::VerifyStore(org.tmp.path() / "hq" / "fieldcase.db", org::ValidateKeyOrControl);
  REQUIRE(rep.ok());
  CHECK(rep->forks.size() == 1);
  // Both branches are quarantined on HQ and on the device that saw the other branch.
  for (Node* n : {org.hq.get(), a->get()}) {
    auto v = n->LoadCase(org.case_id);
    REQUIRE(v.ok());
    for (const auto& note : v->notes) CHECK(note.text.rfind("branch", 0) == std::string::npos);
  }
  // And the device that learned of entries of its own key it did not write stops.
  auto w = (*a)->Write(org.case_id, AddNote{"incident", "more"}, kNow);
  CHECK_FALSE(w.ok());
}

TEST_CASE("node: a backup leaves the keys out and refuses to write when restored", "[sync][org]") {
  Org org;
  auto dir = org.tmp.path() / "backup";
  REQUIRE(org.hq->Backup(dir).ok());
  CHECK(std::filesystem::exists(dir / "fieldcase.db"));
  CHECK_FALSE(std::filesystem::exists(dir / "keystore"));
  CHECK_FALSE(org.hq->Backup(dir).ok());  // never overwrites
  // Restore: the keystore comes from the device, the log from the backup.
  org.hq.reset();
  auto restored = org.tmp.path() / "restored";
  std::filesystem::create_directories(restored);
  std::filesystem::copy(dir / "fieldcase.db", restored / "fieldcase.db");
  std::filesystem::copy(org.tmp.path() / "hq" / "keystore", restored / "keystore");
  auto n = Node::Unlock({restored}, Pass());
  REQUIRE(n.ok());
  auto v = (*n)->LoadCase(org.case_id);
  REQUIRE(v.ok());
  CHECK(v->notes.size() == 1);  // reads
  auto w = (*n)->Write(org.case_id, AddNote{"incident", "x"}, kNow);
  REQUIRE_FALSE(w.ok());  // but does not write
  CHECK_THAT(w.status().message(), Catch::Contains("restored from a backup"));
}

TEST_CASE("node: enrolment files are checked before anything is written", "[sync][org]") {
  Org org;
  auto d = Node::InitDevice({org.tmp.path() / "dev"}, Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(d.ok());
  auto req = (*d)->MakeEnrolRequest("x", "y");
  REQUIRE(req.ok());
  Bytes bad = *req;
  bad[40] ^= 1;
  CHECK_FALSE(DecodeEnrolRequest(bad).ok());
  for (size_t n = 0; n < req->size(); n += 7)
    CHECK_FALSE(DecodeEnrolRequest(ByteView(*req).first(n)).ok());
  auto decoded = DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  CHECK_FALSE(org.hq->Enrol(*decoded, Role::kOfficer, kNow).ok());  // already enrolled
  // A truncated or padded response is refused whole.
  CHECK_FALSE(DecodeEnrolResponse(ByteView(out->response).first(out->response.size() - 1)).ok());
  Bytes padded = out->response;
  padded.push_back(0);
  CHECK_FALSE(DecodeEnrolResponse(padded).ok());
  Bytes huge = out->response;
  // bundle length at offset 5 + 32 + 32 + 4 + sealed-key length
  size_t count_at = 73 + size_t(GetLE(huge.data() + 69, 4));
  for (size_t i = 0; i < 8; ++i) huge[count_at + i] = 0xff;
  CHECK_FALSE(DecodeEnrolResponse(huge).ok());
  // Another device's response does not join this one.
  auto other = Node::InitDevice({org.tmp.path() / "dev2"}, Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(other.ok());
  auto resp = DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  CHECK_FALSE((*other)->Join(*resp, Pass(), kNow).ok());
}

namespace {
std::string NoteTexts(Node& n, const Id128& c) {
  auto v = n.LoadCase(c);
  REQUIRE(v.ok());
  std::string all;
  for (const auto& note : v->notes) all += note.text + "|";
  return all;
}
OpenCase SmallTemplate() {
  OpenCase op;
  op.template_name = "stalking";
  op.note_kinds = {"incident"};
  return op;
}
}  // namespace

TEST_CASE("node: an enrolment response carries its entries as a bundle only that device opens",
          "[org][bundle][attack]") {
  Org org;
  auto d = Node::InitDevice({org.tmp.path() / "dana"}, Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(d.ok());
  auto req = DecodeEnrolRequest(*(*d)->MakeEnrolRequest("dana", "D-1"));
  REQUIRE(req.ok());
  auto out = org.hq->Enrol(*req, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  // No entry travels in clear: not even the certificate's signed header is in the file.
  auto cert = org.hq->log().Get(out->certificate);
  REQUIRE(cert.ok());
  REQUIRE(cert->has_value());
  const auto& header = (*cert)->entry.header_bytes;
  CHECK(std::search(out->response.begin(), out->response.end(), header.begin(), header.end()) ==
        out->response.end());
  auto resp = DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  // Anyone else who holds the file cannot open its bundle.
  auto opened = OpenBundle(resp->bundle, resp->org_id, crypto::BoxKeyPair::Generate());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kNotPermitted);
  // Signed again by a stranger, around the administrator's bundle: the bundle's maker and
  // the response's signer differ, and nothing is joined.
  auto forged = DecodeEnrolResponse(EncodeEnrolResponse(*resp, crypto::SigningKey::Generate()));
  REQUIRE(forged.ok());
  Status s = (*d)->Join(*forged, Pass(), kNow);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("another key"));
  CHECK_FALSE((*d)->is_member());
  // A response of the older layout (entries in clear) is refused with what to ask for.
  Bytes older = out->response;
  older[4] = 2;
  auto refused = DecodeEnrolResponse(older);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("--reissue"));
  // The real one joins.
  REQUIRE((*d)->Join(*resp, Pass(), kNow).ok());
  CHECK((*d)->is_member());
  CHECK(NoteTexts(**d, org.case_id) == "written at HQ|");
}


TEST_CASE("node: team key generations reach current devices and carry history", "[sync][keys]") {
  Org org;
  auto early = org.Device("early", Role::kOfficer);
  REQUIRE(org.hq->RotateTeamKey(kNow).ok());
  // A case under generation 2.
  auto c2 = org.hq->OpenCase(SmallTemplate(), kNow);
  REQUIRE(c2.ok());
  REQUIRE(org.hq->Write(*c2, AddNote{"incident", "under gen 2"}, kNow).ok());
  Sync(*org.hq, *early);
  CHECK(NoteTexts(*early, *c2) == "under gen 2|");  // generation 2 was sealed to it
  // A device enrolled now receives only generation 2, and reads generation 1's case too.
  auto late = org.Device("late", Role::kOfficer);
  CHECK(NoteTexts(*late, org.case_id) == "written at HQ|");
  CHECK(NoteTexts(*late, *c2) == "under gen 2|");
}

TEST_CASE("node: after a revocation the next write uses a key the revoked device lacks",
          "[sync][keys]") {
  Org org;
  auto kept = org.Device("kept", Role::kOfficer);
  auto gone = org.Device("gone", Role::kOfficer);
  auto who = org.hq->ResolveMember("gone");
  REQUIRE(who.ok());
  REQUIRE(org.hq->Revoke(*who, kNow).ok());
  // HQ writes into the old case: the case key rotates first (lazy rotation), sealed
  // without the revoked device.
  REQUIRE(org.hq->Write(org.case_id, AddNote{"incident", "after revocation"}, kNow).ok());
  Sync(*org.hq, *kept);
  Sync(*org.hq, *gone);
  CHECK(NoteTexts(*kept, org.case_id) == "written at HQ|after revocation|");
  auto gone_view = gone->LoadCase(org.case_id);
  REQUIRE(gone_view.ok());
  CHECK(gone_view->notes.size() == 1);          // it kept what it had
  CHECK(gone_view->undecryptable.size() == 1);  // and cannot read what came after
  // The team key moved on too: a new case is out of its reach.
  REQUIRE(org.hq->RotateTeamKey(kNow).ok());
  auto fresh = org.hq->OpenCase(SmallTemplate(), kNow);
  REQUIRE(fresh.ok());
  Sync(*org.hq, *gone);
  Sync(*org.hq, *kept);
  auto g = gone->LoadCase(*fresh);
  REQUIRE(g.ok());
  CHECK_FALSE(g->opened);
  auto k = kept->LoadCase(*fresh);
  REQUIRE(k.ok());
  CHECK(k->opened);
}

TEST_CASE("node: a restricted case is read and keyed only by its named persons", "[sync][keys]") {
  Org org;
  auto alice = org.Device("alice", Role::kOfficer);
  auto bob = org.Device("bob", Role::kOfficer);
  Sync(*org.hq, *alice);
  auto bob_person = alice->ResolvePerson("bob");
  REQUIRE(bob_person.ok());
  auto rc = alice->OpenCase(SmallTemplate(), kNow, {*bob_person});
  REQUIRE(rc.ok());
  CHECK(alice->IsRestricted(*rc));
  REQUIRE(alice->Write(*rc, AddNote{"incident", "restricted note"}, kNow).ok());
  Sync(*alice, *org.hq);
  Sync(*alice, *bob);
  CHECK(NoteTexts(*bob, *rc) == "restricted note|");
  // HQ (not named) holds the entries but cannot read them, nor write the next key.
  auto hq_view = org.hq->LoadCase(*rc);
  REQUIRE(hq_view.ok());
  CHECK(hq_view->notes.empty());
  CHECK(hq_view->undecryptable.size() == 2);
  CHECK_FALSE(org.hq->Write(*rc, AddNote{"incident", "x"}, kNow).ok());

  // The recovery holder grants the key to a new person when the members are gone.
  auto carol = org.Device("carol", Role::kOfficer);
  Sync(*alice, *carol);
  CHECK(NoteTexts(*carol, *rc).empty());
  auto recovery = OpenRecoveryFile(org.tmp.path() / "recovery",
                                   crypto::SecretBytes::CopyFrom(AsBytes("Recovery-Staple-77")));
  REQUIRE(recovery.ok());
  auto carol_person = org.hq->ResolvePerson("carol");
  REQUIRE(carol_person.ok());
  auto grant = org.hq->Recover(*rc, {*carol_person}, std::move(recovery).value(), kNow);
  REQUIRE(grant.ok());
  CHECK((*org.hq->log().Get(*grant))->status == store::EntryStatus::kAccepted);
  CHECK(org.hq->LoadCase(*rc)->notes.empty());  // HQ itself still reads nothing
  Sync(*org.hq, *carol);
  CHECK(NoteTexts(*carol, *rc) == "restricted note|");
}

TEST_CASE("node: a non-member's key entry for a restricted case is quarantined everywhere",
          "[sync][keys]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", Role::kAdmin);
  // Enrolments with distinct persons and box keys.
  auto enrol = [&](const std::string& who, uint8_t tag) {
    Enrolment en;
    en.subject = o.Pk(who);
    en.role = Role::kOfficer;
    en.person_id.fill(tag);
    en.box_key.fill(tag);
    return o.Write("admin", 3, EncodeControlPayload(en));
  };
  enrol("member", 1);
  enrol("outsider", 2);
  // The member opens a restricted case sealed to box key 1 only.
  const auto& mk = o.Key("member");
  uint64_t seq = o.heads[mk.public_key()].first + 1;
  KeyPayload open;
  open.op = KeyOpCode::kCaseKey;
  open.key_id = store::KeyIdFor(mk.public_key(), seq);
  Wrap sealed;
  sealed.type = WrapType::kSealed;
  sealed.recipient.fill(1);
  sealed.blob = Bytes(80, 0);
  open.wraps = {sealed};
  auto opening =
      o.Write("member", 2, EncodeKeyPayload(open), store::CaseIdFor(mk.public_key(), seq));
  // The outsider writes a grant of that key to itself.
  KeyPayload grant = open;
  grant.op = KeyOpCode::kGrant;
  grant.wraps[0].recipient.fill(2);
  auto g = o.Write("outsider", 2, EncodeKeyPayload(grant), opening.header.case_id);
  // The member writes the next generation.
  KeyPayload next = open;
  const auto& mk2 = o.Key("member");
  next.key_id = store::KeyIdFor(mk2.public_key(), o.heads[mk2.public_key()].first + 1);
  next.generation = 2;
  next.previous_key_id = open.key_id;
  auto n = o.Write("member", 2, EncodeKeyPayload(next), opening.header.case_id);
  // The outsider writes a next generation of its own, under the team key: not named on the
  // case, quarantined. Then one more naming that one as its previous: a refused key passes
  // nothing on, so it is quarantined too (it was accepted, and a member's device would have
  // taken it as the case's newest key, readable by every team-key holder).
  const auto& ok = o.Key("outsider");
  Wrap team;
  team.type = WrapType::kUnderTeamKey;
  team.recipient.fill(7);
  team.blob = Bytes(72, 0);
  KeyPayload k1 = open;
  k1.key_id = store::KeyIdFor(ok.public_key(), o.heads[ok.public_key()].first + 1);
  k1.generation = 2;
  k1.previous_key_id = open.key_id;
  k1.wraps = {team};
  auto e1 = o.Write("outsider", 2, EncodeKeyPayload(k1), opening.header.case_id);
  KeyPayload k2 = k1;
  k2.key_id = store::KeyIdFor(ok.public_key(), o.heads[ok.public_key()].first + 1);
  k2.generation = 3;
  k2.previous_key_id = k1.key_id;
  auto e2 = o.Write("outsider", 2, EncodeKeyPayload(k2), opening.header.case_id);
  auto st = o.Statuses(o.log);
  CHECK(st.at(opening.id) == store::EntryStatus::kAccepted);
  CHECK(st.at(g.id) == store::EntryStatus::kQuarantined);
  CHECK(st.at(n.id) == store::EntryStatus::kAccepted);
  CHECK(st.at(e1.id) == store::EntryStatus::kQuarantined);
  CHECK(st.at(e2.id) == store::EntryStatus::kQuarantined);
}

TEST_CASE("node: a supervisor grants the team key to a device enrolled without it",
          "[sync][keys]") {
  Org org;
  // A second admin, on a node with no supervisor key, enrols an officer.
  auto admin2 = org.Device("admin2", Role::kAdmin);
  auto d = Node::InitDevice({org.tmp.path() / "dana"}, Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(d.ok());
  auto req = DecodeEnrolRequest(*(*d)->MakeEnrolRequest("dana", "D-1"));
  REQUIRE(req.ok());
  auto out = admin2->Enrol(*req, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  CHECK_FALSE(out->team_key_granted);
  auto resp = DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE((*d)->Join(*resp, Pass(), kNow).ok());
  CHECK(NoteTexts(**d, org.case_id).empty());  // no team key yet
  // HQ (a supervisor) hears of the enrolment and grants the team key at that sync.
  Sync(*admin2, *org.hq);
  Sync(*org.hq, **d);
  CHECK(NoteTexts(**d, org.case_id) == "written at HQ|");
}

TEST_CASE("node: a restored device writes again only after a successor enrolment", "[sync][org]") {
  Org org;
  auto eve = org.Device("eve", Role::kOfficer);
  REQUIRE(eve->Write(org.case_id, AddNote{"incident", "before backup"}, kNow).ok());
  REQUIRE(eve->Backup(org.tmp.path() / "eve-backup").ok());
  auto after = eve->Write(org.case_id, AddNote{"incident", "after backup"}, kNow);
  REQUIRE(after.ok());
  Sync(*eve, *org.hq);
  eve.reset();
  // The disk fails; the log comes back from the backup, the keystore from the device.
  auto dir = org.tmp.path() / "eve";
  for (const char* f : {"fieldcase.db", "fieldcase.db-wal", "fieldcase.db-shm"}) {
    std::filesystem::remove(dir / f);
  }
  std::filesystem::copy(org.tmp.path() / "eve-backup" / "fieldcase.db", dir / "fieldcase.db");
  auto restored = Node::Unlock({dir}, Pass());
  REQUIRE(restored.ok());
  CHECK_FALSE((*restored)->Write(org.case_id, AddNote{"incident", "x"}, kNow).ok());
  auto req = (*restored)->MakeSuccessorRequest("eve", "B-eve", Pass());
  REQUIRE(req.ok());
  auto decoded = DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->successor_of);
  CHECK_FALSE(org.hq->Enrol(*decoded, Role::kSupervisor, kNow).ok());  // the role stays
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  auto resp = DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE((*restored)->Join(*resp, Pass(), kNow).ok());
  auto again = (*restored)->Write(org.case_id, AddNote{"incident", "with the new key"}, kNow);
  REQUIRE(again.ok());
  Sync(**restored, *org.hq);
  CHECK(NoteTexts(*org.hq, org.case_id) ==
        "written at HQ|before backup|after backup|with the new key|");
  // The old key is retired where HQ last saw it: anything it signs later is quarantined.
  CHECK((*org.hq->log().Get(*after))->status == store::EntryStatus::kAccepted);
}

TEST_CASE("node: what an import taught the clock survives a restart, capped at wall + 5 min",
          "[sync][org]") {
  Org org;
  auto officer = org.Device("fay", Role::kOfficer);
  // HQ's clock runs a day fast.
  const int64_t day = 86400000;
  REQUIRE(org.hq->Write(org.case_id, AddNote{"incident", "from the future"}, kNow + day).ok());
  Sync(*org.hq, *officer);
  officer.reset();
  auto again = Node::Unlock({org.tmp.path() / "fay"}, Pass());
  REQUIRE(again.ok());
  auto id = (*again)->Write(org.case_id, AddNote{"incident", "after restart"}, kNow);
  REQUIRE(id.ok());
  uint64_t hlc = (*(*again)->log().Get(*id))->entry.header.hlc;
  CHECK(HlcMillis(hlc) >= uint64_t(kNow + kFutureSkewMs));  // raised by what it saw…
  CHECK(HlcMillis(hlc) < uint64_t(kNow + day));             // …but never to the far future
}
