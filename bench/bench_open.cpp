// `fieldcase-bench open`: the cost of opening a store and showing every case
// (docs/benchmarks.md).
//
// Prepared once, not timed: an org founded with Argon2id MODERATE (what real stores use),
// ~100 stalking cases, N AddNote entries spread round-robin over them (WriteBatch, 1000 per
// transaction), node closed. Then per run, page cache warm:
//   argon2id     crypto::OpenWithPassphrase on a tiny blob sealed at MODERATE: Argon2id alone
//   unlock       Node::Unlock: keystore (one Argon2id), open SQLite, load control and key entries
//   materialise  Node::LoadAllCases(T): read, decrypt on T threads, apply, build every view
// Signatures are not re-verified on open (they were checked when the entries were stored).
#include <algorithm>

#include "benches.h"
#include "fixture.h"
#include "report.h"

namespace fieldcase::bench {

namespace {

constexpr int64_t kBatch = 1000;
constexpr int64_t kCases = 100;

Status PrepareStore(const Options& o, const TempDir& tmp, int64_t cases) {
  Say("founding an org (Argon2id MODERATE, twice: keystore and recovery file)…");
  FC_ASSIGN_OR_RETURN(auto node, FoundOrg(tmp, crypto::KdfCost::kModerate));
  std::vector<Id128> ids;
  for (int64_t c = 0; c < cases; ++c) {
    FC_ASSIGN_OR_RETURN(Id128 id, node->OpenCase(StalkingCase(), WallMs()));
    ids.push_back(id);
  }
  NoteTexts texts;
  Progress progress("preparing " + std::to_string(o.count) + " entries", o.count);
  std::vector<std::pair<Id128, record::Op>> ops;
  for (int64_t done = 0; done < o.count;) {
    int64_t n = std::min(kBatch, o.count - done);
    ops.clear();
    for (int64_t i = done; i < done + n; ++i)
      ops.emplace_back(ids[size_t(i % cases)], texts.Note(i));
    FC_RETURN_IF_ERROR(CheckInterrupted());
    FC_ASSIGN_OR_RETURN(auto written, node->WriteBatch(ops, WallMs()));
    done += n;
    progress.Update(done);
  }
  return Status::Ok();  // the node closes here, releasing the folder lock
}

// Checks that materialising saw every case and every note, all decrypted.
Status CheckViews(const std::vector<node::CaseRecord>& records, int64_t cases, int64_t notes) {
  int64_t seen = 0;
  for (const auto& r : records) {
    if (!r.view.undecryptable.empty())
      return Status::Corruption("a case has undecryptable entries");
    if (!r.view.opened) return Status::Corruption("a case lost its opening entry");
    seen += int64_t(r.view.notes.size());
  }
  if (int64_t(records.size()) != cases || seen != notes) {
    return Status::Corruption("materialised " + std::to_string(records.size()) + " cases and " +
                              std::to_string(seen) + " notes, expected " + std::to_string(cases) +
                              " and " + std::to_string(notes));
  }
  return Status::Ok();
}

struct OpenRun {
  double argon2id_s = 0, unlock_s = 0, materialise_s = 0, materialise_cpu_s = 0;
  double peak_rss_mib = 0, materialise_rss_mib = 0;
};

Result<OpenRun> RunOnce(const Options& o, const TempDir& tmp, ByteView argon_blob, int64_t cases) {
  OpenRun r;
  const crypto::SecretBytes pass = BenchPassphrase();
  ResetPeakRss();
  auto t0 = Clock::now();
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes opened, crypto::OpenWithPassphrase(pass, argon_blob));
  r.argon2id_s = SecondsSince(t0);

  t0 = Clock::now();
  FC_ASSIGN_OR_RETURN(auto node, node::Node::Unlock(tmp.data(), pass));
  r.unlock_s = SecondsSince(t0);
  double unlock_peak = PeakRssMiB();

  ResetPeakRss();
  double cpu0 = CpuSeconds();
  t0 = Clock::now();
  FC_ASSIGN_OR_RETURN(auto records, node->LoadAllCases(o.threads));
  r.materialise_s = SecondsSince(t0);
  r.materialise_cpu_s = CpuSeconds() - cpu0;
  r.materialise_rss_mib = PeakRssMiB();
  r.peak_rss_mib = std::max(unlock_peak, r.materialise_rss_mib);
  FC_RETURN_IF_ERROR(CheckViews(records, cases, o.count));
  return r;
}

}  // namespace

const char* const kOpenHelp =
    "usage: fieldcase-bench open [--count N] [--runs R] [--threads T] [--json] [--tmp DIR]\n"
    "\n"
    "Opening a store and materialising every case. Prepared once, not timed: an org founded\n"
    "with Argon2id MODERATE, ~100 stalking cases and N notes of ~400 bytes spread over them.\n"
    "Then each run (warm page cache):\n"
    "  open.argon2id_s         Argon2id MODERATE alone (OpenWithPassphrase of a tiny blob)\n"
    "  open.unlock_s           Node::Unlock: keystore (one Argon2id) + key ring from the log\n"
    "  open.materialise_s      Node::LoadAllCases(T): read, decrypt, apply, build all views\n"
    "  open.beyond_argon2id_s  unlock + materialise - argon2id: what fieldcase adds to the KDF\n"
    "  open.materialise        data entries / materialise seconds\n"
    "  open.materialise_cpu_s  user + system CPU of all threads during LoadAllCases\n"
    "  open.peak_rss_mib       ru_maxrss over the run (includes Argon2id's 256 MiB)\n"
    "  open.materialise_rss_mib  ru_maxrss during LoadAllCases alone\n"
    "Signatures are not re-verified on open. Each figure is the median of R runs.\n"
    "\n"
    "  --count N    notes in the store (default 100000)\n"
    "  --runs R     runs (default 3)\n"
    "  --threads T  decrypt threads for LoadAllCases (default 2)\n"
    "  --json       print one JSON object instead of lines\n"
    "  --tmp DIR    where the temp data folder goes (default: the system temp folder)\n";

int RunOpen(const Options& o) {
  const int64_t cases = std::min(kCases, o.count);
  auto tmp = TempDir::Create(o.tmp_parent);
  if (!tmp.ok()) return Fail(tmp.status());
  if (Status s = PrepareStore(o, **tmp, cases); !s.ok()) return Fail(s.Prefixed("preparing"));

  Report report("open");
  report.Param("count", o.count);
  report.Param("cases", cases);
  report.Param("threads", o.threads);
  report.Param("runs", o.runs);
  const int64_t data_entries = o.count + cases;  // notes + one open-case entry per case
  report.Note(std::to_string(o.count) + " notes over " + std::to_string(cases) + " cases (" +
              std::to_string(data_entries) + " data entries), " + std::to_string(o.threads) +
              " decrypt threads, warm page cache");
  report.Note("data folder: " + FolderListing((*tmp)->data().root));
  if (!ResetPeakRss()) report.Note("peak RSS could not be reset: figures are since process start");

  // The Argon2id reference: a tiny secret sealed at MODERATE, opened in each run.
  const crypto::SecretBytes pass = BenchPassphrase();
  Bytes blob = crypto::SealWithPassphrase(pass, AsBytes("tiny"), crypto::KdfCost::kModerate);

  for (int run = 1; run <= o.runs; ++run) {
    Say("run " + std::to_string(run) + "/" + std::to_string(o.runs) +
        ": argon2id, unlock, materialise…");
    if (Interrupted()) return Fail(CheckInterrupted());
    auto r = RunOnce(o, **tmp, blob, cases);
    if (!r.ok()) return Fail(r.status().Prefixed("open run " + std::to_string(run)));
    report.Add("open.unlock_s", "s", 3, r->unlock_s);
    report.Add("open.argon2id_s", "s", 3, r->argon2id_s);
    report.Add("open.materialise_s", "s", 3, r->materialise_s);
    report.Add("open.beyond_argon2id_s", "s", 3, r->unlock_s + r->materialise_s - r->argon2id_s);
    report.Add("open.materialise", "entries/s", 0, double(data_entries) / r->materialise_s);
    report.Add("open.materialise_cpu_s", "s", 3, r->materialise_cpu_s);
    report.Add("open.peak_rss_mib", "MiB", 1, r->peak_rss_mib);
    report.Add("open.materialise_rss_mib", "MiB", 1, r->materialise_rss_mib);
  }
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
