#include <catch2/catch.hpp>

#include "fieldcase/node/node.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/store/verify.h"
#include "test_util.h"

using namespace fieldcase;
using namespace fieldcase::record;
using namespace fieldcase::org;
using namespace fieldcase::sync;
using namespace fieldcase::node;

namespace {

constexpr int64_t kNow = 1764374400000;  // 2025-11-29

crypto::SecretBytes Pass(std::string_view s) { return crypto::SecretBytes::CopyFrom(AsBytes(s)); }

struct NodeFixture {
  test::TempDir tmp;
  store::DataDir dir{tmp.path() / "data"};
  std::unique_ptr<Node> node;

  NodeFixture() {
    FoundOptions o;
    o.org_name = "Test Force";
    o.person_name = "PC Canary-Name-7";
    o.badge = "B-991";
    o.cost = crypto::KdfCost::kInsecureFast;
    o.recovery_out = tmp.path() / "recovery.fcrecovery";
    auto n = Node::Found(dir, o, Pass("Correct-Horse-42"), Pass("Recovery-Staple-77"), kNow);
    REQUIRE(n.ok());
    node = std::move(n).value();
  }
  void Reopen() {
    node.reset();
    auto n = Node::Unlock(dir, Pass("Correct-Horse-42"));
    REQUIRE(n.ok());
    node = std::move(n).value();
  }
  OpenCase Template() {
    OpenCase op;
    op.template_name = "stalking";
    op.fields = {{"victim", {}}, {"risk_level", {"standard", "medium", "high"}}};
    op.note_kinds = {"incident", "breach"};
    return op;
  }
};

// Every occurrence of needle in the database, its WAL and shared-memory files, and the
// keystore.
size_t CountOnDisk(const store::DataDir& dir, ByteView needle) {
  size_t hits = 0;
  for (const auto& p : {dir.db(), std::filesystem::path(dir.db().string() + "-wal"),
                        std::filesystem::path(dir.db().string() + "-shm"), dir.keystore()}) {
    if (!std::filesystem::exists(p)) continue;
    std::string file = test::ReadFile(p);
    std::string n(AsChars(needle));
    for (size_t pos = file.find(n); pos != std::string::npos; pos = file.find(n, pos + 1)) ++hits;
  }
  return hits;
}

}  // namespace

TEST_CASE("node: founding an org writes root, admin, supervisor chains and a team key", "[node]") {
  NodeFixture f;
  auto keys = f.node->own_keys();
  REQUIRE(keys.size() == 3);
  CHECK(f.node->org_name() == "Test Force");
  CHECK(f.node->org_id() == store::OrgId(keys[0].second));  // root is role 1, first
  CHECK(f.node->members().size() == 3);
  auto report = store::VerifyStore(f.dir.db(), ValidateKeyOrControl);
  REQUIRE(report.ok());
  CHECK(report->ok());
  CHECK(report->entries == 4);
  CHECK(std::filesystem::exists(f.tmp.path() / "recovery.fcrecovery"));
  // The recovery secret opens with its own passphrase only.
  CHECK(OpenRecoveryFile(f.tmp.path() / "recovery.fcrecovery", Pass("Recovery-Staple-77")).ok());
  CHECK(OpenRecoveryFile(f.tmp.path() / "recovery.fcrecovery", Pass("Correct-Horse-42"))
            .status()
            .code() == Status::Code::kWrongPassphrase);
}

TEST_CASE("node: cases survive reopening and read back the same view", "[node]") {
  NodeFixture f;
  auto id = f.node->OpenCase(f.Template(), kNow);
  REQUIRE(id.ok());
  REQUIRE(f.node->Write(*id, SetField{"victim", "J. Doe", {}}, kNow).ok());
  auto first = f.node->Write(*id, SetField{"risk_level", "medium", {}}, kNow);
  REQUIRE(first.ok());
  REQUIRE(f.node->Write(*id, SetField{"risk_level", "high", {*first}}, kNow).ok());
  REQUIRE(f.node->Write(*id, AddNote{"breach", "seen at the school gate"}, kNow).ok());
  auto before = f.node->LoadCase(*id);
  REQUIRE(before.ok());
  f.Reopen();
  auto after = f.node->LoadCase(*id);
  REQUIRE(after.ok());
  CHECK(*before == *after);
  REQUIRE(after->fields.at("risk_level").current.size() == 1);
  CHECK(after->fields.at("risk_level").current[0].value == "high");
  CHECK(after->fields.at("risk_level").history.size() == 2);
  CHECK(after->notes.size() == 1);
  CHECK(after->undecryptable.empty());
  auto resolved = f.node->ResolveCase(ToHex(*id).substr(0, 8));
  REQUIRE(resolved.ok());
  CHECK(*resolved == *id);
  auto all = f.node->LoadAllCases(2);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK(all->front().view == *after);
}

TEST_CASE("node: no plaintext and no key bytes at rest", "[node]") {
  NodeFixture f;
  auto id = f.node->OpenCase(f.Template(), kNow);
  REQUIRE(id.ok());
  const std::string field_canary = "CANARY-victim-Q7xZ";
  const std::string note_canary = "CANARY-note-Jp3W";
  REQUIRE(f.node->Write(*id, SetField{"victim", field_canary, {}}, kNow).ok());
  REQUIRE(f.node->Write(*id, AddNote{"incident", note_canary}, kNow).ok());
  REQUIRE(f.node->Write(*id, Tag{"CANARY-tag-9"}, kNow).ok());
  f.node.reset();  // closed; -wal and -shm may remain and are scanned too

  for (const std::string& canary :
       {field_canary, note_canary, std::string("CANARY-tag-9"), std::string("PC Canary-Name-7"),
        std::string("B-991"), std::string("risk_level"), std::string("stalking")}) {
    INFO(canary);
    CHECK(CountOnDisk(f.dir, AsBytes(canary)) == 0);
  }
  // Key bytes: read the keystore as its owner would, open the wraps, and look for every
  // secret in the files.
  auto ks = store::ReadKeystore(f.dir.keystore(), Pass("Correct-Horse-42"));
  REQUIRE(ks.ok());
  std::vector<crypto::SecretBytes> secrets;
  for (const auto& [label, s] : ks->items()) secrets.push_back(s.Clone());
  auto device = crypto::BoxKeyPair::FromSecret(ks->Find("box:device")->view());
  REQUIRE(device.ok());
  auto log = store::Store::Open(f.dir.db(), org::ValidateKeyOrControl);
  REQUIRE(log.ok());
  std::optional<crypto::SecretBytes> team;
  store::EntryFilter keys_only;
  keys_only.kind = 2;
  REQUIRE((*log)
              ->ForEach(keys_only,
                        [&](const store::StoredEntry& se) {
                          auto p = DecodeKeyPayload(*se.entry.payload);
                          REQUIRE(p.ok());
                          for (const auto& w : p->wraps) {
                            if (w.type == WrapType::kSealed) {
                              auto k = UnwrapSealed(w, *device, *(*log)->org_id(),
                                                    se.entry.header.case_id, p->key_id);
                              if (k.ok()) team = k->Clone();
                            } else if (team) {
                              auto k = UnwrapUnderTeamKey(w, *team, *(*log)->org_id(),
                                                          se.entry.header.case_id, p->key_id);
                              REQUIRE(k.ok());
                              secrets.push_back(std::move(k).value());
                            }
                          }
                          return Status::Ok();
                        })
              .ok());
  log->reset();
  REQUIRE(team);
  secrets.push_back(team->Clone());
  CHECK(secrets.size() >= 7);  // 3 seeds, device, directory, team key, case key
  for (const auto& s : secrets) CHECK(CountOnDisk(f.dir, s.view()) == 0);
}

TEST_CASE("node: values of different lengths give payloads of equal length", "[node]") {
  NodeFixture f;
  auto id = f.node->OpenCase(f.Template(), kNow);
  REQUIRE(id.ok());
  auto a = f.node->Write(*id, SetField{"risk_level", "high", {}}, kNow);
  auto b = f.node->Write(*id, SetField{"risk_level", "medium", {}}, kNow);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto ea = f.node->log().Get(*a);
  auto eb = f.node->log().Get(*b);
  CHECK((*ea)->entry.header.payload_len == (*eb)->entry.header.payload_len);
}

TEST_CASE("node: wrong passphrase, busy folder and double init are clear refusals", "[node]") {
  NodeFixture f;
  auto busy = Node::Unlock(f.dir, Pass("Correct-Horse-42"));
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.status().code() == Status::Code::kBusy);
  f.node.reset();
  auto wrong = Node::Unlock(f.dir, Pass("Correct-Horse-43"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Status::Code::kWrongPassphrase);
  CHECK(wrong.status().message() == "wrong passphrase");
  FoundOptions o;
  o.org_name = "Again";
  o.cost = crypto::KdfCost::kInsecureFast;
  o.recovery_out = f.tmp.path() / "other.fcrecovery";
  auto again = Node::Found(f.dir, o, Pass("Correct-Horse-42"), Pass("Recovery-Staple-77"), kNow);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.status().message(), Catch::Contains("already holds a store"));
}

TEST_CASE("node: writes to an unknown case or with an invalid op are refused", "[node]") {
  NodeFixture f;
  Id128 nope{};
  nope.fill(0x5a);
  CHECK(f.node->Write(nope, AddNote{"incident", "x"}, kNow).status().code() ==
        Status::Code::kNotFound);
  CHECK_FALSE(f.node->ResolveCase("zz").ok());
  auto id = f.node->OpenCase(f.Template(), kNow);
  REQUIRE(id.ok());
  SetField too_many{"victim", "x", std::vector<Id>(257)};
  CHECK_FALSE(f.node->Write(*id, too_many, kNow).ok());
}

TEST_CASE("node: the structural validator refuses forged key and control entries", "[node]") {
  store::Header h;
  h.kind = 2;
  h.author.fill(1);
  h.seq = 4;
  h.case_id.fill(2);
  KeyPayload p;
  p.op = KeyOpCode::kCaseKey;
  p.key_id = store::KeyIdFor(h.author, h.seq);
  CHECK(ValidateKeyOrControl(h, EncodeKeyPayload(p)).ok());
  p.key_id[0] ^= 1;
  CHECK_THAT(ValidateKeyOrControl(h, EncodeKeyPayload(p)).message(), Catch::Contains("key_id"));
  p.key_id = store::KeyIdFor(h.author, h.seq);
  p.op = KeyOpCode::kTeamKey;  // team keys live at case_id zero
  CHECK_FALSE(ValidateKeyOrControl(h, EncodeKeyPayload(p)).ok());
  store::Header c;
  c.kind = 3;
  c.seq = 2;
  CHECK_THAT(ValidateKeyOrControl(c, EncodeControlPayload(Founding{"X", {}})).message(),
             Catch::Contains("seq 1"));
}

TEST_CASE("node: the clock never runs backwards across restarts", "[node]") {
  NodeFixture f;
  auto id = f.node->OpenCase(f.Template(), kNow);
  REQUIRE(id.ok());
  auto a = f.node->Write(*id, AddNote{"incident", "first"}, kNow + 86400000);  // a day ahead
  REQUIRE(a.ok());
  f.Reopen();
  // The wall clock went back a day (the device clock was fixed); writes still chain.
  auto b = f.node->Write(*id, AddNote{"incident", "second"}, kNow);
  REQUIRE(b.ok());
  auto ea = f.node->log().Get(*a);
  auto eb = f.node->log().Get(*b);
  CHECK((*eb)->entry.header.hlc > (*ea)->entry.header.hlc);
}
