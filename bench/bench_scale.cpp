// `fieldcase-bench scale`: what one command costs as the store grows (docs/benchmarks.md).
//
// One store grows through the ladder 10, 1,000, 10,000 cases, then notes up to N entries.
// At each step, per run, a fresh unlock (what every command pays) and then one write:
//   unlock_ms   Node::Unlock with its keystore already opened (Argon2id is not timed)
//   note_ms     one AddNote on an existing case (`case note` beyond the KDF: unlock + write)
//   open_ms     one new case (`case open` beyond the KDF: unlock + OpenCase)
// At the last step also `verify` of the whole folder (node::VerifyFolder, keyless).
// A flat curve is the aim: a write must not read the store.
#include <algorithm>
#include <atomic>
#include <thread>

#include "benches.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/store/keystore.h"
#include "fixture.h"
#include "report.h"

namespace fieldcase::bench {

namespace {

constexpr crypto::KdfCost kCost = crypto::KdfCost::kInsecureFast;  // not timed anyway

struct Step {
  std::string label;
  int64_t cases = 0;
  int64_t entries = 0;  // 0: just the cases (two entries each)
};

struct Grower {
  const TempDir& tmp;
  std::vector<Id128> cases;
  int64_t notes = 0;

  Status GrowCases(int64_t want) {
    FC_ASSIGN_OR_RETURN(auto node, node::Node::Unlock(tmp.data(), BenchPassphrase()));
    Progress progress("opening cases up to " + std::to_string(want), want);
    while (int64_t(cases.size()) < want) {
      FC_RETURN_IF_ERROR(CheckInterrupted());
      FC_ASSIGN_OR_RETURN(Id128 id, node->OpenCase(StalkingCase(), WallMs()));
      cases.push_back(id);
      progress.Update(int64_t(cases.size()));
    }
    return Status::Ok();
  }

  Status GrowEntries(int64_t want) {
    FC_ASSIGN_OR_RETURN(auto node, node::Node::Unlock(tmp.data(), BenchPassphrase()));
    FC_ASSIGN_OR_RETURN(int64_t have, node->log().CountEntries());
    NoteTexts texts;
    Progress progress("writing notes up to " + std::to_string(want) + " entries", want);
    std::vector<std::pair<Id128, record::Op>> ops;
    while (have < want) {
      FC_RETURN_IF_ERROR(CheckInterrupted());
      ops.clear();
      const int64_t n = std::min<int64_t>(1000, want - have);
      for (int64_t i = 0; i < n; ++i, ++notes)
        ops.emplace_back(cases[size_t(notes % int64_t(cases.size()))], texts.Note(notes));
      FC_RETURN_IF_ERROR(node->WriteBatch(ops, WallMs()).status());
      have += n;
      progress.Update(have);
    }
    return Status::Ok();
  }
};

double Ms(Clock::time_point t0) { return SecondsSince(t0) * 1000.0; }

Result<int64_t> EntriesHeld(const store::DataDir& dir) {
  FC_ASSIGN_OR_RETURN(auto node, node::Node::Unlock(dir, BenchPassphrase()));
  return node->log().CountEntries();
}

// Seconds to verify n entry-sized signatures split over the hardware threads, the way
// verify splits them (one key and message: the cost of ed25519 does not depend on which).
double SignaturesOnlySeconds(int64_t n) {
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  const Id org = crypto::RandomArray<32>();
  store::Header h;
  h.kind = uint8_t(store::Kind::kData);
  h.author = key.public_key();
  h.seq = 42;
  const auto header = store::EncodeHeader(h);
  const Signature sig = key.Sign(crypto::SignTag::kEntry, {org, header});
  const int threads = int(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8));
  std::atomic<int64_t> next{0}, good{0};
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      int64_t ok = 0;
      for (int64_t i = next.fetch_add(256); i < n; i = next.fetch_add(256)) {
        for (int64_t j = i; j < std::min(n, i + 256); ++j)
          ok += crypto::Verify(key.public_key(), crypto::SignTag::kEntry, {org, header}, sig);
      }
      good += ok;
    });
  }
  for (auto& t : pool) t.join();
  const double s = SecondsSince(t0);
  if (good != n) Say("warning: a signature did not verify");
  return s;
}

}  // namespace

const char* const kScaleHelp =
    "usage: fieldcase-bench scale [--count N] [--runs R] [--json] [--tmp DIR]\n"
    "\n"
    "What one command costs as the store grows. One store grows through 10, 1,000 and\n"
    "10,000 cases, then notes up to N entries. At each step, each run:\n"
    "  scale.unlock_ms@STEP  Node::Unlock, keystore opened beforehand (every command pays it)\n"
    "  scale.note_ms@STEP    unlock + one note on an existing case (`case note` beyond the KDF)\n"
    "  scale.open_ms@STEP    unlock + one new case (`case open` beyond the KDF)\n"
    "and at the last step:\n"
    "  scale.verify_signatures_only_s  as many ed25519 verifications on every hardware\n"
    "                        thread and nothing else: the floor under verify on this machine\n"
    "  scale.verify_s        keyless verify of the whole folder (node::VerifyFolder)\n"
    "The aim is a flat curve. Each figure is the median of R runs.\n"
    "\n"
    "  --count N   entries at the last step (default 100000; at least 20,000)\n"
    "  --runs R    runs per step (default 5)\n"
    "  --json      one JSON object\n"
    "  --tmp DIR   where the temp folder goes\n"
    "  --keep      leave the grown folder in place and name it (to profile verify again)\n";

int RunScale(const Options& o) {
  auto tmp = TempDir::Create(o.tmp_parent);
  if (!tmp.ok()) return Fail(tmp.status());
  if (o.keep) {
    (*tmp)->Keep();
    Say("keeping " + (*tmp)->data().root.string());
  }
  {
    Say("founding an org…");
    auto founded = FoundOrg(**tmp, kCost);
    if (!founded.ok()) return Fail(founded.status().Prefixed("founding"));
  }
  const crypto::SecretBytes pass = BenchPassphrase();
  const std::vector<Step> ladder{{"10", 10, 0},
                                 {"1000", 1000, 0},
                                 {"10000", 10000, 0},
                                 {std::to_string(std::max<int64_t>(o.count, 20000)) + "e", 10000,
                                  std::max<int64_t>(o.count, 20000)}};
  Report report("scale");
  report.Param("count", o.count);
  report.Param("runs", o.runs);
  report.Note("STEP: cases held, or (with e) entries held over 10,000 cases; the keystore "
              "is opened (Argon2id) before each timed unlock");
  Grower grow{**tmp, {}, 0};
  NoteTexts texts;
  for (const Step& step : ladder) {
    Status grown = grow.GrowCases(step.cases);
    if (grown.ok() && step.entries > 0) grown = grow.GrowEntries(step.entries);
    if (!grown.ok()) return Fail(grown.Prefixed("growing to " + step.label));
    Say("step " + step.label + ": " + std::to_string(o.runs) + " runs…");
    for (int run = 0; run < o.runs; ++run) {
      if (Interrupted()) return Fail(CheckInterrupted());
      double unlock_ms = 0;
      for (bool open_case : {false, true}) {
        // The keystore is opened (Argon2id) before the clock starts: what is measured is
        // what the store's size can change.
        auto ks = store::ReadKeystore((*tmp)->data().keystore(), pass);
        if (!ks.ok()) return Fail(ks.status());
        auto t0 = Clock::now();
        auto node = node::Node::Unlock((*tmp)->data(), std::move(ks).value());
        if (!node.ok()) return Fail(node.status());
        unlock_ms = std::max(unlock_ms, Ms(t0));
        Status wrote;
        if (open_case) {
          auto id = (*node)->OpenCase(StalkingCase(), WallMs());
          wrote = id.status();
          if (id.ok()) grow.cases.push_back(*id);
        } else {
          wrote = (*node)->Write(grow.cases[size_t(run) % grow.cases.size()],
                                 texts.Note(run), WallMs())
                      .status();
        }
        if (!wrote.ok()) return Fail(wrote);
        report.Add(std::string("scale.") + (open_case ? "open_ms@" : "note_ms@") + step.label,
                   "ms", 1, Ms(t0));
      }
      report.Add("scale.unlock_ms@" + step.label, "ms", 1, unlock_ms);
    }
  }
  // The floor under verify: as many entry signatures, verified on every hardware thread with
  // nothing else to do. ed25519 verification is most of verify's work, and its speed differs
  // between machines (and between days on a shared VM) more than anything else here.
  auto held = EntriesHeld((*tmp)->data());
  if (!held.ok()) return Fail(held.status());
  for (int run = 0; run < o.runs; ++run) {
    Say("signature floor run " + std::to_string(run + 1) + "/" + std::to_string(o.runs) + "…");
    report.Add("scale.verify_signatures_only_s", "s", 2, SignaturesOnlySeconds(*held));
  }
  for (int run = 0; run < o.runs; ++run) {
    Say("verify run " + std::to_string(run + 1) + "/" + std::to_string(o.runs) + "…");
    auto t0 = Clock::now();
    auto v = node::VerifyFolder((*tmp)->data());
    if (!v.ok()) return Fail(v.status());
    if (!v->ok()) return Fail(Status::Corruption("the benchmark store does not verify"));
    report.Add("scale.verify_s", "s", 2, SecondsSince(t0));
  }
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
