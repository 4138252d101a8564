// What the benchmarks share: temp data folders, a founded org, note texts, clocks, memory
// and disk measurements, progress lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fieldcase/base/status.h"
#include "fieldcase/crypto/passphrase.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/node/node.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/data_dir.h"

namespace fieldcase::bench {

// A fresh folder "fieldcase-bench-XXXXXX" under `parent` (the system temp folder when
// empty), removed with everything in it on destruction.
class TempDir {
 public:
  static Result<std::unique_ptr<TempDir>> Create(const std::filesystem::path& parent);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // The node's data folder inside it; the recovery file sits next to it, not in it, so
  // that the data folder holds only what a node keeps.
  store::DataDir data() const { return {path_ / "data"}; }
  std::filesystem::path recovery() const { return path_ / "recovery.fcrecovery"; }
  // Leaves the folder in place at the end (--keep): a grown store to profile again.
  void Keep() { keep_ = true; }

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
  bool keep_ = false;
};

// The passphrase every benchmark store is sealed with (a benchmark secret, nothing else).
crypto::SecretBytes BenchPassphrase();

// Founds an org in tmp.data() with the given Argon2id cost.
Result<std::unique_ptr<node::Node>> FoundOrg(const TempDir& tmp, crypto::KdfCost cost);

// The open-case op of the built-in "stalking" template (examples/templates/stalking.json).
record::OpenCase StalkingCase();

// A fixed pool of ~400-byte note texts (words from a deterministic generator) and kinds.
class NoteTexts {
 public:
  NoteTexts();
  record::AddNote Note(int64_t i) const;

 private:
  std::vector<std::string> texts_;
};

int64_t WallMs();  // the clock every write is stamped with

using Clock = std::chrono::steady_clock;
inline double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds (user + system, all threads) this process has used so far.
double CpuSeconds();

// Sum of the sizes of the regular files in `dir` (not recursive).
uint64_t FolderBytes(const std::filesystem::path& dir);
// "fieldcase.db 12.3 MiB, fieldcase.db-wal 4.0 MiB, ..."
std::string FolderListing(const std::filesystem::path& dir);

// Peak resident set size: ResetPeakRss lowers the kernel's high-water mark to the current
// RSS (/proc/self/clear_refs "5"); PeakRssMiB reads getrusage ru_maxrss. Returns false if
// the reset is not possible here, in which case peaks are since process start.
// The reset is preceded by malloc_trim(0), so heap freed by an earlier run is returned to
// the system and each run starts from the same RSS.
bool ResetPeakRss();
double PeakRssMiB();
// Resident set size now (/proc/self/statm), 0 if it cannot be read.
double CurrentRssMiB();

// Progress lines on stderr every 10%: "preparing 100000 entries… 40%".
class Progress {
 public:
  Progress(std::string what, int64_t total) : what_(std::move(what)), total_(total) {}
  void Update(int64_t done);

 private:
  std::string what_;
  int64_t total_;
  int last_decile_ = -1;
};

void Say(const std::string& line);  // one progress line on stderr

// Ctrl-C (SIGINT) or SIGTERM sets a flag that the long loops poll, so that they stop and
// the temp folders are still removed on the way out; a second Ctrl-C kills at once.
void InstallInterruptHandler();
bool Interrupted();
// NotPermitted "interrupted" once the flag is set, else ok.
Status CheckInterrupted();

}  // namespace fieldcase::bench
