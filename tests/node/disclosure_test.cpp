// Case disclosures (issue 11 #4): what a disclosure proves with no store and no key, that
// its entry keys open the disclosed entries and nothing else, and that every byte counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fieldcase/node/disclosure.h"
#include "fieldcase/record/data_payload.h"
#include "node_fixture.h"

namespace fieldcase::test {
namespace {

// An officer who writes 20 notes in HQ's case, and two in a case of their own between them.
struct Disclosing {
  Org org;
  std::unique_ptr<Node> bo = org.Device("Officer Bo", Role::kOfficer);
  Id128 other{};
  std::vector<Id> notes;  // Bo's, in HQ's case
  Disclosing() {
    record::OpenCase op;
    op.template_name = "stalking";
    op.fields = {{"victim", {}}};
    op.note_kinds = {"incident"};
    for (int i = 0; i < 20; ++i) {
      auto id = bo->Write(org.case_id, record::AddNote{"incident", "call " + std::to_string(i)}, kNow + i);
      REQUIRE(id.ok());
      notes.push_back(*id);
      if (i == 5) {
        auto c = bo->OpenCase(op, kNow + i);
        REQUIRE(c.ok());
        other = *c;
        REQUIRE(bo->Write(other, record::AddNote{"incident", "elsewhere"}, kNow + i).ok());
      }
    }
  }
  std::string Prefix(size_t i) const { return ToHex(notes.at(i)).substr(0, 12); }
};

node::DisclosureFindings Check(const node::DisclosureFile& d, const TempDir& tmp) {
  auto f = node::CheckDisclosure(d, tmp.path(), kNow);
  REQUIRE(f.ok());
  return std::move(f).value();
}

bool Contains(ByteView hay, ByteView needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

}  // namespace

TEST_CASE("disclosure: 3 of 20 entries check on their own and open nothing else", "[node]") {
  Disclosing s;
  auto d = s.bo->Disclose(s.org.case_id, {s.Prefix(2), s.Prefix(9), s.Prefix(17)});
  REQUIRE(d.ok());
  REQUIRE(d->keys.size() == 3);
  // Through the file's bytes, as a court receives it.
  const Bytes file = node::WriteDisclosure(*d);
  auto read = node::ReadDisclosure(file);
  REQUIRE(read.ok());
  TempDir scratch;
  const auto f = Check(*read, scratch);
  INFO((f.problems.empty() ? "" : f.problems.front()));
  REQUIRE(f.ok());
  CHECK(f.disclosed == 3);
  CHECK(f.case_entries == 22);  // HQ's open and note, Bo's 20 notes
  CHECK(f.view.notes.size() == 3);
  std::set<std::string> texts;
  for (const auto& n : f.view.notes) texts.insert(n.text);
  CHECK(texts == std::set<std::string>{"call 2", "call 9", "call 17"});
  // Bo's chain is carried whole up to the last note, through the other case's entries.
  bool bo_found = false;
  for (const auto& a : f.authors) {
    if (a.key != s.bo->writer()) continue;
    bo_found = true;
    CHECK(a.role == Role::kOfficer);
    CHECK(a.disclosed == 3);
    CHECK(a.last_seq >= 22);
  }
  CHECK(bo_found);
  // The scratch store is gone: nothing of the check stays on disk.
  CHECK(std::filesystem::is_empty(scratch.path()));

  // The other 17 notes and the other case travel without payload; no disclosed key opens
  // any of them, and their ciphertext is not in the file.
  for (const auto& e : read->entries) {
    auto h = store::DecodeHeader(e.header);
    REQUIRE(h.ok());
    if (h->kind == uint8_t(store::Kind::kData) && h->case_id == s.other) CHECK(!e.payload);
  }
  size_t tried = 0;
  REQUIRE(s.bo->log().ForEach({}, [&](const store::StoredEntry& se) {
    const auto& id = se.entry.id;
    if (std::find(s.notes.begin(), s.notes.end(), id) == s.notes.end()) return Status::Ok();
    const bool disclosed = std::any_of(d->keys.begin(), d->keys.end(),
                                       [&](const node::DisclosedKey& k) { return k.entry == id; });
    if (disclosed) return Status::Ok();
    CHECK(!Contains(file, *se.entry.payload));
    for (const auto& k : d->keys) {
      ++tried;
      CHECK(!record::OpenDataOpWithEntryKey(k.entry_key, s.org.hq->org_id(), se.entry.header,
                                            *se.entry.payload)
                 .ok());
    }
    return Status::Ok();
  }).ok());
  CHECK(tried == 17 * 3);
}

TEST_CASE("disclosure: a key that does not match its author's commitment is refused", "[node]") {
  Disclosing s;
  auto d = s.bo->Disclose(s.org.case_id, {s.Prefix(0), s.Prefix(1)});
  REQUIRE(d.ok());
  TempDir scratch;
  // Swapping the two keys: each opens the other's entry no more than a guess would.
  std::swap(d->keys[0].entry_key, d->keys[1].entry_key);
  auto f = Check(*d, scratch);
  CHECK(!f.ok());
  REQUIRE(!f.problems.empty());
  CHECK_THAT(f.problems.front(), Catch::Contains("key commitment does not match"));
  // Leaving out a header in the middle of the chain breaks the chain.
  auto cut = s.bo->Disclose(s.org.case_id, {s.Prefix(19)});
  REQUIRE(cut.ok());
  auto it = std::find_if(cut->entries.begin(), cut->entries.end(), [&](const store::RawEntry& e) {
    auto h = store::DecodeHeader(e.header);
    return h.ok() && h->author == s.bo->writer() && h->seq == 10;
  });
  REQUIRE(it != cut->entries.end());
  cut->entries.erase(it);
  auto g = Check(*cut, scratch);
  CHECK(!g.ok());
  bool named = false;
  for (const auto& p : g.problems) named |= p.find("chain") != std::string::npos;
  CHECK(named);
  // A data payload with no key for it is refused: a disclosure shows only what it opens.
  auto extra = s.bo->Disclose(s.org.case_id, {s.Prefix(3)});
  REQUIRE(extra.ok());
  extra->keys.clear();
  CHECK(!Check(*extra, scratch).ok());
}

TEST_CASE("disclosure: a change to any byte is refused", "[node]") {
  Org org;
  REQUIRE(org.hq->Write(org.case_id, record::AddNote{"incident", "second"}, kNow + 1).ok());
  auto d = org.hq->Disclose(org.case_id, {});
  REQUIRE(d.ok());
  const Bytes file = node::WriteDisclosure(*d);
  TempDir scratch;
  auto whole = node::ReadDisclosure(file);
  REQUIRE(whole.ok());
  REQUIRE(Check(*whole, scratch).ok());
  // Every byte of the file head, the first entry record and the keys; every 13th of the
  // rest (each field of every record kind is the same check as in the first).
  std::vector<size_t> at;
  for (size_t i = 0; i < file.size(); ++i) {
    if (i < 57 + 2 + 151 + 64 + 4 + 32 || i + 4 + 64 * d->keys.size() >= file.size() || i % 13 == 0)
      at.push_back(i);
  }
  size_t refused = 0;
  for (size_t i : at) {
    Bytes bad = file;
    bad[i] ^= 0x01;
    auto r = node::ReadDisclosure(bad);
    if (!r.ok()) {
      ++refused;
      continue;
    }
    auto f = node::CheckDisclosure(*r, scratch.path(), kNow);
    REQUIRE(f.ok());
    INFO("byte " << i << " of " << file.size());
    CHECK(!f->ok());
    refused += f->ok() ? 0 : 1;
  }
  CHECK(refused == at.size());
}

}  // namespace fieldcase::test

namespace fieldcase::test {

TEST_CASE("disclosure: a hub receipt that covers the case's entries is carried and proven",
          "[node]") {
  Org org;
  auto bo = org.Device("Officer Bo", Role::kOfficer);
  auto hub = org.Device("Hub", Role::kHub);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "n" + std::to_string(i)}, kNow + i).ok());
  }
  Sync(*bo, *hub);
  auto heads = hub->log().Heads();
  REQUIRE(heads.ok());
  std::vector<store::Head> of_bo;
  for (const auto& h : *heads)
    if (h.author == bo->writer()) of_bo.push_back(h);
  auto receipt = hub->WriteReceipt(bo->writer(), of_bo, kNow + 100);
  REQUIRE(receipt.ok());
  Sync(*hub, *bo);
  // Bo writes on after the receipt: the next note is not covered, so no receipt is chosen
  // for Bo unless it covers Bo's last entry of the case.
  auto d = bo->Disclose(org.case_id, {});
  REQUIRE(d.ok());
  TempDir scratch;
  auto f = node::CheckDisclosure(*d, scratch.path(), kNow);
  REQUIRE(f.ok());
  INFO((f->problems.empty() ? "" : f->problems.front()));
  REQUIRE(f->ok());
  REQUIRE(f->receipts.size() == 1);
  CHECK(f->receipts[0].receipt == *receipt);
  CHECK(f->receipts[0].author == bo->writer());
  CHECK(f->receipts[0].hub_time_ms == uint64_t(kNow + 100));
  CHECK(f->roles.at(f->receipts[0].hub) == Role::kHub);

  REQUIRE(bo->Write(org.case_id, record::AddNote{"incident", "after"}, kNow + 200).ok());
  auto later = bo->Disclose(org.case_id, {});
  REQUIRE(later.ok());
  auto g = node::CheckDisclosure(*later, scratch.path(), kNow);
  REQUIRE(g.ok());
  CHECK(g->ok());
  for (const auto& r : g->receipts) CHECK(r.author != bo->writer());
}

}  // namespace fieldcase::test
