// `fieldcase-bench bundle`: export and import of a bundle carrying N notes from ten authors
// (docs/benchmarks.md). Prepared once (bench/station.h); then per run, HQ exports every
// entry the device lacks (--since its heads) and a fresh copy of the device imports the
// file from disk, as `fieldcase import` does: read a message at a time and checked whole,
// then every signature verified (worker threads) and every entry stored in pieces.
#include "benches.h"
#include <filesystem>

#include "fieldcase/store/file_source.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/heads.h"
#include "report.h"
#include "station.h"

namespace fieldcase::bench {

const char* const kBundleHelp =
    "usage: fieldcase-bench bundle [--count N] [--runs R] [--json] [--tmp DIR]\n"
    "\n"
    "A bundle by USB stick. Prepared once, not timed: an org, ten authors (HQ and nine\n"
    "officers) writing N ~400-byte notes over 100 cases, and a device that joined before\n"
    "any of them. Then each run:\n"
    "  bundle.export            entries/s: HQ plans from the device's heads file, reads,\n"
    "                           encodes (transit form) and seals the bundle\n"
    "  bundle.import            entries/s: a fresh copy of the device opens the bundle,\n"
    "                           verifies every signature and stores every entry\n"
    "  bundle.bytes_per_entry   file bytes / entries\n"
    "  bundle.overhead_per_entry  (file bytes - payload bytes) / entries: header remnant,\n"
    "                           signature, framing, stream tags\n"
    "  bundle.import_rss_mib    peak RSS of the process during the import (HQ's node and\n"
    "                           the prepared station included)\n"
    "  bundle.import_added_mib  that peak less the RSS just before the import: what the\n"
    "                           import itself holds (the file is read from disk)\n"
    "\n"
    "  --count N   notes (default 100000)\n"
    "  --runs R    runs (default 3)\n"
    "  --json      one JSON object\n"
    "  --tmp DIR   where the temp folders go\n";

int RunBundle(const Options& o) {
  auto station = BuildStation(o);
  if (!station.ok()) return Fail(station.status().Prefixed("preparing"));
  Station& s = *station;
  Report report("bundle");
  report.Param("count", o.count);
  report.Param("runs", o.runs);
  report.Note(std::to_string(o.count) + " notes from 10 authors over 100 cases");
  for (int run = 1; run <= o.runs; ++run) {
    Say("run " + std::to_string(run) + "/" + std::to_string(o.runs) + ": export, import…");
    auto device = FreshDevice(s);
    if (!device.ok()) return Fail(device.status());
    auto heads = sync::DecodeHeadsFile((*device)->HeadsFile().value());
    if (!heads.ok()) return Fail(heads.status());
    node::ExportOptions options;
    options.since = heads->heads;
    auto t0 = Clock::now();
    auto bundle = s.hq->ExportBundle(options, WallMs());
    if (!bundle.ok()) return Fail(bundle.status());
    const double export_s = SecondsSince(t0);
    const double entries = double(bundle->manifest.entries);
    // Payload bytes: what the entries carry of their own (ciphertext, nonce, tag, padding).
    double payload = 0;
    {
      auto opened = (*device)->OpenBundle(bundle->file);
      if (!opened.ok()) return Fail(opened.status());
      for (const auto& e : opened->entries) payload += e.payload ? double(e.payload->size()) : 0;
    }
    const double file_bytes = double(bundle->file.size());
    const auto path = s.tmp->path() / ("run-" + std::to_string(run) + ".fcbundle");
    if (Status w = store::WriteFileAtomic(path, bundle->file); !w.ok()) return Fail(w);
    Bytes().swap(bundle->file);
    ResetPeakRss();
    const double rss_before = CurrentRssMiB();
    t0 = Clock::now();
    auto file = store::FileSource::Open(path, sync::kMaxBundleBytes, sync::kBundleFileMagic,
                                        "bundle");
    if (!file.ok()) return Fail(file.status());
    auto imported = (*device)->ImportBundle(**file, WallMs());
    const double import_s = SecondsSince(t0);
    const double rss_peak = PeakRssMiB();
    if (!imported.ok()) return Fail(imported.status());
    if (imported->imported.added != bundle->manifest.entries || imported->imported.rejected > 0) {
      return Fail(Status::Corruption("the import added " +
                                     std::to_string(imported->imported.added) + " of " +
                                     std::to_string(bundle->manifest.entries)));
    }
    std::filesystem::remove(path);
    report.Add("bundle.export", "entries/s", 0, entries / export_s);
    report.Add("bundle.import", "entries/s", 0, entries / import_s);
    report.Add("bundle.bytes_per_entry", "B", 1, file_bytes / entries);
    report.Add("bundle.overhead_per_entry", "B", 1, (file_bytes - payload) / entries);
    report.Add("bundle.import_rss_mib", "MiB", 1, rss_peak);
    report.Add("bundle.import_added_mib", "MiB", 1, rss_peak - rss_before);
  }
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
