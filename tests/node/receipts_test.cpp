// Hub receipts (issue 11 #2, #3): a receipt catches entries a device lost after it synced,
// and a hub whose receipts contradict each other is named, on any device that holds them.
#include <catch2/catch.hpp>

#include "edit_database.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/sync/receipts.h"
#include "node_fixture.h"
#include "regressions/forger.h"

namespace fieldcase::test {
namespace {

std::vector<store::Head> HeadsOf(Node& n, const PublicKey& author) {
  auto heads = n.log().Heads();
  REQUIRE(heads.ok());
  std::vector<store::Head> out;
  for (const auto& h : *heads)
    if (h.author == author) out.push_back(h);
  return out;
}

PublicKey HubKey(const Node& hub) {
  for (const auto& [role, key] : hub.own_keys())
    if (role == Role::kHub) return key;
  FAIL("no hub key");
  return {};
}

}  // namespace

TEST_CASE("receipts: a receipt payload has one reading", "[node]") {
  org::Receipt r;
  r.hub_time_ms = 42;
  r.device[0] = 7;
  store::Head a{}, b{};
  a.author[0] = 2;
  a.seq = 3;
  a.id[0] = 9;
  b.author[0] = 1;
  b.seq = 5;
  r.heads = {a, b};
  const Bytes bytes = org::EncodeReceipt(r);
  auto back = org::DecodeReceipt(bytes);
  REQUIRE(back.ok());
  CHECK(back->hub_time_ms == 42);
  REQUIRE(back->heads.size() == 2);
  CHECK(back->heads[0].author[0] == 1);  // sorted
  Bytes trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(org::DecodeReceipt(trailing).ok());
  // Heads out of order, or none: refused, so no two byte strings say the same thing.
  Bytes swapped = bytes;
  const size_t first = 1 + 1 + 8 + 32 + 8;
  std::swap_ranges(swapped.begin() + long(first), swapped.begin() + long(first + 72),
                   swapped.begin() + long(first + 72));
  CHECK_FALSE(org::DecodeReceipt(swapped).ok());
  r.heads.clear();
  CHECK_FALSE(org::DecodeReceipt(org::EncodeReceipt(r)).ok());
  CHECK(org::DecodeReceipt(Bytes{1, 2}).status().IsNeedsUpgrade());
}

TEST_CASE("receipts: entries deleted after a receipt are named missing after receipt", "[node]") {
  Org org;
  auto bo = org.Device("Officer Bo", Role::kOfficer);
  auto hub = org.Device("Hub", Role::kHub);
  for (int i = 0; i < 6; ++i) {
    REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "n" + std::to_string(i)}, kNow + i).ok());
  }
  Sync(*bo, *hub);
  auto receipt = hub->WriteReceipt(bo->writer(), HeadsOf(*hub, bo->writer()), kNow + 10);
  INFO(receipt.status().message());
  REQUIRE(receipt.ok());
  // An officer cannot write one: a receipt only counts from a hub key.
  CHECK_FALSE(bo->WriteReceipt(bo->writer(), HeadsOf(*bo, bo->writer()), kNow).ok());
  Sync(*hub, *bo);
  auto st = bo->log().StatusOf(*receipt);
  REQUIRE(st.ok());
  REQUIRE(st->has_value());
  CHECK(**st == store::EntryStatus::kAccepted);
  auto before = sync::CheckReceipts(bo->log());
  REQUIRE(before.ok());
  CHECK(before->receipts == 1);
  CHECK(before->complete == 1);
  CHECK(before->lost.empty());

  const auto top = HeadsOf(*bo, bo->writer()).at(0).seq;
  const PublicKey author = bo->writer();
  const auto dir = org.tmp.path() / "Officer Bo";
  bo.reset();
  const std::string a = "x'" + ToHex(author) + "'";
  const std::string keep = std::to_string(top - 3);
  EditDatabase(dir / "fieldcase.db",
               "DELETE FROM payloads WHERE id IN (SELECT id FROM entries WHERE author = " + a +
                   " AND seq > " + keep + "); DELETE FROM entries WHERE author = " + a +
                   " AND seq > " + keep + "; UPDATE heads SET seq = " + keep +
                   ", id = (SELECT id FROM entries WHERE author = " + a + " AND seq = " + keep +
                   ") WHERE author = " + a);
  auto rep = node::VerifyFolder({dir});
  REQUIRE(rep.ok());
  CHECK_FALSE(rep->ok());
  bool named = false;
  for (const auto& p : rep->problems) {
    named |= p.what.find("missing after receipt") != std::string::npos &&
             p.what.find("seqs " + std::to_string(top - 2) + " to " + std::to_string(top)) !=
                 std::string::npos &&
             p.what.find(ToHex(*receipt).substr(0, 16)) != std::string::npos;
  }
  CHECK(named);
}

TEST_CASE("receipts: a hub that shows an author's chain without an entry it receipted is named",
          "[node]") {
  // An insider forks her chain at seq 1 (X and Y). The hub receipts X to one device, then
  // Y alone to another, hiding X: a device holding both receipts and both entries sees it.
  Org org;
  auto hub = org.Device("Hub", Role::kHub);
  Forger eve(org.hq->org_id());
  REQUIRE(org.hq->Enrol(eve.Request("Eve"), Role::kOfficer, kNow).ok());
  auto x = eve.Sign(store::Kind::kData, Bytes(80, 1), org.case_id);
  eve.seq = 0;
  eve.prev = Id{};
  auto y = eve.Sign(store::Kind::kData, Bytes(80, 2), org.case_id);
  Sync(*org.hq, *hub);
  REQUIRE(hub->Import({x, y}, kNow).ok());
  auto id_of = [](const store::RawEntry& e) { return store::EntryId(e.header, e.signature); };
  REQUIRE(hub->WriteReceipt(PublicKey{}, {{eve.pk(), 1, id_of(x), 0}}, kNow + 1).ok());
  REQUIRE(hub->WriteReceipt(PublicKey{}, {{eve.pk(), 1, id_of(y), 0}}, kNow + 2).ok());
  auto auditor = org.Device("Auditor", Role::kAuditor);
  Sync(*hub, *auditor);
  auto found = sync::CheckReceipts(auditor->log());
  REQUIRE(found.ok());
  REQUIRE(found->equivocations.size() == 1);
  CHECK_THAT(found->equivocations[0].what, Catch::Contains("without entry"));
  CHECK(found->equivocations[0].hub == HubKey(*hub));
  // status and verify say so too.
  auto summary = node::Summarize({org.tmp.path() / "Auditor"});
  REQUIRE(summary.ok());
  CHECK(summary->equivocations.size() == 1);
  // A receipt naming an entry this store does not hold proves nothing either way.
  auto other = hub->WriteReceipt(PublicKey{}, {{eve.pk(), 1, Id{}, 0}}, kNow + 3);
  REQUIRE(other.ok());
  Sync(*hub, *auditor);
  auto again = sync::CheckReceipts(auditor->log());
  REQUIRE(again.ok());
  CHECK(again->equivocations.size() == 1);
}

TEST_CASE("receipts: two receipts at one seq of a hub's chain are equivocation", "[node]") {
  Org org;
  auto bo = org.Device("Officer Bo", Role::kOfficer);
  auto cy = org.Device("Officer Cy", Role::kOfficer);
  auto hub = org.Device("Hub", Role::kHub);
  Sync(*org.hq, *hub);
  // The hub's folder is copied (a restored backup, a cloned disk): two hubs, one key.
  const auto a_dir = org.tmp.path() / "Hub";
  const auto b_dir = org.tmp.path() / "Hub copy";
  hub.reset();
  std::filesystem::copy(a_dir, b_dir, std::filesystem::copy_options::recursive);
  auto a = Node::Unlock({a_dir}, Pass());
  auto b = Node::Unlock({b_dir}, Pass());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "to hub a"}, kNow + 1).ok());
  REQUIRE(cy->Write(org.case_id, record::AddNote{"incident", "to hub b"}, kNow + 2).ok());
  Sync(*bo, **a);
  Sync(*cy, **b);
  REQUIRE((*a)->WriteReceipt(bo->writer(), HeadsOf(**a, bo->writer()), kNow + 3).ok());
  REQUIRE((*b)->WriteReceipt(cy->writer(), HeadsOf(**b, cy->writer()), kNow + 3).ok());
  // HQ syncs with both: it holds both receipts, and so the proof.
  Sync(**a, *org.hq);
  Sync(**b, *org.hq);
  auto found = sync::CheckReceipts(org.hq->log());
  REQUIRE(found.ok());
  REQUIRE_FALSE(found->equivocations.empty());
  CHECK_THAT(found->equivocations[0].what, Catch::Contains("signed two receipts at its seq"));
  auto rep = node::VerifyFolder({org.tmp.path() / "hq"});
  REQUIRE(rep.ok());
  CHECK_FALSE(rep->equivocations.empty());
  CHECK_FALSE(rep->forks.empty());  // the hub key's chain forked: both receipts are proof
}

}  // namespace fieldcase::test

namespace fieldcase::test {

TEST_CASE("receipts: a receipt that arrives before what it covers waits, and counts once it is",
          "[node]") {
  Org org;
  auto bo = org.Device("Officer Bo", Role::kOfficer);
  auto hub = org.Device("Hub", Role::kHub);
  auto cy = org.Device("Officer Cy", Role::kOfficer);
  REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "one"}, kNow).ok());
  Sync(*bo, *hub);
  std::vector<store::Head> of_bo;
  auto heads = hub->log().Heads();
  REQUIRE(heads.ok());
  for (const auto& h : *heads)
    if (h.author == bo->writer()) of_bo.push_back(h);
  REQUIRE(hub->WriteReceipt(bo->writer(), of_bo, kNow + 1).ok());
  // Cy gets everything of the hub but Bo's entries: the receipt is not complete there, and
  // what it covers is not "missing": Cy never held it.
  auto all = hub->ExportAll();
  REQUIRE(all.ok());
  std::vector<store::RawEntry> without_bo;
  for (const auto& e : *all) {
    auto h = store::DecodeHeader(e.header);
    REQUIRE(h.ok());
    if (h->author != bo->writer()) without_bo.push_back(e);
  }
  REQUIRE(cy->Import(without_bo, kNow).ok());
  auto waiting = sync::CheckReceipts(cy->log());
  REQUIRE(waiting.ok());
  CHECK(waiting->receipts == 1);
  CHECK(waiting->complete == 0);
  CHECK(waiting->lost.empty());
  Sync(*bo, *cy);
  auto counted = sync::CheckReceipts(cy->log());
  REQUIRE(counted.ok());
  CHECK(counted->complete == 1);
  CHECK(counted->lost.empty());
}

}  // namespace fieldcase::test


namespace fieldcase::test {

TEST_CASE("receipts: an insider's kind-4 entries count for nothing and fake no equivocation",
          "[node]") {
  Org org;
  auto bo = org.Device("Officer Bo", Role::kOfficer);
  Forger eve(org.hq->org_id());
  REQUIRE(org.hq->Enrol(eve.Request("Eve"), Role::kOfficer, kNow).ok());
  REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "one"}, kNow).ok());
  Sync(*bo, *org.hq);
  org::Receipt r;
  r.hub_time_ms = uint64_t(kNow);
  auto heads = org.hq->log().Heads();
  REQUIRE(heads.ok());
  for (const auto& h : *heads)
    if (h.author == bo->writer()) r.heads.push_back(h);
  // Two "receipts" at one seq of Eve's chain, the second naming an entry that never was.
  auto first = eve.Sign(store::Kind::kReceipt, org::EncodeReceipt(r));
  eve.seq = 0;
  eve.prev = Id{};
  r.heads.at(0).id[0] ^= 0x01;
  auto second = eve.Sign(store::Kind::kReceipt, org::EncodeReceipt(r));
  REQUIRE(org.hq->Import({first, second}, kNow).ok());
  auto found = sync::CheckReceipts(org.hq->log());
  REQUIRE(found.ok());
  CHECK(found->receipts == 0);
  CHECK(found->equivocations.empty());
  CHECK(found->lost.empty());
  auto summary = node::Summarize({org.tmp.path() / "hq"});
  REQUIRE(summary.ok());
  CHECK(summary->equivocations.empty());
  CHECK(summary->receipts == 0);
}

}  // namespace fieldcase::test
