// `sync`, `serve`, `hub serve`, `hub status`: network sync (net/) over this device's node.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "fieldcase/net/sync_client.h"
#include "node_host.h"
#include "fieldcase/store/data_dir.h"
#include "fieldcase/store/keystore.h"
#include "format.h"
#include "fieldcase/base/json.h"

namespace fieldcase::cli {

namespace {

Result<net::SessionLimits> Limits(const Context& c) {
  net::SessionLimits limits;
  for (auto [flag, dst] : {std::pair{"idle-timeout", &limits.idle},
                           std::pair{"handshake-timeout", &limits.handshake}}) {
    auto v = c.args().Get(flag);
    if (!v) continue;
    char* end = nullptr;
    const long s = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != 0 || s < 1 || s > 3600) {
      return Status::InvalidArgument(std::string("--") + flag + " takes seconds, 1 to 3600");
    }
    *dst = std::chrono::seconds(s);
  }
  return limits;
}

std::string Summary(const net::SessionReport& r) {
  const auto& t = r.totals;
  char line[512];
  std::snprintf(line, sizeof line,
                "%zu new, %llu already held, %zu rejected, %llu sent; %llu bytes in, %llu out; "
                "%lld ms",
                t.imported.added, static_cast<unsigned long long>(t.imported.duplicates),
                t.imported.rejected, static_cast<unsigned long long>(t.entries_sent),
                static_cast<unsigned long long>(r.bytes_in),
                static_cast<unsigned long long>(r.bytes_out), static_cast<long long>(r.duration_ms));
  return line;
}

void PrintReport(const Context& c, const net::SessionReport& r, const std::string& address) {
  if (c.json()) {
    Json j;
    j.BeginObject().Field("peer", address).Field("device", r.peer_label);
    j.FieldBool("synced", r.synced).Field("new", int64_t(r.totals.imported.added));
    j.Field("already_had", int64_t(r.totals.imported.duplicates));
    j.Field("rejected", int64_t(r.totals.imported.rejected));
    j.Field("pending", int64_t(r.totals.imported.pending));
    j.Field("quarantined", int64_t(r.totals.imported.quarantined));
    j.Field("sent", int64_t(r.totals.entries_sent)).Field("bytes_in", int64_t(r.bytes_in));
    j.Field("bytes_out", int64_t(r.bytes_out)).Field("ms", r.duration_ms);
    if (!r.status.ok()) j.Field("error", r.status.message());
    j.EndObject();
    std::puts(j.str().c_str());
    return;
  }
  if (r.synced) {
    std::printf("Synced with %s (%s): %s.\n", Safe(address).c_str(), Safe(r.peer_label).c_str(),
                Summary(r).c_str());
    for (const auto& reason : r.totals.imported.reasons)
      std::printf("  rejected %s\n", Safe(reason).c_str());
  }
}

// The devices table of `hub status`, as text and as JSON. Names are left out: the snapshot a
// serving hub writes lies in its data folder in clear.
struct HubTable {
  std::string text, json;
};

Result<HubTable> MakeHubTable(node::Node& node, bool with_names) {
  FC_ASSIGN_OR_RETURN(auto syncs, node.PeerSyncs());
  FC_ASSIGN_OR_RETURN(auto heads, node.log().Heads());
  HubTable t;
  Json j;
  j.BeginObject().Field("as_of", FormatMs(Context::NowMs())).Key("devices").BeginArray();
  t.text = "Devices (last sync with this hub; newest entry held of each key):\n";
  for (const auto& mv : node.Members()) {
    const auto& m = mv.member;
    if (m.role == org::Role::kRoot) continue;
    const auto s = std::find_if(syncs.begin(), syncs.end(),
                                [&](const node::PeerSync& x) { return x.peer == m.key; });
    const auto h = std::find_if(heads.begin(), heads.end(),
                                [&](const store::Head& x) { return x.author == m.key; });
    const std::string name = with_names && m.personal ? m.personal->name : "";
    const std::string last = s == syncs.end() ? "never" : FormatMs(s->at_ms);
    const uint64_t seq = h == heads.end() ? 0 : h->seq;
    j.BeginObject().Field("key", ToHex(m.key)).Field("role", org::ToString(m.role));
    j.Field("name", name).FieldBool("revoked", mv.revoked).Field("last_sync", last);
    j.Field("head_seq", int64_t(seq)).EndObject();
    const std::string shown = Safe(name);
    std::vector<char> line(shown.size() + 256);  // a long name is shown whole
    std::snprintf(line.data(), line.size(), "  %-10s %-20s %s  last sync %-24s head seq %llu%s\n",
                  org::ToString(m.role), shown.c_str(), ShortHex(m.key, 12).c_str(), last.c_str(),
                  static_cast<unsigned long long>(seq), mv.revoked ? "  REVOKED" : "");
    t.text += line.data();
  }
  j.EndArray().EndObject();
  t.json = j.str();
  return t;
}

std::filesystem::path SnapshotPath(const Context& c, bool json) {
  return c.dir().root / (json ? "hub-status.json" : "hub-status.txt");
}

void WriteHubSnapshot(const Context& c, node::Node& node) {
  auto t = MakeHubTable(node, /*with_names=*/false);
  if (!t.ok()) return;  // the hub serves on; `hub status` reports an older snapshot
  (void)store::WriteFileAtomic(SnapshotPath(c, true), AsBytes(t->json));
  (void)store::WriteFileAtomic(SnapshotPath(c, false), AsBytes(t->text));
}

}  // namespace

int RunSync(Context& c) {
  const std::string address = c.args().positional()[0];
  auto limits = Limits(c);
  if (!limits.ok()) return Fail(limits.status());
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  NodeHost host(**node);
  const bool tty = isatty(fileno(stderr)) && !c.json();
  auto progress = [&](const sync::ReconcileTotals& t) {
    if (!tty) return;
    std::fprintf(stderr, "\rsyncing with %s: %llu received, %llu sent   ", address.c_str(),
                 static_cast<unsigned long long>(t.entries_received),
                 static_cast<unsigned long long>(t.entries_sent));
  };
  const bool watch = c.args().Has("watch");
  auto backoff = std::chrono::seconds(1);
  while (true) {
    auto r = net::SyncWith(host, address, *limits, progress);
    if (tty) std::fputs("\r\033[K", stderr);
    if (!watch) {
      if (!r.synced) return Fail(r.status.ok() ? Status::IOError("the session ended early") : r.status);
      PrintReport(c, r, address);
      return r.totals.imported.rejected == 0 ? kExitOk : kExitFailure;
    }
    // --watch: sync whenever the hub is reachable; back off while it is not.
    if (r.synced) {
      PrintReport(c, r, address);
      backoff = std::chrono::seconds(1);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(30));
    } else {
      std::fprintf(stderr, "fieldcase: %s; trying again in %llds\n", r.status.message().c_str(),
                   static_cast<long long>(backoff.count()));
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::seconds>(backoff * 2, std::chrono::seconds(60));
    }
  }
}

int RunServe(Context& c) {
  auto limits = Limits(c);
  if (!limits.ok()) return Fail(limits.status());
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  NodeHost host(**node);
  net::ServeOptions options;
  options.limits = *limits;
  if (auto listen = c.args().Get("listen")) options.listen = *listen;
  if (auto max = c.args().Get("max-connections")) {
    char* end = nullptr;
    const long n = std::strtol(max->c_str(), &end, 10);
    if (end == max->c_str() || *end != 0 || n < 1 || n > 10000) {
      return Fail(Status::InvalidArgument("--max-connections takes 1 to 10000"));
    }
    options.max_connections = size_t(n);
  }
  WriteHubSnapshot(c, **node);
  // --json: one object per line (listening, session, notice, stopped), for a log collector.
  auto json_line = [&](Json& j) {
    j.EndObject();
    std::puts(j.str().c_str());
    std::fflush(stdout);
  };
  options.on_listening = [&](uint16_t port) {
    if (c.json()) {
      Json j;
      j.BeginObject().Field("event", "listening").Field("org", (*node)->org_name());
      j.Field("port", int64_t(port));
      return json_line(j);
    }
    std::printf("Serving %s on port %u (Ctrl-C to stop).\n", Safe((*node)->org_name()).c_str(),
                port);
    std::fflush(stdout);
  };
  options.on_notice = [&](const std::string& what) {
    if (c.json()) {
      Json j;
      j.BeginObject().Field("event", "notice").Field("time_ms", Context::NowMs());
      j.Field("notice", what);
      return json_line(j);
    }
    std::printf("%s notice: %s\n", FormatMs(Context::NowMs()).c_str(), what.c_str());
    std::fflush(stdout);
  };
  options.on_session = [&](const net::SessionReport& r) {
    if (c.json()) {
      Json j;
      j.BeginObject().Field("event", "session").Field("time_ms", Context::NowMs());
      j.Field("device", r.peer_label).FieldBool("synced", r.synced);
      j.Field("new", int64_t(r.totals.imported.added));
      j.Field("sent", int64_t(r.totals.entries_sent)).Field("bytes_in", int64_t(r.bytes_in));
      j.Field("bytes_out", int64_t(r.bytes_out)).Field("ms", r.duration_ms);
      if (!r.status.ok()) j.Field("error", r.status.message());
      json_line(j);
      WriteHubSnapshot(c, **node);
      return;
    }
    const std::string who = r.peer_label.empty() ? "unknown device" : Safe(r.peer_label);
    if (r.synced) {
      std::printf("%s session %s: %s\n", FormatMs(Context::NowMs()).c_str(), who.c_str(),
                  Summary(r).c_str());
    } else {
      std::printf("%s session %s: ended: %s\n", FormatMs(Context::NowMs()).c_str(), who.c_str(),
                  Safe(r.status.message()).c_str());
    }
    std::fflush(stdout);
    WriteHubSnapshot(c, **node);
  };
  Status s = net::Serve(host, options);
  if (!s.ok()) return Fail(s);
  if (c.json()) {
    Json j;
    j.BeginObject().Field("event", "stopped");
    json_line(j);
    return kExitOk;
  }
  std::printf("Stopped.\n");
  return kExitOk;
}

int RunHubStatus(Context& c) {
  // A serving hub holds the folder for as long as it serves: do not wait for it.
  Result<std::unique_ptr<node::Node>> node = Status::Busy(
      "the hub serving from " + c.dir().root.string() + " has written no status yet; try again "
      "after its first session");
  if (auto probe = store::DirLock::Acquire(c.dir(), std::chrono::milliseconds(0)); probe.ok()) {
    probe->reset();
    node = c.Unlock();
  } else if (!probe.status().IsBusy()) {
    return Fail(probe.status());
  }
  if (!node.ok() && node.status().IsBusy()) {
    // The hub is serving and holds the folder: show what it wrote after its last session.
    auto snap = store::ReadFileBounded(SnapshotPath(c, c.json()), 16u << 20);
    if (!snap.ok()) return Fail(node.status());
    if (!c.json()) std::printf("(the hub is serving; as of its last session)\n");
    std::fwrite(snap->data(), 1, snap->size(), stdout);
    if (c.json()) std::puts("");
    return kExitOk;
  }
  if (!node.ok()) return Fail(node.status());
  auto t = MakeHubTable(**node, /*with_names=*/true);
  if (!t.ok()) return Fail(t.status());
  if (c.json()) {
    std::puts(t->json.c_str());
  } else {
    std::fputs(t->text.c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace fieldcase::cli
