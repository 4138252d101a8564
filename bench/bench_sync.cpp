// `fieldcase-bench sync`: a device pulls from HQ serving on 127.0.0.1 (docs/benchmarks.md).
// Prepared once (bench/station.h). Per run: HQ serves on its own thread; a fresh copy of the
// device syncs (connect, handshake, reconcile, every signature verified); HQ then writes
// 1,000 more notes and the device syncs again; then once more with nothing new.
#include <future>
#include <thread>

#include "benches.h"
#include "fieldcase/net/sync_client.h"
#include "node_host.h"
#include "report.h"
#include "station.h"

namespace fieldcase::bench {

namespace {

// HQ serving on its own thread until Stop.
class Serving {
 public:
  explicit Serving(node::Node& hq) : host_(hq) {
    std::promise<uint16_t> port;
    auto bound = port.get_future();
    thread_ = std::thread([this, &port] {
      net::ServeOptions options;
      options.listen = "127.0.0.1:0";
      options.stop = &stop_;
      options.on_listening = [&](uint16_t p) { port.set_value(p); };
      status_ = net::Serve(host_, options);
      if (!status_.ok()) port.set_value(0);
    });
    address_ = "127.0.0.1:" + std::to_string(bound.get());
  }
  ~Serving() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::string& address() const { return address_; }

 private:
  cli::NodeHost host_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::string address_;
  Status status_;
};

}  // namespace

const char* const kSyncHelp =
    "usage: fieldcase-bench sync [--count N] [--runs R] [--json] [--tmp DIR]\n"
    "\n"
    "Sync over loopback TCP. Prepared once, not timed: as for `bundle` (ten authors, N\n"
    "~400-byte notes, a device that joined before them). HQ serves on its own thread of the\n"
    "same process (both share the 2 cores). Each run:\n"
    "  sync.pull               entries/s: a fresh copy of the device syncs everything,\n"
    "                          connect and handshake included, every signature verified\n"
    "  sync.wire_per_entry     bytes received / entries pulled\n"
    "  sync.catch_up_1000_ms   HQ writes 1,000 more notes; the device syncs them\n"
    "  sync.catch_up_wire_kib  bytes both ways for that\n"
    "  sync.nothing_new_bytes  bytes both ways for a sync with nothing new\n"
    "  sync.nothing_new_msgs   reconciliation messages both ways for it (after the handshake)\n"
    "  sync.peak_rss_mib       peak RSS of the process during the pull (HQ and device)\n"
    "\n"
    "  --count N   notes (default 100000)\n"
    "  --runs R    runs (default 3)\n"
    "  --json      one JSON object\n"
    "  --tmp DIR   where the temp folders go\n";

int RunSync(const Options& o) {
  auto station = BuildStation(o);
  if (!station.ok()) return Fail(station.status().Prefixed("preparing"));
  Station& s = *station;
  Report report("sync");
  report.Param("count", o.count);
  report.Param("runs", o.runs);
  report.Note(std::to_string(o.count) + " notes from 10 authors over 100 cases; HQ and the "
              "device in one process on loopback");
  int64_t extra = 0;
  for (int run = 1; run <= o.runs; ++run) {
    Say("run " + std::to_string(run) + "/" + std::to_string(o.runs) + ": pull, +1000, nothing new…");
    auto device = FreshDevice(s);
    if (!device.ok()) return Fail(device.status());
    cli::NodeHost host(**device);
    net::SessionLimits limits;
    net::SessionReport pull;
    {
      Serving hub(*s.hq);
      ResetPeakRss();
      auto t0 = Clock::now();
      pull = net::SyncWith(host, hub.address(), limits);
      const double secs = SecondsSince(t0);
      if (!pull.synced) return Fail(pull.status);
      const double got = double(pull.totals.imported.added);
      report.Add("sync.pull", "entries/s", 0, got / secs);
      report.Add("sync.wire_per_entry", "B", 1, double(pull.bytes_in) / got);
      report.Add("sync.peak_rss_mib", "MiB", 1, PeakRssMiB());
    }
    // HQ writes 1,000 more while not serving (one writer per node).
    if (Status w = WriteNotes(*s.hq, s.cases, s.notes + extra, 1000); !w.ok()) return Fail(w);
    extra += 1000;
    Serving hub(*s.hq);
    auto t0 = Clock::now();
    auto more = net::SyncWith(host, hub.address(), limits);
    const double ms = SecondsSince(t0) * 1000;
    if (!more.synced || more.totals.imported.added != 1000) {
      return Fail(more.status.ok() ? Status::Corruption("the catch-up missed entries") : more.status);
    }
    report.Add("sync.catch_up_1000_ms", "ms", 1, ms);
    report.Add("sync.catch_up_wire_kib", "KiB", 1, double(more.bytes_in + more.bytes_out) / 1024);
    auto none = net::SyncWith(host, hub.address(), limits);
    if (!none.synced) return Fail(none.status);
    report.Add("sync.nothing_new_bytes", "B", 0, double(none.bytes_in + none.bytes_out));
    report.Add("sync.nothing_new_msgs", "msgs", 0,
               double(none.totals.messages_sent + none.totals.messages_received));
  }
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
