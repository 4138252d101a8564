// `fieldcase-bench append`: local write throughput, disk use and memory (docs/benchmarks.md).
//
// Each run, in fresh temp data folders (org founded with Argon2id INTERACTIVE, which is not
// what is measured; one case opened with the stalking template):
//   batched         N AddNote entries through Node::WriteBatch, 1000 per transaction
//   one per commit  min(N, 5000) AddNote entries through Node::Write, one fsync'd commit each
// Timed: building each batch of ops, signing, encrypting and committing. Not timed: founding,
// opening the case, removing the folder.
#include <algorithm>
#include <cstdio>

#include "benches.h"
#include "fixture.h"
#include "report.h"

namespace fieldcase::bench {

namespace {

constexpr int64_t kBatch = 1000;
constexpr int64_t kMaxPerCommit = 5000;

struct Prepared {
  std::unique_ptr<TempDir> tmp;
  std::unique_ptr<node::Node> node;  // destroyed before tmp (declared after it)
  Id128 case_id{};
};

Result<Prepared> Prepare(const Options& o) {
  Prepared p;
  FC_ASSIGN_OR_RETURN(p.tmp, TempDir::Create(o.tmp_parent));
  FC_ASSIGN_OR_RETURN(p.node, FoundOrg(*p.tmp, crypto::KdfCost::kInsecureFast));
  FC_ASSIGN_OR_RETURN(p.case_id, p.node->OpenCase(StalkingCase(), WallMs()));
  return p;
}

struct BatchedRun {
  double entries_per_s = 0;
  double cpu_us_per_entry = 0;  // user + system CPU of the process over the timed loop
  double disk_bytes_per_entry = 0;
  double peak_rss_mib = 0;
  std::string files;
};

Result<BatchedRun> RunBatched(const Options& o, const NoteTexts& texts, int run) {
  FC_ASSIGN_OR_RETURN(Prepared p, Prepare(o));
  ResetPeakRss();
  Progress progress(
      "run " + std::to_string(run) + ": batched append of " + std::to_string(o.count) + " entries",
      o.count);
  std::vector<std::pair<Id128, record::Op>> ops;
  ops.reserve(kBatch);
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  for (int64_t done = 0; done < o.count;) {
    int64_t n = std::min(kBatch, o.count - done);
    ops.clear();
    for (int64_t i = 0; i < n; ++i) ops.emplace_back(p.case_id, texts.Note(done + i));
    FC_RETURN_IF_ERROR(CheckInterrupted());
    FC_ASSIGN_OR_RETURN(auto ids, p.node->WriteBatch(ops, WallMs()));
    done += n;
    progress.Update(done);
  }
  double secs = SecondsSince(t0);
  BatchedRun r;
  r.entries_per_s = double(o.count) / secs;
  r.cpu_us_per_entry = (CpuSeconds() - cpu0) * 1e6 / double(o.count);
  r.peak_rss_mib = PeakRssMiB();
  // Sizes while the node is still open: no closing checkpoint has folded the WAL in.
  r.disk_bytes_per_entry = double(FolderBytes(p.tmp->data().root)) / double(o.count);
  r.files = FolderListing(p.tmp->data().root);
  return r;
}

struct PerCommitRun {
  double entries_per_s = 0;
  double cpu_us_per_entry = 0;
};

Result<PerCommitRun> RunPerCommit(const Options& o, const NoteTexts& texts, int run,
                                  int64_t count) {
  FC_ASSIGN_OR_RETURN(Prepared p, Prepare(o));
  Progress progress("run " + std::to_string(run) + ": one-per-commit append of " +
                        std::to_string(count) + " entries",
                    count);
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  for (int64_t i = 0; i < count; ++i) {
    FC_ASSIGN_OR_RETURN(Id id, p.node->Write(p.case_id, texts.Note(i), WallMs()));
    (void)id;
    if (i % 100 == 99) {
      progress.Update(i + 1);
      FC_RETURN_IF_ERROR(CheckInterrupted());
    }
  }
  double secs = SecondsSince(t0);
  PerCommitRun r{double(count) / secs, (CpuSeconds() - cpu0) * 1e6 / double(count)};
  progress.Update(count);
  return r;
}

}  // namespace

const char* const kAppendHelp =
    "usage: fieldcase-bench append [--count N] [--runs R] [--mode M] [--json] [--tmp DIR]\n"
    "\n"
    "Local write throughput. Each run founds an org in a fresh temp data folder (Argon2id\n"
    "INTERACTIVE: key derivation is not measured here), opens one stalking case, then:\n"
    "  append.batched          N notes of ~400 bytes via WriteBatch, 1000 per transaction\n"
    "  append.one_per_commit   min(N, 5000) notes via Write, one fsync'd commit each\n"
    "  append.disk_bytes_per_entry  files in the data folder after the batched run / N\n"
    "                          (measured before close, so the WAL is included)\n"
    "  append.peak_rss_mib     getrusage ru_maxrss during the batched run (high-water\n"
    "                          mark reset first through /proc/self/clear_refs)\n"
    "  append.*_cpu_us_per_entry  user + system CPU per entry over the timed loop; the\n"
    "                          rest of the wall time is waiting for the disk (fsync)\n"
    "Each figure is the median of R runs; every run's value is shown.\n"
    "\n"
    "  --count N   notes per batched run (default 100000)\n"
    "  --runs R    runs (default 3)\n"
    "  --mode M    both (default), batched or per-commit: which phases to run\n"
    "  --json      print one JSON object instead of lines\n"
    "  --tmp DIR   where temp data folders go (default: the system temp folder)\n";

int RunAppend(const Options& o) {
  NoteTexts texts;
  Report report("append");
  const int64_t per_commit = std::min(o.count, kMaxPerCommit);
  report.Param("count", o.count);
  report.Param("per_commit_count", per_commit);
  report.Param("batch", kBatch);
  report.Param("runs", o.runs);
  const bool batched = o.mode != "per-commit";
  const bool per_commit_mode = o.mode != "batched";
  if (batched) {
    report.Note("batched: " + std::to_string(o.count) + " entries per run, " +
                std::to_string(kBatch) + " per WriteBatch transaction");
  }
  if (per_commit_mode) {
    report.Note("one_per_commit: " + std::to_string(per_commit) +
                " entries per run (min(N, 5000): each Write is its own fsync'd commit)");
  }
  if (!ResetPeakRss()) report.Note("peak RSS could not be reset: figures are since process start");
  std::string files;
  for (int run = 1; run <= o.runs; ++run) {
    BatchedRun b;
    PerCommitRun c;
    if (batched) {
      auto r = RunBatched(o, texts, run);
      if (!r.ok()) return Fail(r.status().Prefixed("batched append"));
      b = *r;
    }
    if (per_commit_mode) {
      auto r = RunPerCommit(o, texts, run, per_commit);
      if (!r.ok()) return Fail(r.status().Prefixed("one-per-commit append"));
      c = *r;
    }
    if (batched) report.Add("append.batched", "entries/s", 0, b.entries_per_s);
    if (per_commit_mode) report.Add("append.one_per_commit", "entries/s", 0, c.entries_per_s);
    if (batched) {
      report.Add("append.batched_cpu_us_per_entry", "us", 1, b.cpu_us_per_entry);
      report.Add("append.disk_bytes_per_entry", "bytes", 0, b.disk_bytes_per_entry);
      report.Add("append.peak_rss_mib", "MiB", 1, b.peak_rss_mib);
      files = b.files;
    }
    if (per_commit_mode) {
      report.Add("append.one_per_commit_cpu_us_per_entry", "us", 1, c.cpu_us_per_entry);
    }
  }
  if (batched) report.Note("data folder after the last batched run: " + files);
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
