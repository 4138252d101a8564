// One sync session on a connected socket: handshake, key confirmation, reconciliation,
// final tags. Internal to net/ (the only module that sees Asio).
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>

#include "fieldcase/net/sync_client.h"

namespace fieldcase::net {

// What a server sees of a session in flight: whether its peer has proved itself (key
// confirmation done) and, until the session ends, a way to end it now. At its connection
// limit a hub ends the oldest session whose peer has not proved itself to take a new one, so
// connections that never complete a handshake cannot keep members out.
struct SessionHandle {
  bool admitted = false;
  std::function<void()> end;  // empty once the session has ended
};

asio::awaitable<SessionReport> RunSession(asio::ip::tcp::socket socket, Host& host,
                                          bool initiator, SessionLimits limits,
                                          std::function<void(const sync::ReconcileTotals&)> progress,
                                          std::shared_ptr<SessionHandle> handle = nullptr);

}  // namespace fieldcase::net
