#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fieldcase/org/payload_rules.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/store/store.h"
#include "org_builder.h"
#include "test_util.h"

using namespace fieldcase;
using org::Role;
using store::EntryStatus;

namespace {

// root → admin → {supervisor, officer, hub, auditor}
test::OrgBuilder MakeOrg() {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", Role::kAdmin);
  o.Enrol("admin", "supervisor", Role::kSupervisor);
  o.Enrol("admin", "officer", Role::kOfficer);
  o.Enrol("admin", "hub", Role::kHub);
  o.Enrol("admin", "auditor", Role::kAuditor);
  return o;
}

}  // namespace

TEST_CASE("org: a well-formed org's entries are all accepted", "[sync][validity]") {
  auto o = MakeOrg();
  o.TeamKey("supervisor");
  auto ck = o.OpenCaseKey("officer");
  o.Data("officer", ck);
  o.Data("supervisor", ck);
  auto st = o.Statuses(o.log);
  for (const auto& e : o.log) CHECK(st.at(e.id) == EntryStatus::kAccepted);
}

TEST_CASE("org: authority follows DESIGN §5 for every role, kind and op", "[sync][validity]") {
  struct Row {
    Role role;
    bool data, case_key, case_grant, team_key, team_grant, enrol_officer, enrol_admin, revoke,
        accept, founding, receipt;
  };
  // role          data  case  cgrant team  tgrant enr-off enr-adm revoke accept found receipt
  std::vector<Row> table = {
      {Role::kRoot, false, false, false, false, false, false, true, true, true, false, false},
      {Role::kAdmin, false, false, false, false, false, true, false, true, true, false, false},
      {Role::kSupervisor, true, true, true, true, true, false, false, false, false, false, false},
      {Role::kOfficer, true, true, true, false, false, false, false, false, false, false, false},
      {Role::kHub, false, false, false, false, false, false, false, false, false, false, true},
      {Role::kAuditor, false, false, false, false, false, false, false, false, false, false, false},
  };
  for (const auto& row : table) {
    INFO(org::ToString(row.role));
    auto o = MakeOrg();
    std::string who = row.role == Role::kRoot ? "root" : org::ToString(row.role);
    auto ck = o.OpenCaseKey("officer");  // a case anyone may write into
    auto data = o.Data(who, ck);
    auto case_key = o.OpenCaseKey(who);
    auto grant = [&](const store::Entry& introducing, Id128 case_id) {
      org::KeyPayload p;
      p.op = org::KeyOpCode::kGrant;
      p.key_id = store::KeyIdFor(introducing.header.author, introducing.header.seq);
      return o.Write(who, 2, org::EncodeKeyPayload(p), case_id);
    };
    auto case_grant = grant(ck, ck.header.case_id);
    auto team_key = o.TeamKey(who);
    auto team_grant = grant(team_key, Id128{});
    auto enrol_officer = o.Enrol(who, "new-officer-" + who, Role::kOfficer);
    auto enrol_admin = o.Enrol(who, "new-admin-" + who, Role::kAdmin);
    // Cut-offs of a key this role governs, far beyond its entries so nothing else moves.
    std::string target = row.role == Role::kRoot ? "admin" : "auditor";
    auto revoke = o.Revoke(who, target, 1000, o.log[0].id);
    auto accept = o.Revoke(who, target, 1001, o.log[1].id, org::ControlOpCode::kAcceptUpTo);
    auto founding = o.Write(who, 3, org::EncodeControlPayload(org::Founding{"Other", {}}));
    // A receipt (kind 4) naming the officer's case key entry: only a hub's counts.
    org::Receipt r;
    r.heads.push_back({ck.header.author, ck.header.seq, ck.id, 0});
    auto receipt = o.Write(who, 4, org::EncodeReceipt(r));
    auto st = o.Statuses(o.log);
    auto ok = [&](const store::Entry& e) { return st.at(e.id) == EntryStatus::kAccepted; };
    CHECK(ok(data) == row.data);
    CHECK(ok(case_key) == row.case_key);
    CHECK(ok(case_grant) == row.case_grant);
    CHECK(ok(team_key) == row.team_key);
    CHECK(ok(team_grant) == row.team_grant);
    CHECK(ok(enrol_officer) == row.enrol_officer);
    CHECK(ok(enrol_admin) == row.enrol_admin);
    CHECK(ok(revoke) == row.revoke);
    CHECK(ok(accept) == row.accept);
    CHECK(ok(founding) == row.founding);
    CHECK(ok(receipt) == row.receipt);
    // Same table, asked directly.
    CHECK(org::RoleMayWrite(row.role, o.Inputs({data})[0]) == row.data);
    CHECK(org::RoleMayWrite(row.role, o.Inputs({team_key})[0]) == row.team_key);
  }
}

TEST_CASE("org: an enrolment that arrives later turns pending entries accepted",
          "[sync][validity]") {
  auto o = MakeOrg();
  auto cert = o.Enrol("admin", "late", Role::kOfficer);
  auto ck = o.OpenCaseKey("late");
  auto d = o.Data("late", ck);
  std::vector<store::Entry> without;
  for (const auto& e : o.log)
    if (e.id != cert.id) without.push_back(e);
  auto before = o.Statuses(without);
  CHECK(before.at(ck.id) == EntryStatus::kPending);
  CHECK(before.at(d.id) == EntryStatus::kPending);
  auto after = o.Statuses(o.log);
  CHECK(after.at(ck.id) == EntryStatus::kAccepted);
  CHECK(after.at(d.id) == EntryStatus::kAccepted);
}

TEST_CASE("org: a revocation quarantines exactly the entries past its cut-off",
          "[sync][validity]") {
  auto o = MakeOrg();
  auto ck = o.OpenCaseKey("officer");
  auto d1 = o.Data("officer", ck);
  auto d2 = o.Data("officer", ck);
  auto d3 = o.Data("officer", ck);
  o.Revoke("admin", "officer", d1.header.seq, d1.id);
  auto st = o.Statuses(o.log);
  CHECK(st.at(ck.id) == EntryStatus::kAccepted);
  CHECK(st.at(d1.id) == EntryStatus::kAccepted);
  CHECK(st.at(d2.id) == EntryStatus::kQuarantined);
  CHECK(st.at(d3.id) == EntryStatus::kQuarantined);
  // Accept-up-to extends the cut-off after review.
  o.Revoke("admin", "officer", d2.header.seq, d2.id, org::ControlOpCode::kAcceptUpTo);
  auto st2 = o.Statuses(o.log);
  CHECK(st2.at(d2.id) == EntryStatus::kAccepted);
  CHECK(st2.at(d3.id) == EntryStatus::kQuarantined);
  // An officer may not revoke anyone.
  auto bogus = o.Revoke("officer", "supervisor", 0, Id{});
  CHECK(o.Statuses(o.log).at(bogus.id) != EntryStatus::kAccepted);
}

TEST_CASE("org: a fork quarantines its author from the fork point", "[sync][validity]") {
  auto o = MakeOrg();
  auto ck = o.OpenCaseKey("officer");
  auto d1 = o.Data("officer", ck);
  auto d2 = o.Data("officer", ck);
  auto clone =
      o.Write("officer", 1, Bytes(72, 0xCD), ck.header.case_id, ck.header.key_id, d2.header.seq);
  auto st = o.Statuses(o.log);
  CHECK(st.at(d1.id) == EntryStatus::kAccepted);
  CHECK(st.at(d2.id) == EntryStatus::kQuarantined);
  CHECK(st.at(clone.id) == EntryStatus::kQuarantined);
}

TEST_CASE("org: unknown ops need upgrade and their author's later entries wait",
          "[sync][validity]") {
  auto o = MakeOrg();
  auto ck = o.OpenCaseKey("officer");
  auto future = o.Write("officer", 9, Bytes{1, 2, 3});
  auto after = o.Data("officer", ck);
  auto st = o.Statuses(o.log);
  CHECK(st.at(future.id) == EntryStatus::kNeedsUpgrade);
  CHECK(st.at(after.id) == EntryStatus::kPending);
  CHECK(st.at(ck.id) == EntryStatus::kAccepted);
}

TEST_CASE("org: statuses converge on every store whatever the arrival order", "[sync][validity]") {
  // Several real stores; entries moved between them by the store API in random orders
  // with duplicates, gaps re-offered until everything is held. Then statuses computed
  // from each store's own contents must be identical — and a fork is seen on every store
  // whichever branch arrived first.
  auto o = MakeOrg();
  o.TeamKey("supervisor");
  auto ck = o.OpenCaseKey("officer");
  for (int i = 0; i < 5; ++i) o.Data("officer", ck);
  auto d = o.Data("supervisor", ck);
  o.Write("supervisor", 1, Bytes(72, 0xEE), ck.header.case_id, ck.header.key_id, d.header.seq);
  o.Revoke("admin", "officer", 2, o.log[8].id);  // cut-off after officer seq 2
  o.Enrol("admin", "officer2", Role::kOfficer);
  auto ck2 = o.OpenCaseKey("officer2");
  o.Data("officer2", ck2);

  std::optional<std::map<Id, EntryStatus>> reference;
  std::mt19937 rng(7);
  for (int trial = 0; trial < 8; ++trial) {
    test::TempDir dir;
    auto log = store::Store::Open(dir / "fieldcase.db", org::ValidateKeyOrControl);
    REQUIRE(log.ok());
    REQUIRE((*log)->SetOrgId(o.org).ok());
    std::vector<store::Entry> pending = o.log;
    for (int dup = 0; dup < 3; ++dup) pending.push_back(o.log[rng() % o.log.size()]);
    int rounds = 0;
    while (!pending.empty() && rounds++ < 100) {
      std::shuffle(pending.begin(), pending.end(), rng);
      std::vector<store::Entry> again;
      for (const auto& e : pending) {
        auto r = (*log)->Append(e, false, 1);
        if (r.status.code() == Status::Code::kGap)
          again.push_back(e);
        else
          REQUIRE(r.status.ok());
      }
      pending = std::move(again);
    }
    REQUIRE(pending.empty());
    std::vector<org::ValidityInput> inputs;
    REQUIRE((*log)
                ->ForEach({},
                          [&](const store::StoredEntry& se) {
                            inputs.push_back(org::MakeValidityInput(se));
                            return Status::Ok();
                          })
                .ok());
    auto v = org::ComputeValidity(o.org, inputs);
    CHECK(v.status.size() == o.log.size());
    CHECK(v.fork_points.size() == 1);
    const auto by_id = org::StatusById(inputs, v);
    if (!reference) reference = by_id;
    CHECK(by_id == *reference);
  }
  REQUIRE(reference);
  CHECK(reference->at(ck2.id) == EntryStatus::kAccepted);
  CHECK(reference->at(o.log[8].id) == EntryStatus::kAccepted);     // officer seq 2
  CHECK(reference->at(o.log[9].id) == EntryStatus::kQuarantined);  // officer seq 3
}

namespace {
// A key payload for `who`'s next entry.
org::KeyPayload NextKey(test::OrgBuilder& o, const std::string& who, org::KeyOpCode op,
                        uint32_t generation, Id128 previous = {}) {
  const auto& k = o.Key(who);
  org::KeyPayload p;
  p.op = op;
  p.key_id = store::KeyIdFor(k.public_key(), o.heads[k.public_key()].first + 1);
  p.generation = generation;
  p.previous_key_id = previous;
  return p;
}
Id128 KeyIdOf(const store::Entry& e) { return store::KeyIdFor(e.header.author, e.header.seq); }
}  // namespace

TEST_CASE("org: key entries must follow their previous generation in the same case",
          "[sync][validity]") {
  auto o = MakeOrg();
  auto team = o.TeamKey("supervisor");
  auto ck = o.OpenCaseKey("officer");
  auto other = o.OpenCaseKey("officer");
  // A proper next generation.
  auto gen2 = o.Write(
      "officer", 2,
      org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 2, KeyIdOf(ck))),
      ck.header.case_id);
  // Jumps, wrong case, a team key as previous, a second "generation 1" that opens nothing.
  auto jump = o.Write(
      "officer", 2,
      org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 1000, KeyIdOf(ck))),
      ck.header.case_id);
  auto cross = o.Write(
      "officer", 2,
      org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 2, KeyIdOf(other))),
      ck.header.case_id);
  auto from_team = o.Write(
      "officer", 2,
      org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 2, KeyIdOf(team))),
      ck.header.case_id);
  auto fake_open = o.Write(
      "officer", 2, org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 1)),
      ck.header.case_id);
  Id128 unknown;
  unknown.fill(0x77);
  auto waiting =
      o.Write("officer", 2,
              org::EncodeKeyPayload(NextKey(o, "officer", org::KeyOpCode::kCaseKey, 3, unknown)),
              ck.header.case_id);
  auto st = o.Statuses(o.log);
  CHECK(st.at(gen2.id) == EntryStatus::kAccepted);
  CHECK(st.at(jump.id) == EntryStatus::kQuarantined);
  CHECK(st.at(cross.id) == EntryStatus::kQuarantined);
  CHECK(st.at(from_team.id) == EntryStatus::kQuarantined);
  CHECK(st.at(fake_open.id) == EntryStatus::kQuarantined);
  CHECK(st.at(waiting.id) == EntryStatus::kPending);
}

TEST_CASE("org: grants name an existing key of the same scope and check", "[sync][validity]") {
  auto o = MakeOrg();
  auto team = o.TeamKey("supervisor");
  auto ck = o.OpenCaseKey("officer");
  auto grant = [&](const std::string& who, Id128 key_id, Id128 case_id, uint8_t check_byte) {
    org::KeyPayload p;
    p.op = org::KeyOpCode::kGrant;
    p.key_id = key_id;
    p.check.fill(check_byte);
    return o.Write(who, 2, org::EncodeKeyPayload(p), case_id);
  };
  auto good = grant("officer", KeyIdOf(ck), ck.header.case_id, 0);
  auto team_into_case = grant("supervisor", KeyIdOf(team), ck.header.case_id, 0);
  auto bad_check = grant("officer", KeyIdOf(ck), ck.header.case_id, 9);
  const auto& sk = o.Key("supervisor");
  Id128 future = store::KeyIdFor(sk.public_key(), o.heads[sk.public_key()].first + 5);
  auto planted = grant("officer", future, ck.header.case_id, 0);
  auto st = o.Statuses(o.log);
  CHECK(st.at(good.id) == EntryStatus::kAccepted);
  CHECK(st.at(team_into_case.id) == EntryStatus::kQuarantined);
  CHECK(st.at(bad_check.id) == EntryStatus::kQuarantined);
  CHECK(st.at(planted.id) == EntryStatus::kPending);
}

TEST_CASE("org: a data entry must use a key of its own case", "[sync][validity]") {
  auto o = MakeOrg();
  auto team = o.TeamKey("supervisor");
  auto ck = o.OpenCaseKey("officer");
  auto other = o.OpenCaseKey("supervisor");
  auto ok = o.Data("officer", ck);
  auto under_team = o.Write("officer", 1, Bytes(72, 1), ck.header.case_id, KeyIdOf(team));
  auto other_case = o.Write("officer", 1, Bytes(72, 1), ck.header.case_id, KeyIdOf(other));
  auto st = o.Statuses(o.log);
  CHECK(st.at(ok.id) == EntryStatus::kAccepted);
  CHECK(st.at(under_team.id) == EntryStatus::kQuarantined);
  CHECK(st.at(other_case.id) == EntryStatus::kQuarantined);
}

TEST_CASE("org: a cut-off counts only for a key its writer governs", "[sync][validity]") {
  auto o = MakeOrg();
  o.Enrol("root", "admin2", Role::kAdmin);
  auto admin_on_root = o.Revoke("admin", "root", 0, Id{});
  auto admin_on_admin = o.Revoke("admin", "admin2", 0, Id{});
  auto root_on_officer = o.Revoke("root", "officer", 0, Id{});
  auto st = o.Statuses(o.log);
  CHECK(st.at(admin_on_root.id) == EntryStatus::kQuarantined);
  CHECK(st.at(admin_on_admin.id) == EntryStatus::kQuarantined);
  CHECK(st.at(root_on_officer.id) == EntryStatus::kQuarantined);
  auto again = o.Enrol("admin2", "late-officer", Role::kOfficer);
  CHECK(o.Statuses(o.log).at(again.id) == EntryStatus::kAccepted);  // admin2 still counts
}

TEST_CASE("org: below a cut-off only the chain ending at its last id counts", "[sync][validity]") {
  auto o = MakeOrg();
  auto ck = o.OpenCaseKey("officer");
  auto d1 = o.Data("officer", ck);
  auto d2 = o.Data("officer", ck);
  auto side = o.Write("officer", 1, Bytes(72, 3), ck.header.case_id, KeyIdOf(ck), d1.header.seq);
  o.Revoke("admin", "officer", d2.header.seq, d2.id);
  auto st = o.Statuses(o.log);
  CHECK(st.at(side.id) == EntryStatus::kQuarantined);
  CHECK(st.at(d1.id) == EntryStatus::kQuarantined);  // a fork point quarantines both branches
  CHECK(st.at(ck.id) == EntryStatus::kAccepted);
}
