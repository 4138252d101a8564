// fieldcase-bench: throughput, open time and primitive rates of fieldcase on this machine.
// What each figure means and the measured results: docs/benchmarks.md.
#include <cstdio>
#include <exception>
#include <string_view>

#include "benches.h"
#include "fieldcase/crypto/secret.h"
#include "fixture.h"

namespace {

constexpr const char* kHelp =
    "usage: fieldcase-bench <command> [options]\n"
    "\n"
    "Measures fieldcase on this machine; each figure is the median of several runs\n"
    "(docs/benchmarks.md says what each one means and what it is compared with).\n"
    "\n"
    "commands:\n"
    "  append   write throughput (batched and one commit per entry), disk bytes per entry,\n"
    "           peak memory\n"
    "  open     unlock + materialise every case of a 100,000-entry store, against Argon2id\n"
    "  micro    one-thread rates of ed25519, XChaCha20-Poly1305, BLAKE2b\n"
    "  bundle   export and import of a 100,000-entry bundle from ten authors\n"
    "  sync     a device pulling from a hub over loopback, catching up, nothing new\n"
    "  scale    one note, one new case and an unlock at 10 to 10,000 cases; verify\n"
    "\n"
    "`fieldcase-bench <command> --help` lists a command's options. Progress goes to stderr,\n"
    "results to stdout (--json for one JSON object). Temp data folders are removed at the end.\n";

int Run(int argc, char** argv) {
  using namespace fieldcase::bench;
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (!fieldcase::crypto::Init())
    return Fail(fieldcase::Status::IOError("libsodium cannot initialise"));
  InstallInterruptHandler();

  Options defaults;
  const char* help = nullptr;
  int (*run)(const Options&) = nullptr;
  fieldcase::Result<Options> o = fieldcase::Status::InvalidArgument(
      "unknown command '" + std::string(cmd) + "'; try append, open, micro, bundle, sync or scale (see --help)");
  if (cmd == "append") {
    help = kAppendHelp;
    run = RunAppend;
    o = ParseOptions(argc, argv, 2, defaults, {"count", "runs", "mode", "json", "tmp"});
  } else if (cmd == "open") {
    help = kOpenHelp;
    run = RunOpen;
    o = ParseOptions(argc, argv, 2, defaults, {"count", "runs", "threads", "json", "tmp"});
  } else if (cmd == "micro") {
    help = kMicroHelp;
    run = RunMicro;
    o = ParseOptions(argc, argv, 2, defaults, {"runs", "json"});
  } else if (cmd == "bundle" || cmd == "sync") {
    help = cmd == "bundle" ? kBundleHelp : kSyncHelp;
    run = cmd == "bundle" ? RunBundle : RunSync;
    o = ParseOptions(argc, argv, 2, defaults, {"count", "runs", "json", "tmp"});
  } else if (cmd == "scale") {
    help = kScaleHelp;
    run = RunScale;
    defaults.runs = 5;
    o = ParseOptions(argc, argv, 2, defaults, {"count", "runs", "json", "tmp", "keep"});
  }
  if (!o.ok()) {
    Fail(o.status());
    return 2;
  }
  if (o->help) {
    std::fputs(help, stdout);
    return 0;
  }
  return run(*o);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fieldcase-bench: internal error: %s\n", e.what());
    return 70;
  }
}
