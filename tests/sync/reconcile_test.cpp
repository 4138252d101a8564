// Reconciliation and transit form over real stores: random histories split between two
// nodes (prefixes, forks, entries only one side has) converge through sessions whose
// messages go through their byte encoding and arrive in random interleavings.
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <set>

#include "fieldcase/org/payload_rules.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/ingest.h"
#include "fieldcase/sync/reconcile.h"
#include "fieldcase/sync/transit.h"
#include "org/org_builder.h"
#include "test_util.h"

using namespace fieldcase;

namespace {

store::RawEntry Raw(const store::Entry& e, bool with_payload = true) {
  store::RawEntry r{Bytes(e.header_bytes.begin(), e.header_bytes.end()), e.signature, {}};
  if (with_payload) r.payload = e.payload;
  return r;
}

// An org whose officer has written notes until the log holds at least `entries` entries
// (the org log is the first two, the officer's case key the third).
test::OrgBuilder OfficerWithNotes(size_t entries) {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  auto ck = o.OpenCaseKey("officer");
  while (o.log.size() < entries) o.Data("officer", ck);
  return o;
}

struct Node {
  std::unique_ptr<store::Store> log;
  record::HybridClock clock;
  std::vector<PublicKey> org_authors;
  size_t stores = 0, most_stored = 0;  // ingest calls, and the most entries in one

  Node(const std::filesystem::path& path, const Id& org, std::vector<PublicKey> org_keys)
      : org_authors(std::move(org_keys)) {
    auto s = store::Store::Open(path, org::ValidateKeyOrControl);
    REQUIRE(s.ok());
    log = std::move(s).value();
    REQUIRE(log->SetOrgId(org).ok());
  }
  void Take(const std::vector<store::RawEntry>& entries) {
    auto rep = sync::Ingest(*log, clock, {}, entries, 1'800'000'000'000);
    REQUIRE(rep.ok());
  }
  sync::Reconciler Session() {
    sync::Reconciler::Local l;
    l.log = log.get();
    l.org_authors = [this] { return org_authors; };
    l.ingest = [this](const std::vector<store::RawEntry>& e, int64_t now) {
      ++stores;
      most_stored = std::max(most_stored, e.size());
      return sync::Ingest(*log, clock, {}, e, now);
    };
    // Batches of 7 entries, stored 20 or more at a time and as each phase ends.
    return sync::Reconciler(std::move(l), sync::ReconcileLimits{7, 4096, 20, 1u << 20});
  }
  std::set<Id> Ids() {
    std::set<Id> ids;
    store::EntryFilter headers;
    headers.payloads = false;
    REQUIRE(log->ForEach(headers, [&](store::StoredEntry& se) {
      ids.insert(se.entry.id);
      return Status::Ok();
    }).ok());
    return ids;
  }
  Id Digest() {
    auto h = log->Heads();
    REQUIRE(h.ok());
    return sync::HeadsDigest(*h);
  }
};

// Runs a session to the end, delivering in a random interleaving (each direction in order).
// Returns the messages each side sent.
std::pair<uint64_t, uint64_t> Run(Node& a, Node& b, std::mt19937_64& rng) {
  auto sa = a.Session();
  auto sb = b.Session();
  REQUIRE(sa.Start().ok());
  REQUIRE(sb.Start().ok());
  std::deque<Bytes> to_a, to_b;
  for (int step = 0; step < 100000; ++step) {
    // Drain what each side has to say, in random amounts.
    for (auto [s, q] : {std::pair{&sa, &to_b}, std::pair{&sb, &to_a}}) {
      for (int k = int(rng() % 3); k >= 0; --k) {
        auto m = s->Next();
        REQUIRE(m.ok());
        if (!*m) break;
        q->push_back(sync::EncodeMessage(**m));
      }
    }
    if (sa.finished() && sb.finished() && to_a.empty() && to_b.empty()) {
      return {sa.totals().messages_sent, sb.totals().messages_sent};
    }
    auto deliver = [&](std::deque<Bytes>& q, sync::Reconciler& s) {
      if (q.empty()) return;
      auto m = sync::DecodeMessage(q.front());
      q.pop_front();
      REQUIRE(m.ok());
      Status st = s.Receive(*m, 1'800'000'000'000);
      INFO(st.message());
      REQUIRE(st.ok());
    };
    if (rng() % 2) {
      deliver(to_a, sa);
    } else {
      deliver(to_b, sb);
    }
  }
  FAIL("the session did not end");
  return {};
}

}  // namespace

TEST_CASE("sync: transit form rebuilds the exact signed header bytes", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  auto ck = o.OpenCaseKey("officer");
  for (int i = 0; i < 5; ++i) o.Data("officer", ck);
  o.Write("officer", 1, Bytes(72, 1), ck.header.case_id, {}, /*fork_at=*/4);  // a second branch
  std::vector<store::RawEntry> in;
  for (size_t i = 0; i < o.log.size(); ++i) in.push_back(Raw(o.log[i], i % 3 != 1));
  ByteWriter w;
  sync::PutTransitBatch(w, in);
  Bytes bytes = w.Take();
  ByteReader r(bytes);
  auto out = sync::GetTransitBatch(r, sync::kAnyEntryCount);
  REQUIRE(out.ok());
  CHECK(r.remaining() == 0);
  REQUIRE(out->size() == in.size());
  size_t carried = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(out->at(i).header == in[i].header);
    CHECK(out->at(i).signature == in[i].signature);
    CHECK(out->at(i).payload == in[i].payload);
    if (in[i].payload) carried += in[i].payload->size();
  }
  // Per entry: 46 header bytes + signature + flag, and the hash where the payload stays;
  // per run 77 bytes (three runs: root, officer, the branch) and the count.
  const size_t hashes = 32 * size_t(std::count_if(in.begin(), in.end(),
                                                   [](auto& e) { return !e.payload; }));
  CHECK(bytes.size() == 4 + 3 * 77 + in.size() * 111 + hashes + carried);
  // Truncated anywhere, or a count raised: refused, never over-read.
  for (size_t cut = 0; cut < bytes.size(); cut += 13) {
    ByteReader t(ByteView(bytes).first(cut));
    CHECK_FALSE(sync::GetTransitBatch(t, sync::kAnyEntryCount).ok());
  }
  Bytes big = bytes;
  big[0] = 0xFF;
  ByteReader b(big);
  CHECK_FALSE(sync::GetTransitBatch(b, sync::kAnyEntryCount).ok());
}

TEST_CASE("sync: an Entries message of more than 1,000 entries is refused before it is kept",
          "[sync]") {
  test::OrgBuilder o = OfficerWithNotes(sync::kMaxBatchEntries + 1);
  std::vector<store::RawEntry> in;
  for (const auto& e : o.log) in.push_back(Raw(e, /*with_payload=*/false));
  sync::Message m;
  m.type = sync::Message::Type::kEntries;
  m.phase = sync::Phase::kAll;
  m.entries.assign(in.begin(), in.begin() + long(sync::kMaxBatchEntries));
  auto at_bound = sync::DecodeMessage(sync::EncodeMessage(m));
  REQUIRE(at_bound.ok());
  CHECK(at_bound->entries.size() == sync::kMaxBatchEntries);
  // One more, in the same runs or in a run of its own: refused, whatever its bytes.
  m.entries = in;
  auto over = sync::DecodeMessage(sync::EncodeMessage(m));
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.status().message(), Catch::Contains("more than 1000 entries"));
  ByteWriter w;
  sync::PutTransitBatch(w, in);
  Bytes bytes = w.Take();
  ByteReader r(bytes);
  CHECK_FALSE(sync::GetTransitBatch(r, sync::kMaxBatchEntries).ok());
  ByteReader whole(bytes);
  CHECK(sync::GetTransitBatch(whole, sync::kAnyEntryCount).ok());  // a bundle's bound is bytes
}

TEST_CASE("sync: an ingest holds a bounded number of entries waiting for a predecessor",
          "[sync]") {
  const size_t beyond = 5;
  test::OrgBuilder o = OfficerWithNotes(3 + sync::kMaxHeldGaps + beyond);
  test::TempDir dir;
  Node n(dir / "a.db", o.org, {o.Pk("root")});
  n.Take({Raw(o.log[0]), Raw(o.log[1])});  // the org log
  // The officer's chain from its second entry, in pieces, its first entry last: every
  // entry waits, and only the first kMaxHeldGaps are kept for the end (an attacker's file
  // of entries at random seqs cannot fill memory).
  std::vector<store::RawEntry> chain;
  for (size_t i = 3; i < o.log.size(); ++i) chain.push_back(Raw(o.log[i], /*with_payload=*/false));
  sync::Ingester in(*n.log, n.clock, {}, 1'800'000'000'000);
  REQUIRE(in.Begin().ok());
  for (size_t at = 0; at < chain.size(); at += 4000) {
    REQUIRE(in.Add({chain.begin() + long(at),
                    chain.begin() + long(std::min(chain.size(), at + 4000))}).ok());
  }
  REQUIRE(in.Add({Raw(o.log[2])}).ok());
  auto rep = in.Finish();
  REQUIRE(rep.ok());
  CHECK(rep->added == 1 + sync::kMaxHeldGaps);
  CHECK(rep->gaps == beyond);  // not kept: offered again once their predecessor is here
  CHECK(rep->rejected == 0);
  // The rest, offered again, joins the chain.
  auto again = sync::Ingest(*n.log, n.clock, {}, chain, 1'800'000'000'000);
  REQUIRE(again.ok());
  CHECK(again->added == beyond);
  CHECK(again->gaps == 0);
}

TEST_CASE("sync: an ingest keeps the first reasons and counts every rejected entry", "[sync]") {
  test::OrgBuilder o = OfficerWithNotes(3 + sync::kMaxImportReasons + 50);
  test::TempDir dir;
  Node n(dir / "a.db", o.org, {o.Pk("root")});
  std::vector<store::RawEntry> in;
  for (const auto& e : o.log) in.push_back(Raw(e));
  // After the chain, a copy of each of its entries with a broken signature: each is
  // checked (its predecessor is held) and refused.
  for (size_t i = 3; i < o.log.size(); ++i) {
    in.push_back(Raw(o.log[i]));
    in.back().signature[5] ^= 1;
  }
  auto rep = sync::Ingest(*n.log, n.clock, {}, in, 1'800'000'000'000);
  REQUIRE(rep.ok());
  CHECK(rep->rejected == sync::kMaxImportReasons + 50);
  CHECK(rep->reasons.size() == sync::kMaxImportReasons);
}

TEST_CASE("sync: a changed transit byte fails the signature on the rebuilt header", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  test::TempDir dir;
  Node n(dir / "a.db", o.org, {o.Pk("root")});
  std::vector<store::RawEntry> in{Raw(o.log[0]), Raw(o.log[1])};
  ByteWriter w;
  sync::PutTransitBatch(w, in);
  Bytes bytes = w.Take();
  // Flip the hlc of the second entry (run header 77 + first entry, then kind..hlc).
  const size_t second = 4 + 77 + 111 + o.log[0].payload->size();
  bytes[second + 2 + 16] ^= 1;
  ByteReader r(bytes);
  auto out = sync::GetTransitBatch(r, sync::kAnyEntryCount);
  REQUIRE(out.ok());
  auto rep = sync::Ingest(*n.log, n.clock, {}, *out, 1'800'000'000'000);
  REQUIRE(rep.ok());
  CHECK(rep->added == 1);
  CHECK(rep->rejected == 1);
  CHECK_THAT(rep->reasons.at(0), Catch::Contains("bad signature"));
}

TEST_CASE("sync: equal nodes agree in one round trip", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  test::TempDir dir;
  Node a(dir / "a.db", o.org, {o.Pk("root")}), b(dir / "b.db", o.org, {o.Pk("root")});
  std::vector<store::RawEntry> all;
  for (const auto& e : o.log) all.push_back(Raw(e));
  a.Take(all);
  b.Take(all);
  std::mt19937_64 rng(7);
  auto [sent_a, sent_b] = Run(a, b, rng);
  CHECK(sent_a == 2);  // digest (of the org log and of everything), done
  CHECK(sent_b == 2);
}

TEST_CASE("sync: received batches are stored in groups, every entry counted", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "ann", org::Role::kOfficer);
  auto key = o.OpenCaseKey("ann");
  for (int i = 0; i < 100; ++i) o.Data("ann", key);
  test::TempDir dir;
  Node a(dir / "a.db", o.org, {o.Pk("root")}), b(dir / "b.db", o.org, {o.Pk("root")});
  std::vector<store::RawEntry> all;
  for (const auto& e : o.log) all.push_back(Raw(e));
  a.Take(all);
  std::mt19937_64 rng(11);
  Run(a, b, rng);
  CHECK(b.Ids() == a.Ids());
  // About 100 entries in batches of 7: a store every 21 or so and one as the phase ends,
  // not one per batch.
  CHECK(b.stores <= 8);
  CHECK(b.most_stored <= 20 + 7);
  CHECK(b.most_stored >= 20);
}

TEST_CASE("sync: random histories split between two nodes converge", "[sync][property]") {
  // 200 scenarios: random writes, random prefixes of every chain on each side (an enrolment
  // may arrive after the entries it authorises, or not at all until the session), a forked
  // author in a third of them, shuffled arrival; then one session in a random interleaving.
  std::mt19937_64 rng(20261201);
  for (int scenario = 0; scenario < 200; ++scenario) {
    INFO("scenario " << scenario);
    test::OrgBuilder o;
    o.Found();
    o.Enrol("root", "admin", org::Role::kAdmin);
    std::vector<std::string> officers{"ann", "bob", "cat"};
    for (const auto& who : officers) o.Enrol("admin", who, org::Role::kOfficer);
    const size_t org_entries = o.log.size();
    std::map<std::string, store::Entry> case_keys;
    for (const auto& who : officers) case_keys.emplace(who, o.OpenCaseKey(who));
    const int writes = int(rng() % 40);
    for (int i = 0; i < writes; ++i) {
      const auto& who = officers[rng() % officers.size()];
      o.Data(who, case_keys.at(who));
    }
    const bool fork = rng() % 3 == 0;
    if (fork) {
      const auto& who = officers[rng() % officers.size()];
      const uint64_t top = o.heads[o.Pk(who)].first;
      if (top >= 2) {
        o.Write(who, 1, Bytes(72, 2), case_keys.at(who).header.case_id, {},
                /*fork_at=*/2 + rng() % (top - 1));
      }
    }
    // Each side gets a random prefix of each author's chain (branches: one side or both),
    // in a random order; the org log to one side, both or (late) neither.
    test::TempDir dir;
    const std::vector<PublicKey> org_keys{o.Pk("root"), o.Pk("admin")};
    Node a(dir / "a.db", o.org, org_keys), b(dir / "b.db", o.org, org_keys);
    std::map<PublicKey, std::pair<uint64_t, uint64_t>> cut;
    std::vector<store::RawEntry> to_a, to_b;
    for (size_t i = 0; i < o.log.size(); ++i) {
      const auto& e = o.log[i];
      auto [it, fresh] = cut.emplace(e.header.author, std::pair<uint64_t, uint64_t>{});
      if (fresh) it->second = {rng() % 50, rng() % 50};
      const bool org_entry = i < org_entries;
      if (org_entry || e.header.seq <= it->second.first) to_a.push_back(Raw(e));
      if ((org_entry && rng() % 2) || e.header.seq <= it->second.second) to_b.push_back(Raw(e));
    }
    std::shuffle(to_a.begin(), to_a.end(), rng);
    std::shuffle(to_b.begin(), to_b.end(), rng);
    a.Take(to_a);
    b.Take(to_b);
    std::set<Id> all = a.Ids();
    for (const Id& id : b.Ids()) all.insert(id);
    Run(a, b, rng);
    const auto ia = a.Ids(), ib = b.Ids();
    CHECK(ia == ib);
    CHECK(ia == all);
    CHECK(a.Digest() == b.Digest());
    // The same statuses for the same entries (derived, not carried).
    size_t differ = 0;
    for (const Id& id : ia) {
      auto sa = a.log->StatusOf(id), sb = b.log->StatusOf(id);
      REQUIRE(sa.ok());
      REQUIRE(sb.ok());
      differ += *sa != *sb;
    }
    CHECK(differ == 0);
    // A second session finds nothing to do.
    auto [again_a, again_b] = Run(a, b, rng);
    CHECK(again_a == 2);
    CHECK(again_b == 2);
  }
}

TEST_CASE("sync: a plan sends only what the holder of a heads file lacks", "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  auto ck = o.OpenCaseKey("officer");
  for (int i = 0; i < 50; ++i) o.Data("officer", ck);
  test::TempDir dir;
  Node a(dir / "a.db", o.org, {o.Pk("root")});
  std::vector<store::RawEntry> all;
  for (const auto& e : o.log) all.push_back(Raw(e));
  a.Take(all);
  // They hold the org log and the officer's first 11 entries.
  std::map<PublicKey, store::Head> tip;
  for (const auto& e : o.log) {
    if (e.header.author == o.Pk("officer") && e.header.seq > 11) continue;
    auto& t = tip[e.header.author];
    if (e.header.seq >= t.seq) t = {e.header.author, e.header.seq, e.id, e.header.hlc};
  }
  std::vector<store::Head> theirs;
  for (auto& [k, h] : tip) theirs.push_back(h);
  auto mine = a.log->Heads();
  REQUIRE(mine.ok());
  auto count = [&](const std::vector<store::Head>& heads) {
    auto plans = sync::PlanSend(*a.log, *mine, heads);
    REQUIRE(plans.ok());
    size_t n = 0;
    for (const auto& p : *plans) {
      sync::ChainCursor c{p.author, p.probe_from ? 0 : p.after_seq};
      std::vector<store::RawEntry> out;
      while (!c.done) REQUIRE(sync::ReadChain(*a.log, c, 3, 1 << 20, out).ok());
      n += out.size();
    }
    return n;
  };
  // The officer wrote 1 case key + 50 notes: they lack seqs 12..51.
  CHECK(count(theirs) == 40);
  CHECK(count({}) == o.log.size());
  // A head they hold at a seq held here with another id: another branch, all of that author.
  theirs.back().id[0] ^= 1;
  CHECK(count(theirs) > 40);
}

TEST_CASE("sync: two long branches of a forked author meet through the backwards search",
          "[sync]") {
  test::OrgBuilder o;
  o.Found();
  o.Enrol("root", "officer", org::Role::kOfficer);
  auto ck = o.OpenCaseKey("officer");
  const PublicKey officer = o.Pk("officer");
  for (int i = 0; i < 598; ++i) o.Data("officer", ck);  // x: seqs 1..599
  // y parts from x at seq 10 and runs to 500: the first 256 ids of a probe from 500 down
  // are all unknown to the other side.
  auto y10 = o.Write("officer", 1, Bytes(72, 3), ck.header.case_id, {}, /*fork_at=*/10);
  o.heads[officer] = {10, y10.id};
  for (int i = 0; i < 490; ++i) o.Data("officer", ck);
  std::vector<store::RawEntry> x, y;
  // Split by walking each branch back from its head.
  std::set<Id> y_ids;
  for (Id at = o.heads[officer].second; y_ids.size() < 491;) {
    y_ids.insert(at);
    auto it = std::find_if(o.log.begin(), o.log.end(), [&](auto& e) { return e.id == at; });
    at = it->header.prev;
  }
  for (const auto& e : o.log) {
    const bool shared = e.header.author != officer || e.header.seq < 10;
    if (shared || !y_ids.count(e.id)) x.push_back(Raw(e));
    if (shared || y_ids.count(e.id)) y.push_back(Raw(e));
  }
  test::TempDir dir;
  Node a(dir / "a.db", o.org, {o.Pk("root")}), b(dir / "b.db", o.org, {o.Pk("root")});
  a.Take(x);
  b.Take(y);
  REQUIRE(a.Ids().size() == x.size());
  REQUIRE(b.Ids().size() == y.size());
  std::mt19937_64 rng(11);
  Run(a, b, rng);
  CHECK(a.Ids() == b.Ids());
  CHECK(a.Ids().size() == o.log.size());
  CHECK(a.Digest() == b.Digest());
  auto forks = a.log->Forks();
  REQUIRE(forks.ok());
  CHECK_FALSE(forks->empty());
}
