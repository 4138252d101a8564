#include "fixture.h"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <unistd.h>

namespace fieldcase::bench {

Result<std::unique_ptr<TempDir>> TempDir::Create(const std::filesystem::path& parent) {
  std::error_code ec;
  std::filesystem::path base = parent.empty() ? std::filesystem::temp_directory_path(ec) : parent;
  if (ec) return Status::IOError("no temp folder: " + ec.message());
  std::string templ = (base / "fieldcase-bench-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IOError("cannot create a temp folder under " + base.string() + ": " +
                           std::strerror(errno));
  }
  std::unique_ptr<TempDir> t(new TempDir(templ));
  std::filesystem::create_directory(t->data().root, ec);
  if (ec) return Status::IOError("cannot create " + t->data().root.string() + ": " + ec.message());
  return t;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec)
    std::fprintf(stderr, "warning: could not remove %s: %s\n", path_.c_str(), ec.message().c_str());
}

crypto::SecretBytes BenchPassphrase() {
  return crypto::SecretBytes::CopyFrom(AsBytes("fieldcase-bench: not a real passphrase, 2024"));
}

Result<std::unique_ptr<node::Node>> FoundOrg(const TempDir& tmp, crypto::KdfCost cost) {
  node::FoundOptions opt;
  opt.org_name = "Benchmark Constabulary";
  opt.person_name = "Bench Mark";
  opt.badge = "B-0001";
  opt.cost = cost;
  opt.recovery_out = tmp.recovery();
  auto recovery_pass = crypto::SecretBytes::CopyFrom(AsBytes("fieldcase-bench: recovery, 2024"));
  return node::Node::Found(tmp.data(), opt, BenchPassphrase(), recovery_pass, WallMs());
}

record::OpenCase StalkingCase() {
  record::OpenCase op;
  op.template_name = "stalking";
  op.fields = {{"victim", {}},
               {"suspect", {}},
               {"relationship", {}},
               {"risk_level", {"standard", "medium", "high"}},
               {"spo_status", {"none", "applied", "interim", "full", "varied", "refused", "discharged", "expired"}},
               {"spo_expiry", {}},
               {"referral", {}},
               {"next_review", {}}};
  op.note_kinds = {"incident", "breach", "contact", "action", "referral"};
  return op;
}

namespace {

constexpr size_t kTextPool = 4096;
constexpr size_t kTextBytes = 400;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

const char* const kWords[] = {
    "suspect",   "seen",     "outside", "victim's", "address", "at",       "approx",  "hours",
    "vehicle",   "silver",   "parked",  "opposite", "called",  "reported", "message", "received",
    "via",       "social",   "media",   "account",  "blocked", "again",    "officer", "attended",
    "no",        "contact",  "made",    "CCTV",     "request", "sent",     "to",      "council",
    "workplace", "followed", "from",    "station",  "bus",     "stop",     "letter",  "left",
    "under",     "door",     "risk",    "reviewed", "advice",  "given",    "safety",  "plan"};
constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];

}  // namespace

NoteTexts::NoteTexts() {
  uint64_t state = 20240601;  // fixed: the same texts on every run and machine
  texts_.reserve(kTextPool);
  for (size_t i = 0; i < kTextPool; ++i) {
    std::string t;
    t.reserve(kTextBytes + 16);
    while (t.size() < kTextBytes) {
      if (!t.empty()) t += ' ';
      t += kWords[SplitMix64(state) % kWordCount];
    }
    t.resize(kTextBytes);
    texts_.push_back(std::move(t));
  }
}

record::AddNote NoteTexts::Note(int64_t i) const {
  static const char* const kKinds[] = {"incident", "breach", "contact", "action", "referral"};
  return {kKinds[uint64_t(i) % 5], texts_[uint64_t(i) % texts_.size()]};
}

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

uint64_t FolderBytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

std::string FolderListing(const std::filesystem::path& dir) {
  std::string out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%s %.2f MiB", out.empty() ? "" : ", ",
                  e.path().filename().c_str(), double(e.file_size(ec)) / (1024.0 * 1024.0));
    out += buf;
  }
  return out;
}

bool ResetPeakRss() {
  malloc_trim(0);
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return bool(f);
}

double PeakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double CurrentRssMiB() {
  std::ifstream f("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

void Progress::Update(int64_t done) {
  int decile = total_ > 0 ? int(done * 10 / total_) : 10;
  if (decile == 0 || decile == last_decile_) return;
  last_decile_ = decile;
  std::fprintf(stderr, "%s… %d%%\n", what_.c_str(), decile * 10);
}

void Say(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnInterrupt(int) { g_interrupted = 1; }
}  // namespace

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sa.sa_flags = SA_RESETHAND;  // the second signal takes the default action
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

Status CheckInterrupted() {
  return Interrupted() ? Status::NotPermitted("interrupted; temp folders removed") : Status::Ok();
}

}  // namespace fieldcase::bench
