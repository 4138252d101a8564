#include <sqlite3.h>

#include <set>
#include <catch2/catch.hpp>

#include "fieldcase/store/data_dir.h"
#include "store_fixture.h"

using namespace fieldcase;

namespace {
// Runs raw SQL against the database file, as an attacker or a bug would.
int RawExec(const std::filesystem::path& db, const std::string& sql, std::string* err = nullptr) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  char* e = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &e);
  if (err && e) *err = e;
  sqlite3_free(e);
  sqlite3_close(h);
  return rc;
}
}  // namespace

TEST_CASE("store: append survives reopen with heads and payloads", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  auto e2 = f.Next(f.root, &e1);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  REQUIRE(f.log->Append(e2, false, 1).status.ok());
  f.Reopen();
  auto head = f.log->HeadOf(f.root.public_key());
  REQUIRE(head.ok());
  REQUIRE(head->has_value());
  CHECK((*head)->seq == 2);
  CHECK((*head)->id == e2.id);
  auto got = f.log->Get(e1.id);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->entry.header == e1.header);
  CHECK(*(*got)->entry.payload == *e1.payload);
  auto heads = f.log->Heads();
  REQUIRE(heads.ok());
  CHECK(heads->size() == 1);
  CHECK(f.log->IntegrityCheck().ok());
}

TEST_CASE("store: structural checks reject with a reason and store nothing", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());

  SECTION("bad signature") {
    auto e2 = f.Next(f.root, &e1);
    e2.signature[5] ^= 1;
    auto r = f.log->Append(e2, false, 1);
    CHECK(r.status.code() == Status::Code::kRejected);
    CHECK_THAT(r.status.message(), Catch::Contains("signature"));
  }
  SECTION("payload does not match its hash") {
    auto e2 = f.Next(f.root, &e1);
    (*e2.payload)[0] ^= 1;
    auto r = f.log->Append(e2, false, 1);
    CHECK_THAT(r.status.message(), Catch::Contains("payload hash"));
  }
  SECTION("payload length differs") {
    auto e2 = f.Next(f.root, &e1);
    e2.payload->push_back(0);
    CHECK_THAT(f.log->Append(e2, false, 1).status.message(), Catch::Contains("length"));
  }
  SECTION("prev names a held entry that is not the predecessor") {
    auto e2 = f.Next(f.root, &e1);
    REQUIRE(f.log->Append(e2, false, 1).status.ok());
    store::Header h = e2.header;
    h.seq = 3;
    h.prev = e1.id;  // held, but at seq 1
    h.hlc += 1;
    auto e3 = store::SignEntry(h, {1}, f.org, f.root);
    CHECK_THAT(f.log->Append(e3, false, 1).status.message(), Catch::Contains("prev"));
    h.prev.fill(9);  // not held at all: a gap, re-offered later
    auto e3b = store::SignEntry(h, {1}, f.org, f.root);
    CHECK(f.log->Append(e3b, false, 1).status.code() == Status::Code::kGap);
    REQUIRE(*f.log->CountEntries() == 2);
    return;
  }
  SECTION("hlc must rise along a chain") {
    store::Header h = e1.header;
    h.seq = 2;
    h.prev = e1.id;
    auto e2 = store::SignEntry(h, {1}, f.org, f.root);
    CHECK_THAT(f.log->Append(e2, false, 1).status.message(), Catch::Contains("hlc"));
  }
  SECTION("seq 1 with a prev") {
    auto k = test::KeyFromByte(2);
    store::Header h;
    h.kind = 1;
    h.seq = 1;
    h.prev.fill(1);
    h.hlc = 5;
    auto e = store::SignEntry(h, {1}, f.org, k);
    CHECK_THAT(f.log->Append(e, false, 1).status.message(), Catch::Contains("prev"));
  }
  SECTION("non-zero flags") {
    auto e2 = f.Next(f.root, &e1);
    e2.header_bytes[2] = 1;
    CHECK_THAT(f.log->Append(e2, false, 1).status.message(), Catch::Contains("flags"));
  }
  SECTION("signed for another organisation") {
    auto k = test::KeyFromByte(3);
    store::Header h;
    h.kind = 1;
    h.seq = 1;
    h.hlc = 5;
    Id other = f.org;
    other[0] ^= 0xff;
    auto e = store::SignEntry(h, {1}, other, k);
    CHECK_THAT(f.log->Append(e, false, 1).status.message(), Catch::Contains("signature"));
  }
  auto count = f.log->CountEntries();
  REQUIRE(count.ok());
  CHECK(*count == 1);
  CHECK(f.log->IntegrityCheck().ok());
}

TEST_CASE("store: a missing predecessor is a gap, not a rejection", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  auto e2 = f.Next(f.root, &e1);
  auto r = f.log->Append(e2, false, 1);
  CHECK(r.status.code() == Status::Code::kGap);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  CHECK(f.log->Append(e2, false, 1).status.ok());  // re-offered later
}

TEST_CASE("store: appending the same entry twice is a no-op", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  auto again = f.log->Append(e1, false, 1);
  CHECK(again.status.ok());
  CHECK(again.duplicate);
  CHECK(*f.log->CountEntries() == 1);
}

TEST_CASE("store: batch append is one transaction with a result per entry", "[store]") {
  test::StoreFixture f;
  std::vector<store::Entry> batch;
  batch.push_back(f.Next(f.root, nullptr));
  for (int i = 0; i < 99; ++i) batch.push_back(f.Next(f.root, &batch.back()));
  auto bad = f.Next(test::KeyFromByte(5), nullptr);
  bad.signature[0] ^= 1;
  batch.insert(batch.begin() + 50, bad);
  auto r = f.log->AppendBatch(batch, false, 1);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 101);
  CHECK((*r)[50].status.code() == Status::Code::kRejected);
  CHECK(*f.log->CountEntries() == 100);
}

TEST_CASE("store: arriving entries are checked ahead on workers, every bad signature refused",
          "[store]") {
  test::StoreFixture f;
  auto other = test::KeyFromByte(7);
  // Two chains, long enough for the workers (slices of 64) and several transactions.
  std::vector<store::Entry> list;
  list.push_back(f.Next(f.root, nullptr));
  for (int i = 1; i < 700; ++i) list.push_back(f.Next(f.root, &list.back()));
  list.push_back(f.Next(other, nullptr));
  for (int i = 1; i < 300; ++i) list.push_back(f.Next(other, &list.back()));
  // Some entries are already held: they are duplicates whatever their verdict.
  REQUIRE(f.log->AppendBatch({list.begin(), list.begin() + 10}, false, 1).ok());
  // Flipped signatures across slices and transactions; each makes the rest of its chain a
  // gap (its successors name an entry that was never stored).
  const std::vector<size_t> flipped = {5, 200, 710};
  for (size_t i : flipped) list[i].signature[10] ^= 0x40;
  std::vector<size_t> commits;
  auto r = f.log->AppendArriving(list, 64, 1, [&](size_t n) { commits.push_back(n); });
  REQUIRE(r.ok());
  REQUIRE(r->size() == list.size());
  CHECK(commits.size() == (list.size() + 63) / 64);
  CHECK(commits.back() == list.size());
  // Another signature is another entry (the id covers it), even at a held seq.
  CHECK((*r)[5].status.message() == "bad signature");
  CHECK((*r)[6].duplicate);
  CHECK((*r)[200].status.message() == "bad signature");
  CHECK((*r)[201].status.IsGap());
  CHECK((*r)[699].status.IsGap());
  CHECK((*r)[710].status.message() == "bad signature");
  CHECK((*r)[709].status.ok());
  // Stored: the root's first 200, the other's first 10.
  CHECK(*f.log->CountEntries() == 210);
  auto head = f.log->HeadOf(other.public_key());
  REQUIRE(head.ok());
  REQUIRE(head->has_value());
  CHECK((*head)->seq == 10);

  // The same list again, with the signatures mended: the rest arrives, nothing twice.
  for (size_t i : flipped) list[i].signature[10] ^= 0x40;
  auto again = f.log->AppendArriving(list, 10000, 1);
  REQUIRE(again.ok());
  size_t added = 0;
  for (const auto& x : *again) added += x.status.ok() && !x.duplicate;
  CHECK(added == list.size() - 210);
  CHECK(*f.log->CountEntries() == int64_t(list.size()));
  // One head per chain, at its end, however many transactions and runs it took.
  auto heads = f.log->Heads();
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 2);
  std::set<Id> tops;
  for (const auto& h : *heads) tops.insert(h.id);
  CHECK(tops == std::set<Id>{list[699].id, list.back().id});
}

TEST_CASE("store: a few arriving entries are checked on the writer", "[store]") {
  test::StoreFixture f;
  std::vector<store::Entry> list;
  list.push_back(f.Next(f.root, nullptr));
  for (int i = 1; i < 5; ++i) list.push_back(f.Next(f.root, &list.back()));
  list[3].signature[0] ^= 1;
  auto r = f.log->AppendArriving(list, 2, 1);
  REQUIRE(r.ok());
  CHECK((*r)[3].status.message() == "bad signature");
  CHECK(*f.log->CountEntries() == 3);
}

TEST_CASE("store: unknown kinds are kept as needs-upgrade", "[store]") {
  test::StoreFixture f;
  auto e = f.Next(f.root, nullptr, {1}, /*kind=*/9);
  REQUIRE(f.log->Append(e, false, 1).status.ok());
  auto got = f.log->Get(e.id);
  REQUIRE(got.ok());
  CHECK((*got)->status == store::EntryStatus::kNeedsUpgrade);
}

TEST_CASE("store: key and control payloads go through the installed validator", "[store]") {
  test::StoreFixture f;
  f.validator = [](const store::Header&, ByteView p) {
    if (p.size() == 1 && p[0] == 0xEE) return Status::NeedsUpgrade("unknown op");
    if (p.size() == 1 && p[0] == 0xBA) return Status::Rejected("malformed control payload");
    return Status::Ok();
  };
  f.Reopen();
  auto e1 = f.Next(f.root, nullptr, {0xBA}, 3);
  CHECK_THAT(f.log->Append(e1, false, 1).status.message(), Catch::Contains("malformed"));
  auto e2 = f.Next(f.root, nullptr, {0xEE}, 3);
  REQUIRE(f.log->Append(e2, false, 1).status.ok());
  CHECK((*f.log->Get(e2.id))->status == store::EntryStatus::kNeedsUpgrade);
}

TEST_CASE("store: the database itself refuses to alter or delete entries", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  f.log.reset();
  std::string err;
  CHECK(RawExec(f.db(), "UPDATE entries SET header = x'00'", &err) != SQLITE_OK);
  CHECK_THAT(err, Catch::Contains("append-only"));
  CHECK(RawExec(f.db(), "UPDATE entries SET seq = 7") != SQLITE_OK);
  CHECK(RawExec(f.db(), "DELETE FROM entries") != SQLITE_OK);
  CHECK(RawExec(f.db(), "UPDATE payloads SET payload = x'00'") != SQLITE_OK);
  CHECK(RawExec(f.db(), "DELETE FROM payloads", &err) != SQLITE_OK);
  CHECK_THAT(err, Catch::Contains("erasure"));
  // Derived columns may change (statuses are recomputed).
  CHECK(RawExec(f.db(), "UPDATE entries SET status = 2") == SQLITE_OK);
}

TEST_CASE("store: a second process on the same folder gets a clear refusal", "[store]") {
  test::TempDir d;
  store::DataDir dir{d.path()};
  auto first = store::DirLock::Acquire(dir);
  REQUIRE(first.ok());
  auto second = store::DirLock::Acquire(dir);  // flock: a second open file description
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Status::Code::kBusy);
  CHECK_THAT(second.status().message(), Catch::Contains("another fieldcase process"));
  first->reset();
  CHECK(store::DirLock::Acquire(dir).ok());
}

TEST_CASE("store: a database from a newer schema is refused", "[store]") {
  test::StoreFixture f;
  f.log.reset();
  REQUIRE(RawExec(f.db(), "PRAGMA user_version = 99") == SQLITE_OK);
  auto s = store::Store::Open(f.db(), test::AnyPayload);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains("newer fieldcase"));
}

TEST_CASE("store: a file that is not a database is reported, not crashed on", "[store]") {
  test::TempDir d;
  test::WriteFile(d / "fieldcase.db", std::string(4096, 'x'));
  auto s = store::Store::Open(d / "fieldcase.db", test::AnyPayload);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Status::Code::kCorruption);
}

TEST_CASE("store: backup copies every entry through SQLite's backup API", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  REQUIRE(f.log->BackupTo(f.dir / "copy.db").ok());
  auto copy = store::Store::Open(f.dir / "copy.db", test::AnyPayload);
  REQUIRE(copy.ok());
  CHECK(*(*copy)->CountEntries() == 1);
  CHECK((*copy)->org_id() == f.org);
}

TEST_CASE("store: an entry of an unknown version is kept opaque, not rejected", "[store]") {
  test::StoreFixture f;
  Bytes header(180, 0x07);
  header[0] = 2;  // version 2, longer header
  Signature sig{};
  sig.fill(3);
  auto r = f.log->AppendRaw(header, sig, Bytes{1, 2}, 1);
  REQUIRE(r.status.ok());
  CHECK(r.id == store::EntryId(header, sig));
  CHECK(*f.log->CountOpaque() == 1);
  CHECK(f.log->AppendRaw(header, sig, Bytes{1, 2}, 1).status.ok());  // idempotent
  CHECK(*f.log->CountOpaque() == 1);
  // A v1 header through the same door gets every v1 check.
  auto e = f.Next(f.root, nullptr);
  e.signature[1] ^= 1;
  CHECK(f.log->AppendRaw(e.header_bytes, e.signature, e.payload, 1).status.code() ==
        Status::Code::kRejected);
  CHECK(f.log->AppendRaw(Bytes(5000, 2), sig, std::nullopt, 1).status.code() ==
        Status::Code::kRejected);
  CHECK(f.log->AppendRaw(ByteView(e.header_bytes).first(150), sig, std::nullopt, 1).status.code() ==
        Status::Code::kRejected);
}

TEST_CASE("store: entries of unknown versions are held up to their byte bound, no more",
          "[store][attack]") {
  // An insider (or a stranger's bundle) sends entries of a made-up version: nothing about
  // them can be checked, every session forwards them all, so what is kept is bounded.
  test::StoreFixture f;
  Signature sig{};
  const Bytes payload(1u << 20, 0x55);  // 1 MiB each
  std::vector<store::RawEntry> junk;
  for (int i = 0; i < 12; ++i) {
    Bytes header(100, uint8_t(i));
    header[0] = 9;
    junk.push_back({header, sig, payload});
  }
  std::vector<const store::RawEntry*> ptrs;
  for (const auto& e : junk) ptrs.push_back(&e);
  auto results = f.log->AppendOpaqueBatch(ptrs, 1);
  REQUIRE(results.ok());
  size_t kept = 0, dropped = 0;
  for (const auto& r : *results) {
    CHECK(r.status.ok());
    kept += !r.dropped && !r.duplicate;
    dropped += r.dropped;
  }
  const size_t each = 100 + 64 + payload.size();
  CHECK(kept == store::kMaxOpaqueBytes / each);
  CHECK(dropped == junk.size() - kept);
  CHECK(*f.log->CountOpaque() == int64_t(kept));
  // One already held is still a duplicate at the bound, not dropped; a small one beyond it
  // is dropped too.
  auto again = f.log->AppendOpaqueBatch({ptrs[0]}, 2);
  REQUIRE(again.ok());
  CHECK(again->at(0).duplicate);
  CHECK_FALSE(again->at(0).dropped);
  CHECK(f.log->AppendRaw(Bytes(100, 9), sig, Bytes(store::kMaxOpaqueBytes, 1), 3).dropped);
  CHECK(*f.log->CountOpaque() == int64_t(kept));
}

TEST_CASE("store: a fork keeps both branches, each chaining on", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  auto a2 = f.Next(f.root, &e1, {0xA});
  auto b2 = f.Next(f.root, &e1, {0xB});
  auto b3 = f.Next(f.root, &b2, {0xB, 3});
  for (const auto* e : {&e1, &a2, &b2, &b3}) {
    auto r = f.log->Append(*e, false, 1);
    INFO(ToHex(e->id));
    REQUIRE(r.status.ok());
    CHECK(r.fork == (e == &b2));
  }
  auto heads = f.log->Heads();
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 2);  // a2 and b3 both end a branch
  CHECK(*f.log->CountEntries() == 4);
  REQUIRE(f.log->SetStatuses({{b3.id, store::EntryStatus::kQuarantined}}).ok());
  CHECK((*f.log->Get(b3.id))->status == store::EntryStatus::kQuarantined);
}

TEST_CASE("store: fork evidence is bounded per author, dropping the highest seqs", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  auto a2 = f.Next(f.root, &e1, {0xA});
  REQUIRE(f.log->Append(e1, false, 1).status.ok());
  REQUIRE(f.log->Append(a2, false, 1).status.ok());
  // A second branch longer than the bound.
  std::vector<store::Entry> branch{f.Next(f.root, &e1, {0xB})};
  while (branch.size() < store::kMaxEvidencePerBranch + 5)
    branch.push_back(f.Next(f.root, &branch.back()));
  auto r = f.log->AppendBatch(branch, false, 1);
  REQUIRE(r.ok());
  size_t stored = 0, not_stored = 0;
  for (const auto& x : *r) {
    // Past the bound: the first is dropped, the rest are gaps behind it.
    (x.status.ok() && !x.dropped) ? ++stored : ++not_stored;
  }
  CHECK(stored == store::kMaxEvidencePerBranch);
  CHECK(not_stored == 5);
  CHECK((*r)[store::kMaxEvidencePerBranch].dropped);  // the highest seqs go
  // Both branches end in a head: the one held before, and the new one's last stored entry.
  auto heads = f.log->Heads();
  REQUIRE(heads.ok());
  std::set<Id> tops;
  for (const auto& h : *heads) tops.insert(h.id);
  CHECK(tops == std::set<Id>{a2.id, branch[store::kMaxEvidencePerBranch - 1].id});
}

TEST_CASE("store: forks are found from their evidence rows, and no flag edit hides or makes one",
          "[store]") {
  test::StoreFixture f;
  auto other = test::KeyFromByte(9);
  std::vector<store::Entry> chain{f.Next(f.root, nullptr)};
  for (int i = 0; i < 5; ++i) chain.push_back(f.Next(f.root, &chain.back()));
  std::vector<store::Entry> theirs{f.Next(other, nullptr)};
  for (int i = 0; i < 5; ++i) theirs.push_back(f.Next(other, &theirs.back()));
  REQUIRE(f.log->AppendBatch(chain, false, 1).ok());
  REQUIRE(f.log->AppendBatch(theirs, false, 1).ok());
  CHECK(f.log->Forks()->empty());
  // Two more entries at the root's seq 3 and 5, each after a held one there.
  auto at3 = f.Next(f.root, &chain[1], {0xC});
  auto at5 = f.Next(f.root, &chain[3], {0xD});
  REQUIRE(f.log->Append(at3, false, 1).status.ok());
  REQUIRE(f.log->Append(at5, false, 1).status.ok());
  auto forks = f.log->Forks();
  REQUIRE(forks.ok());
  REQUIRE(forks->size() == 2);
  CHECK((*forks)[0].seq == 3);
  CHECK((*forks)[0].branches == 2);
  CHECK((*forks)[1].seq == 5);
  f.log.reset();
  // Clearing a fork's evidence flag is refused by the unique (author, seq) index...
  CHECK(RawExec(f.db(), "UPDATE entries SET evidence = 0 WHERE evidence = 1") != SQLITE_OK);
  // ...and flagging a lone entry makes no fork of it.
  REQUIRE(RawExec(f.db(), "UPDATE entries SET evidence = 1 WHERE seq = 2") == SQLITE_OK);
  f.Reopen();
  forks = f.log->Forks();
  REQUIRE(forks.ok());
  CHECK(forks->size() == 2);
}

TEST_CASE("store: pending rows beyond the bound are dropped oldest first", "[store]") {
  test::StoreFixture f;
  std::vector<store::Entry> chain{f.Next(f.root, nullptr)};
  for (int i = 0; i < 9; ++i) chain.push_back(f.Next(f.root, &chain.back()));
  for (size_t i = 0; i < chain.size(); ++i) {
    REQUIRE(f.log->Append(chain[i], false, int64_t(i)).status.ok());
  }
  std::vector<std::pair<Id, store::EntryStatus>> pending;
  for (size_t i = 5; i < chain.size(); ++i)
    pending.emplace_back(chain[i].id, store::EntryStatus::kPending);
  REQUIRE(f.log->SetStatuses(pending).ok());
  auto dropped = f.log->DropOldestPending(3);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 2);
  // Tails go first, so the chain keeps no hole: seqs 9 and 10 went, 1..8 remain.
  CHECK_FALSE(f.log->Get(chain[9].id)->has_value());
  CHECK_FALSE(f.log->Get(chain[8].id)->has_value());
  CHECK(f.log->Get(chain[7].id)->has_value());
  CHECK(f.log->Get(chain[5].id)->has_value());
  auto head = f.log->HeadOf(f.root.public_key());
  REQUIRE(head.ok());
  CHECK((*head)->id == chain[7].id);
  CHECK(f.log->Get(chain[0].id)->has_value());  // accepted rows never go
  CHECK(*f.log->DropOldestPending(3) == 0);
  CHECK(f.log->IntegrityCheck().ok());
}

TEST_CASE("store: a payload that arrives after its header is added, if it matches", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr, Bytes(40, 7));
  store::Entry header_only = e1;
  header_only.payload.reset();
  REQUIRE(f.log->Append(header_only, false, 1).status.ok());
  CHECK_FALSE((*f.log->Get(e1.id))->entry.payload);
  Bytes altered = *e1.payload;
  altered[0] ^= 1;
  store::Entry wrong = e1;
  wrong.payload = altered;
  CHECK(f.log->Append(wrong, false, 1).status.code() == Status::Code::kRejected);
  auto r = f.log->Append(e1, false, 1);
  REQUIRE(r.status.ok());
  CHECK(r.late_payload);
  CHECK(*(*f.log->Get(e1.id))->entry.payload == *e1.payload);
  CHECK(f.log->IntegrityCheck().ok());
}
