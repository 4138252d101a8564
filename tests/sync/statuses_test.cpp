// Settling statuses after an import re-derives only what the import can change
// (sync/statuses.h). On random histories arriving in random small batches — revocations,
// successions of the org log, forks, entries of unknown kinds, key and control entries
// whose payloads arrive after their headers, writes on a colleague's case — the status
// column after every import equals a derivation from the whole set.
#include <catch2/catch.hpp>

#include <random>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/ingest.h"
#include "fieldcase/sync/statuses.h"
#include "org/org_builder.h"
#include "test_util.h"

using namespace fieldcase;

namespace {

constexpr int64_t kNow = 1'800'000'000'000;

store::RawEntry Raw(const store::Entry& e, bool with_payload = true) {
  store::RawEntry r{Bytes(e.header_bytes.begin(), e.header_bytes.end()), e.signature, {}};
  if (with_payload) r.payload = e.payload;
  return r;
}

std::unique_ptr<store::Store> OpenStore(const test::TempDir& dir, const Id& org) {
  auto opened = store::Store::Open(dir / "s.db", org::ValidateKeyOrControl);
  REQUIRE(opened.ok());
  REQUIRE((*opened)->SetOrgId(org).ok());
  return std::move(opened).value();
}

// The status column, keyed by entry id (the derivation lists entries in the order read).
std::map<Id, store::EntryStatus> StoredById(const sync::DerivedStatuses& d) {
  std::map<Id, store::EntryStatus> out;
  for (size_t i = 0; i < d.ids.size(); ++i) out[d.ids[i]] = d.stored[i];
  return out;
}

// Statuses in the column that differ from a derivation over every entry.
size_t Disagreements(store::Store& log) {
  auto d = sync::DeriveStatuses(log);
  REQUIRE(d.ok());
  size_t differ = 0;
  for (size_t i = 0; i < d->ids.size(); ++i) {
    const Id& id = d->ids[i];
    const store::EntryStatus st = d->validity.status[i];
    if (d->stored[i] == st) continue;
    ++differ;
    auto e = log.Get(id);
    REQUIRE(e.ok());
    WARN("entry kind " << int((*e)->entry.header.kind) << " seq " << (*e)->entry.header.seq
                       << " author " << ToHex((*e)->entry.header.author).substr(0, 8)
                       << " stored " << store::ToString(d->stored[i]) << " derived "
                       << store::ToString(st));
  }
  return differ;
}

// A random history of a small force.
test::OrgBuilder History(std::mt19937_64& rng) {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", org::Role::kAdmin);
  const std::vector<std::string> officers{"ann", "bob", "cat"};
  for (const auto& who : officers) o.Enrol("admin", who, org::Role::kOfficer);
  o.Enrol("admin", "sue", org::Role::kSupervisor);
  o.TeamKey("sue");
  std::vector<store::Entry> case_keys;
  for (const auto& who : officers) case_keys.push_back(o.OpenCaseKey(who));
  const int steps = 10 + int(rng() % 50);
  for (int i = 0; i < steps; ++i) {
    const auto& who = officers[rng() % officers.size()];
    switch (rng() % 12) {
      case 0:
        case_keys.push_back(o.OpenCaseKey(who));
        break;
      case 1: {  // a kind this version does not know: needs upgrade, later entries wait
        if (rng() % 3 == 0) o.Write(who, 9, Bytes(40, 1));
        break;
      }
      case 2: {  // a revocation at some seq of the officer's chain
        const auto& head = o.heads[o.Pk(who)];
        if (head.first > 0 && rng() % 3 == 0) o.Revoke("admin", who, head.first, head.second);
        break;
      }
      default:  // a note, on any case whose key is held (a colleague's too)
        o.Data(who, case_keys[rng() % case_keys.size()]);
    }
  }
  if (rng() % 3 == 0) {  // a fork
    const auto& who = officers[rng() % officers.size()];
    const uint64_t top = o.heads[o.Pk(who)].first;
    if (top >= 2) o.Write(who, 1, Bytes(72, 2), case_keys[0].header.case_id, {}, 2 + rng() % (top - 1));
  }
  if (rng() % 4 == 0) o.Enrol("admin", "dan", org::Role::kOfficer);  // late joiner, no entries
  return o;
}

}  // namespace

TEST_CASE("sync: settling after each import equals deriving from every entry",
          "[sync][property]") {
  std::mt19937_64 rng(20261202);
  size_t imports = 0, late_payloads = 0;
  for (int scenario = 0; scenario < 150; ++scenario) {
    INFO("scenario " << scenario);
    test::OrgBuilder o = History(rng);
    // Arrival: shuffled; some key and control entries first without their payloads.
    std::vector<store::RawEntry> arriving;
    std::vector<store::RawEntry> later;
    for (const auto& e : o.log) {
      const bool org_or_key = e.header.kind == 2 || e.header.kind == 3;
      if (org_or_key && rng() % 5 == 0) {
        arriving.push_back(Raw(e, false));
        later.push_back(Raw(e));
      } else {
        arriving.push_back(Raw(e));
      }
    }
    std::shuffle(arriving.begin(), arriving.end(), rng);
    for (auto& e : later) arriving.insert(arriving.begin() + long(rng() % (arriving.size() + 1)), e);
    late_payloads += later.size();

    test::TempDir dir;
    auto opened = OpenStore(dir, o.org);
    auto& log = *opened;
    record::HybridClock clock;
    size_t at = 0;
    while (at < arriving.size()) {
      const size_t n = std::min(arriving.size() - at, size_t(1 + rng() % 8));
      std::vector<store::RawEntry> batch(arriving.begin() + long(at),
                                         arriving.begin() + long(at + n));
      at += n;
      // A session stores batches unsettled and settles later (or at the next open).
      const bool settle = rng() % 3 != 0 || at == arriving.size();
      auto rep = sync::Ingest(log, clock, {}, batch, kNow, settle);
      REQUIRE(rep.ok());
      ++imports;
      if (settle) {
        INFO("after import " << imports);
        CHECK(Disagreements(log) == 0);
        auto mark = sync::ReadStaleMark(log);
        REQUIRE(mark.ok());
        CHECK_FALSE(mark->present);
      } else if (rng() % 2) {
        auto settled = sync::RecomputeIfStale(log);
        REQUIRE(settled.ok());
        CHECK(Disagreements(log) == 0);
      }
    }
  }
  CHECK(imports > 1000);
  CHECK(late_payloads > 50);
}

TEST_CASE("sync: the stale mark names the authors an unsettled import brought", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", org::Role::kAdmin);
  o.Enrol("admin", "ann", org::Role::kOfficer);
  auto key = o.OpenCaseKey("ann");
  test::TempDir dir;
  auto opened = OpenStore(dir, o.org);
  auto& log = *opened;
  record::HybridClock clock;
  std::vector<store::RawEntry> all;
  for (const auto& e : o.log) all.push_back(Raw(e));
  REQUIRE(sync::Ingest(log, clock, {}, all, kNow).ok());
  auto note = o.Data("ann", key);
  REQUIRE(sync::Ingest(log, clock, {}, {Raw(note)}, kNow, /*settle=*/false).ok());
  auto mark = sync::ReadStaleMark(log);
  REQUIRE(mark.ok());
  CHECK(mark->present);
  CHECK_FALSE(mark->everything);
  // ann's chain was settled through its case key (seq 1) before the note came.
  CHECK(mark->authors == sync::SettledThrough{{o.Pk("ann"), 1}});
  REQUIRE(sync::RecomputeIfStale(log).ok());
  CHECK(Disagreements(log) == 0);
  auto after = log.StatusOf(note.id);
  REQUIRE(after.ok());
  CHECK(*after == store::EntryStatus::kAccepted);
  SECTION("a mark of an earlier build (authors without seqs) settles their whole chains") {
    auto later = o.Data("ann", key);
    REQUIRE(sync::Ingest(log, clock, {}, {Raw(later)}, kNow, /*settle=*/false).ok());
    ByteWriter w;
    w.U8(2);
    w.U32(1);
    w.Raw(o.Pk("ann"));
    REQUIRE(log.PutMeta("statuses-stale", w.Take()).ok());
    auto m = sync::ReadStaleMark(log);
    REQUIRE(m.ok());
    CHECK_FALSE(m->everything);
    CHECK(m->authors == sync::SettledThrough{{o.Pk("ann"), 0}});
    REQUIRE(sync::RecomputeIfStale(log).ok());
    CHECK(Disagreements(log) == 0);
    CHECK(*log.StatusOf(later.id) == store::EntryStatus::kAccepted);
  }
  SECTION("a mark this version cannot read means everything") {
    REQUIRE(log.PutMeta("statuses-stale", AsBytes("1")).ok());
    auto m = sync::ReadStaleMark(log);
    REQUIRE(m.ok());
    CHECK(m->everything);
    REQUIRE(sync::RecomputeIfStale(log).ok());
    CHECK_FALSE(sync::ReadStaleMark(log)->present);
  }
}

TEST_CASE("sync: a revoked device's entry after its cut-off leaves the chain below it as it was",
          "[sync][attack]") {
  // A stolen phone, revoked at its seq 5, pushes seq 6 later. The settle reads the chain
  // from past seq 5 only; which entries count below the cut-off is found by walking down
  // from the entry the revocation names, which needs the whole chain.
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "admin", org::Role::kAdmin);
  o.Enrol("admin", "ann", org::Role::kOfficer);
  auto key = o.OpenCaseKey("ann");                   // ann seq 1
  for (int i = 0; i < 3; ++i) o.Data("ann", key);   // seqs 2..4
  auto second = o.OpenCaseKey("ann");                // seq 5: another case
  o.Revoke("admin", "ann", second.header.seq, second.id);
  auto late = o.Data("ann", key);                    // seq 6, past the cut-off
  test::TempDir dir;
  auto opened = OpenStore(dir, o.org);
  auto& log = *opened;
  record::HybridClock clock;
  std::vector<store::RawEntry> before;
  for (const auto& e : o.log)
    if (e.id != late.id) before.push_back(Raw(e));
  REQUIRE(sync::Ingest(log, clock, {}, before, kNow).ok());
  CHECK(*log.StatusOf(key.id) == store::EntryStatus::kAccepted);
  REQUIRE(sync::Ingest(log, clock, {}, {Raw(late)}, kNow).ok());
  CHECK(*log.StatusOf(late.id) == store::EntryStatus::kQuarantined);
  CHECK(*log.StatusOf(key.id) == store::EntryStatus::kAccepted);
  CHECK(*log.StatusOf(second.id) == store::EntryStatus::kAccepted);
  CHECK(Disagreements(log) == 0);
}

TEST_CASE("sync: an ingest in pieces stores and settles what one ingest of the whole does",
          "[sync][property]") {
  // A bundle is ingested a transaction's worth at a time: a chain may continue in a later
  // piece, or (shuffled) arrive before its start; what waits is re-offered at the end.
  std::mt19937_64 rng(20261203);
  for (int scenario = 0; scenario < 60; ++scenario) {
    INFO("scenario " << scenario);
    test::OrgBuilder o = History(rng);
    std::vector<store::RawEntry> arriving;
    for (const auto& e : o.log) arriving.push_back(Raw(e));
    if (rng() % 2) std::shuffle(arriving.begin(), arriving.end(), rng);

    test::TempDir whole_dir, pieces_dir;
    auto whole = OpenStore(whole_dir, o.org);
    auto pieces = OpenStore(pieces_dir, o.org);
    record::HybridClock c1, c2;
    auto one = sync::Ingest(*whole, c1, {}, arriving, kNow);
    REQUIRE(one.ok());

    sync::Ingester in(*pieces, c2, {}, kNow);
    REQUIRE(in.Begin().ok());
    size_t at = 0, last_done = 0;
    while (at < arriving.size()) {
      const size_t n = std::min(arriving.size() - at, size_t(1 + rng() % 20));
      std::vector<store::RawEntry> piece(arriving.begin() + long(at),
                                         arriving.begin() + long(at + n));
      at += n;
      REQUIRE(in.Add(std::move(piece), [&](size_t done, size_t total) {
                  CHECK(done <= total);
                  CHECK(done >= last_done);
                  last_done = done;
                }, arriving.size()).ok());
    }
    auto many = in.Finish();
    REQUIRE(many.ok());
    CHECK(many->added == one->added);
    CHECK(many->added == arriving.size());
    CHECK(many->gaps == 0);
    CHECK(many->rejected == one->rejected);
    CHECK(many->pending == one->pending);
    CHECK(many->quarantined == one->quarantined);
    CHECK(Disagreements(*pieces) == 0);
    auto a = sync::DeriveStatuses(*whole);
    auto b = sync::DeriveStatuses(*pieces);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(StoredById(*a) == StoredById(*b));
    auto ha = whole->Heads();
    auto hb = pieces->Heads();
    REQUIRE(ha.ok());
    REQUIRE(hb.ok());
    CHECK(sync::HeadsDigest(*ha) == sync::HeadsDigest(*hb));
  }
}
