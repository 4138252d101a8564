#include <catch2/catch.hpp>

#include "fieldcase/store/verify.h"
#include "fieldcase/sync/node.h"
#include "test_util.h"

using namespace fieldcase;
using namespace fieldcase::sync;

namespace {

constexpr int64_t kNow = 1764374400000;

crypto::SecretBytes Pass() { return crypto::SecretBytes::CopyFrom(AsBytes("Correct-Horse-42")); }

// Several nodes of one organisation in one process, each in its own data folder.
struct Org {
  test::TempDir tmp;
  std::unique_ptr<Node> hq;  // root, admin and supervisor keys
  Id128 case_id{};

  Org() {
    FoundOptions o;
    o.org_name = "Test Force";
    o.person_name = "Sgt Hq";
    o.cost = crypto::KdfCost::kInteractive;
    o.recovery_out = tmp.path() / "recovery";
    auto n = Node::Found({tmp.path() / "hq"}, o, Pass(),
                         crypto::SecretBytes::CopyFrom(AsBytes("Recovery-Staple-77")), kNow);
    REQUIRE(n.ok());
    hq = std::move(n).value();
    OpenCase op;
    op.template_name = "stalking";
    op.fields = {{"victim", {}}};
    op.note_kinds = {"incident"};
    auto c = hq->OpenCase(op, kNow);
    REQUIRE(c.ok());
    case_id = *c;
    REQUIRE(hq->Write(case_id, AddNote{"incident", "written at HQ"}, kNow).ok());
  }

  std::unique_ptr<Node> Device(const std::string& name, Role role) {
    auto d = Node::InitDevice({tmp.path() / name}, Pass(), crypto::KdfCost::kInteractive);
    REQUIRE(d.ok());
    auto req = (*d)->MakeEnrolRequest(name, "B-" + name);
    REQUIRE(req.ok());
    auto decoded = DecodeEnrolRequest(*req);
    REQUIRE(decoded.ok());
    auto out = hq->Enrol(*decoded, role, kNow);
    REQUIRE(out.ok());
    auto resp = DecodeEnrolResponse(out->response);
    REQUIRE(resp.ok());
    REQUIRE((*d)->Join(*resp, Pass(), kNow).ok());
    return std::move(d).value();
  }
};

// Moves everything `from` holds into `to` (what sync will do over a wire).
ImportReport Sync(Node& from, Node& to) {
  auto all = from.ExportAll();
  REQUIRE(all.ok());
  auto rep = to.Import(*all, kNow);
  REQUIRE(rep.ok());
  return *rep;
}

}  // namespace

TEST_CASE("sync: an enrolled officer reads a colleague's case and is read back", "[sync][org]") {
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
  for (const auto& m : org.hq->Members()) named |= m.member.personal && m.member.personal->name == "ada";
  CHECK(named);
}

TEST_CASE("sync: hub and auditor verify everything and read nothing", "[sync][org]") {
  Org org;
  for (Role role : {Role::kHub, Role::kAuditor}) {
    auto dev = org.Device(ToString(role), role);
    auto view = dev->LoadCase(org.case_id);
    REQUIRE(view.ok());
    CHECK(view->notes.empty());
    CHECK_FALSE(view->opened);
    CHECK(view->undecryptable.size() == 2);  // the open-case entry and the note
    CHECK_FALSE(dev->Write(org.case_id, AddNote{"incident", "x"}, kNow).ok());
    // Names stay sealed: no directory key.
    for (const auto& m : dev->Members()) CHECK_FALSE(m.member.personal);
  }
}

TEST_CASE("sync: a revoked officer stops writing and its later entries are quarantined",
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

TEST_CASE("sync: a fork of a device is detected on every node whichever branch came first",
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
  auto rep = store::VerifyStore(org.tmp.path() / "hq" / "fieldcase.db");
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

TEST_CASE("sync: a backup leaves the keys out and refuses to write when restored",
          "[sync][org]") {
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
  REQUIRE_FALSE(w.ok());        // but does not write
  CHECK_THAT(w.status().message(), Catch::Contains("restored from a backup"));
}

TEST_CASE("sync: enrolment files are checked before anything is written", "[sync][org]") {
  Org org;
  auto d = Node::InitDevice({org.tmp.path() / "dev"}, Pass(), crypto::KdfCost::kInteractive);
  REQUIRE(d.ok());
  auto req = (*d)->MakeEnrolRequest("x", "y");
  REQUIRE(req.ok());
  Bytes bad = *req;
  bad[40] ^= 1;
  CHECK_FALSE(DecodeEnrolRequest(bad).ok());
  for (size_t n = 0; n < req->size(); n += 7) CHECK_FALSE(DecodeEnrolRequest(ByteView(*req).first(n)).ok());
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
  // entry count at offset 5 + 32 + 32 + 4 + sealed-key length
  size_t count_at = 73 + size_t(GetLE(huge.data() + 69, 4));
  for (size_t i = 0; i < 8; ++i) huge[count_at + i] = 0xff;
  CHECK_FALSE(DecodeEnrolResponse(huge).ok());
  // Another device's response does not join this one.
  auto other = Node::InitDevice({org.tmp.path() / "dev2"}, Pass(), crypto::KdfCost::kInteractive);
  REQUIRE(other.ok());
  auto resp = DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  CHECK_FALSE((*other)->Join(*resp, Pass(), kNow).ok());
}
