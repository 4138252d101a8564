// Sync over TCP (DESIGN §7): a client session to a hub or a peer, and the server side that
// a hub (`fieldcase hub serve`) or an officer's laptop (`fieldcase serve`) runs. Blocking
// calls that hide Asio from their callers.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "fieldcase/base/status.h"
#include "fieldcase/net/host.h"

namespace fieldcase::net {

struct SessionLimits {
  std::chrono::milliseconds handshake{10'000};
  std::chrono::milliseconds idle{60'000};
  sync::ReconcileLimits reconcile;
};

struct SessionReport {
  PublicKey peer{};
  std::string peer_label;
  sync::ReconcileTotals totals;
  uint64_t bytes_in = 0, bytes_out = 0;
  int64_t duration_ms = 0;
  bool synced = false;  // both sides reached the end and sent their final tag
  Status status;
};

// "HOST:PORT" (an IPv4 or IPv6 literal, or a name) into its parts.
Status SplitAddress(const std::string& address, std::string& host, std::string& port);

// Connects, runs the handshake and reconciliation to the end. `progress` is called after
// each message received (may be empty).
SessionReport SyncWith(Host& host, const std::string& address, const SessionLimits& limits,
                       const std::function<void(const sync::ReconcileTotals&)>& progress = {});

struct ServeOptions {
  std::string listen = "127.0.0.1:7420";
  size_t max_connections = 256;
  SessionLimits limits;
  // One call per finished session (the log line).
  std::function<void(const SessionReport&)> on_session;
  // What an operator should know that is no session's: the system refusing new connections
  // (out of file descriptors or memory). At most once a minute.
  std::function<void(const std::string&)> on_notice;
  // Called once listening, with the port actually bound (listen on port 0 for any).
  std::function<void(uint16_t port)> on_listening;
  // Besides SIGINT/SIGTERM: stop as they do once this becomes true (polled every 50 ms).
  const std::atomic<bool>* stop = nullptr;
};

// Serves sessions one at a time per connection, all on one thread, until SIGINT or SIGTERM;
// then stops accepting, lets the sessions in flight finish (at most `limits.idle`) and
// returns.
Status Serve(Host& host, const ServeOptions& options);

}  // namespace fieldcase::net
