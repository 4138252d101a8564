// One sync session on a connected socket: handshake, key confirmation, reconciliation,
// final tags. Internal to net/ (the only module that sees Asio).
#pragma once

#include <asio.hpp>

#include "fieldcase/net/sync_client.h"

namespace fieldcase::net {

asio::awaitable<SessionReport> RunSession(asio::ip::tcp::socket socket, Host& host,
                                          bool initiator, SessionLimits limits,
                                          std::function<void(const sync::ReconcileTotals&)> progress);

}  // namespace fieldcase::net
