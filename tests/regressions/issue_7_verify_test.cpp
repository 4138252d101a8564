// Issue 7, what verify must see (#9, #10, #11): each attack an adversarial review proved, performed
// here and shown to fail.
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
  const store::StoredEntry cert = CertificateOf(*org.hq, ada_key);
  Bytes edited = *cert.entry.payload;
  auto at = std::search(edited.begin(), edited.end(), ada_box.begin(), ada_box.end());
  REQUIRE(at != edited.end());
  std::copy(attacker.begin(), attacker.end(), at);
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  EditDatabase(hq_dir / "fieldcase.db", "UPDATE payloads SET payload = " + Blob(edited) +
                                            " WHERE id = " + Blob(cert.entry.id));
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

TEST_CASE("issue 7 #11: verify --device names this device's deleted payloads and a replaced store",
          "[regressions][attack]") {
  test::Org org;
  auto note = org.hq->Write(org.case_id, record::AddNote{"incident", "seen at the gate"}, kNow);
  REQUIRE(note.ok());
  {
    auto clean = org.hq->CheckOwnEntries();
    REQUIRE(clean.ok());
    CHECK(clean->empty());
  }
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  SECTION("a payload row of an entry this device wrote is deleted") {
    EditDatabase(hq_dir / "fieldcase.db",
                 "DELETE FROM payloads WHERE id = " + Blob(*note));
    auto hq = Reopen(hq_dir);
    auto own = hq->CheckOwnEntries();
    REQUIRE(own.ok());
    REQUIRE(own->size() == 1);
    CHECK((*own)[0].id == *note);
    CHECK((*own)[0].what.find("payload is gone") != std::string::npos);
  }
  SECTION("the database is swapped for another organisation's, keystore kept") {
    test::Org other;
    other.hq.reset();
    std::filesystem::copy_file(other.tmp.path() / "hq" / "fieldcase.db",
                               hq_dir / "fieldcase.db",
                               std::filesystem::copy_options::overwrite_existing);
    auto hq = node::Node::Unlock({hq_dir}, test::Pass());
    if (hq.ok()) {  // else refused outright, which is as good
      auto own = (*hq)->CheckOwnEntries();
      REQUIRE(own.ok());
      CHECK_FALSE(own->empty());
    }
  }
}

TEST_CASE("a control entry put into the database without its author's signature is never used",
          "[regressions][attack]") {
  // Someone with the data folder but not the passphrase writes a row as fieldcase would,
  // every column consistent, but cannot sign it: here Ada's certificate re-signed with
  // nothing (its id recomputed to match). The node must not take such a row as a member,
  // a key or a revocation: it refuses to unlock and says what happened.
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey ada_key = ada->writer();
  const store::StoredEntry cert = CertificateOf(*org.hq, ada_key);
  const Signature none{};
  const Id forged = store::EntryId(cert.entry.header_bytes, none);
  org.hq.reset();
  const auto hq_dir = org.tmp.path() / "hq";
  const std::string from = Blob(cert.entry.id), to = Blob(forged);
  EditDatabase(hq_dir / "fieldcase.db",
               "UPDATE entries SET id = " + to + ", signature = " + Blob(none) +
                   " WHERE id = " + from + "; UPDATE payloads SET id = " + to +
                   " WHERE id = " + from + "; UPDATE heads SET id = " + to + " WHERE id = " + from);
  auto hq = node::Node::Unlock({hq_dir}, Pass());
  REQUIRE_FALSE(hq.ok());
  CHECK_THAT(hq.status().message(), Catch::Contains("signature does not verify"));
  auto v = node::VerifyFolder({hq_dir});
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok());  // verify, which needs no passphrase, names it too
}
