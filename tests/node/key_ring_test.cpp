// The key ring reads one case's key entries when that case is first touched (issue 8 #6),
// and what it then says about that case is what reading every key entry says.
#include <catch2/catch.hpp>

#include <set>

#include "fieldcase/crypto/secret.h"
#include "fieldcase/org/key_ring.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/store/keystore.h"
#include "node_fixture.h"

using namespace fieldcase;
using namespace fieldcase::test;

namespace {

// The accepted key entries of a store, as a node reads them, counting what is asked.
struct CountingSource {
  explicit CountingSource(store::Store& l) : log(l) {}
  store::Store& log;
  std::vector<Id128> cases_read;
  int all_reads = 0;

  Result<std::vector<store::StoredEntry>> Read(std::optional<Id128> case_id) {
    std::vector<store::StoredEntry> out;
    store::EntryFilter f;
    f.kind = uint8_t(store::Kind::kKey);
    f.case_id = case_id;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      if (se.status == store::EntryStatus::kAccepted) out.push_back(std::move(se));
      return Status::Ok();
    }));
    return out;
  }
  org::KeySource Source() {
    org::KeySource s;
    s.of_case = [this](const Id128& c) {
      cases_read.push_back(c);
      return Read(c);
    };
    s.all = [this] {
      ++all_reads;
      return Read(std::nullopt);
    };
    return s;
  }
};

bool SameKey(const crypto::SecretBytes* a, const crypto::SecretBytes* b) {
  return a != nullptr && b != nullptr && a->size() == b->size() &&
         crypto::ConstantTimeEqual(a->view(), b->view());
}

}  // namespace

TEST_CASE("the key ring reads a case's keys when the case is touched, as reading all would",
          "[node][keys]") {
  Org f;
  auto pc = f.Device("pc", Role::kOfficer);
  std::vector<Id128> cases{f.case_id};
  record::OpenCase op;
  op.template_name = "stalking";
  op.fields = {{"victim", {}}};
  op.note_kinds = {"incident"};
  for (int i = 0; i < 4; ++i) {
    auto c = f.hq->OpenCase(op, kNow + i);
    REQUIRE(c.ok());
    cases.push_back(*c);
  }
  auto me = f.hq->ResolvePerson("Sgt Hq");
  REQUIRE(me.ok());
  auto restricted = f.hq->OpenCase(op, kNow + 10, {*me});
  REQUIRE(restricted.ok());
  cases.push_back(*restricted);
  // The officer's device is revoked: the next write to a case moves its key to generation 2,
  // which carries generation 1 wrapped under it.
  auto pc_key = f.hq->ResolveMember("pc");
  REQUIRE(pc_key.ok());
  REQUIRE(f.hq->RevokeAndRotate(*pc_key, kNow + 20).ok());
  REQUIRE(f.hq->Write(cases[1], record::AddNote{"incident", "after the revocation"}, kNow + 30)
              .ok());
  f.hq.reset();

  const store::DataDir dir{f.tmp.path() / "hq"};
  auto ks = store::ReadKeystore(dir.keystore(), Pass());
  REQUIRE(ks.ok());
  auto device = crypto::BoxKeyPair::FromSecret(ks->Find("box:device")->view());
  REQUIRE(device.ok());
  auto log = store::Store::Open(dir.db(), org::ValidateKeyOrControl);
  REQUIRE(log.ok());
  const Id org_id = *(*log)->org_id();
  const org::Openers openers{&*device, nullptr};

  CountingSource whole(**log), lazy_src(**log);
  auto eager = org::KeyRing::Load(org_id, whole.Source(), openers);
  REQUIRE(eager.ok());
  REQUIRE(eager->EnsureAll().ok());
  auto lazy = org::KeyRing::Load(org_id, lazy_src.Source(), openers);
  REQUIRE(lazy.ok());
  CHECK(lazy_src.cases_read == std::vector<Id128>{Id128{}});  // the team keys only
  CHECK(lazy_src.all_reads == 0);

  SECTION("one case touched: only it is read, and it opens to the same keys") {
    auto ref = lazy->PreferredCaseKey(cases[1]);
    REQUIRE(ref);
    CHECK(ref->generation == 2);
    CHECK(lazy_src.cases_read == std::vector<Id128>{Id128{}, cases[1]});
    CHECK(SameKey(lazy->Key(ref->key_id), eager->Key(ref->key_id)));
    // Generation 1 opens through the wrap generation 2 carries.
    const org::KeyInfo* g2 = lazy->Info(ref->key_id);
    REQUIRE(g2 != nullptr);
    CHECK(SameKey(lazy->Key(g2->previous), eager->Key(g2->previous)));
    CHECK(lazy->IsRestricted(cases.back()));
    CHECK_FALSE(lazy->IsRestricted(cases[0]));
    CHECK(lazy->Knows(cases[2]));
    CHECK_FALSE(lazy->Knows(crypto::RandomArray<16>()));
    CHECK(lazy_src.all_reads == 0);
    // Asked again: not read again.
    const size_t reads = lazy_src.cases_read.size();
    CHECK(lazy->PreferredCaseKey(cases[1]));
    CHECK(lazy_src.cases_read.size() == reads);
  }

  SECTION("a key id no read entry names reads every case, once") {
    CHECK(lazy->PreferredCaseKey(cases[2]));
    CHECK(lazy->Info(crypto::RandomArray<16>()) == nullptr);
    CHECK(lazy_src.all_reads == 1);
    CHECK(lazy->case_order() == cases);  // oldest first, whatever was read before
    CHECK(lazy->case_order() == eager->case_order());
    CHECK(lazy_src.all_reads == 1);
  }

  SECTION("read case by case or all at once, the ring says the same") {
    if (GENERATE(false, true)) REQUIRE(lazy->EnsureAll().ok());
    CHECK(lazy->team_keys() == eager->team_keys());
    for (const Id128& c : cases) {
      auto a = lazy->PreferredCaseKey(c);
      auto b = eager->PreferredCaseKey(c);
      REQUIRE(a);
      REQUIRE(b);
      CHECK(a->key_id == b->key_id);
      CHECK(a->generation == b->generation);
      CHECK(SameKey(lazy->Key(a->key_id), eager->Key(b->key_id)));
      CHECK(lazy->IsRestricted(c) == eager->IsRestricted(c));
      const org::KeyInfo* x = lazy->Info(a->key_id);
      const org::KeyInfo* y = eager->Info(b->key_id);
      REQUIRE(x != nullptr);
      REQUIRE(y != nullptr);
      CHECK(x->case_id == y->case_id);
      CHECK(x->recipients == y->recipients);
      CHECK(x->granters == y->granters);
      CHECK(x->wrapped_under == y->wrapped_under);
      CHECK(x->previous == y->previous);
    }
  }
}
