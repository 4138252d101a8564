#include <algorithm>
#include <csignal>
#include <list>
#include <memory>
#include <optional>

#include "fieldcase/net/sync_client.h"
#include "session.h"

#include <asio/experimental/as_tuple.hpp>

namespace fieldcase::net {

namespace {

using asio::ip::tcp;

Status Unreachable(const std::string& address, const std::error_code& ec) {
  return Status::IOError("cannot reach " + address + " (" + ec.message() +
                         "); check the address and that `fieldcase hub serve` runs there");
}

}  // namespace

Status SplitAddress(const std::string& address, std::string& host, std::string& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Status::InvalidArgument("give the address as HOST:PORT, e.g. 127.0.0.1:7420");
  }
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  for (char ch : port) {
    if (ch < '0' || ch > '9') return Status::InvalidArgument("the port must be a number");
  }
  if (port.size() > 5 || std::stoul(port) > 65535) {
    return Status::InvalidArgument("the port must be at most 65535");
  }
  return Status::Ok();
}

SessionReport SyncWith(Host& host, const std::string& address, const SessionLimits& limits,
                       const std::function<void(const sync::ReconcileTotals&)>& progress) {
  SessionReport out;
  std::string name, port;
  if (out.status = SplitAddress(address, name, port); !out.status.ok()) return out;
  asio::io_context io;
  tcp::resolver resolver(io);
  std::error_code ec;
  auto endpoints = resolver.resolve(name, port, ec);
  if (ec) {
    out.status = Unreachable(address, ec);
    return out;
  }
  tcp::socket socket(io);
  asio::connect(socket, endpoints, ec);
  if (ec) {
    out.status = Unreachable(address, ec);
    return out;
  }
  socket.set_option(tcp::no_delay(true), ec);
  asio::co_spawn(io, RunSession(std::move(socket), host, /*initiator=*/true, limits, progress),
                 [&](std::exception_ptr e, SessionReport r) {
                   out = e ? SessionReport{} : std::move(r);
                   if (e) out.status = Status::IOError("the session failed unexpectedly");
                 });
  io.run();
  return out;
}

Status Serve(Host& host, const ServeOptions& options) {
  std::string name, port;
  FC_RETURN_IF_ERROR(SplitAddress(options.listen, name, port));
  asio::io_context io;
  std::error_code ec;
  const auto addr = asio::ip::make_address(name, ec);
  if (ec) return Status::InvalidArgument("listen on an IP address, e.g. 0.0.0.0:7420");
  tcp::acceptor acceptor(io);
  const tcp::endpoint at(addr, uint16_t(std::stoul(port)));
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + options.listen + " (" + ec.message() +
                           "); is another hub running there?");
  }
  if (options.on_listening) options.on_listening(acceptor.local_endpoint().port());

  size_t active = 0;
  std::list<std::shared_ptr<SessionHandle>> sessions;  // in flight, oldest first
  bool stopping = false;
  std::optional<std::chrono::steady_clock::time_point> last_notice;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer grace(io), poll(io), backoff(io);
  auto stop_now = [&] {
    if (stopping) return;
    stopping = true;
    signals.cancel();
    poll.cancel();
    backoff.cancel();
    std::error_code ignored;
    acceptor.close(ignored);
    if (active == 0) {
      io.stop();
      return;
    }
    // Sessions in flight finish their batches; past the grace period the loop stops.
    grace.expires_after(options.limits.idle);
    grace.async_wait([&](std::error_code g) {
      if (!g) io.stop();
    });
  };
  signals.async_wait([&](std::error_code e, int) {
    if (!e) stop_now();
  });
  std::function<void()> watch_flag = [&] {
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](std::error_code e) {
      if (e || stopping) return;
      if (options.stop->load()) {
        stop_now();
      } else {
        watch_flag();
      }
    });
  };
  if (options.stop) watch_flag();

  auto accept_loop = [&]() -> asio::awaitable<void> {
    while (!stopping) {
      tcp::socket socket(io);
      auto [e] = co_await acceptor.async_accept(
          socket, asio::experimental::as_tuple(asio::use_awaitable));
      if (e) {
        if (stopping) co_return;
        // The system is out of something: the connection waits in the backlog. Accepting
        // again at once would spin; wait a little, and say so (rarely).
        const bool no_fds = e == asio::error::no_descriptors ||
                            e == std::errc::too_many_files_open_in_system;
        if (no_fds || e == asio::error::no_buffer_space || e == asio::error::no_memory) {
          const auto now = std::chrono::steady_clock::now();
          if (options.on_notice && (!last_notice || now - *last_notice >= std::chrono::minutes(1))) {
            last_notice = now;
            options.on_notice(
                no_fds ? "out of file descriptors: new connections wait until sessions end; "
                         "raise the hub's limit (LimitNOFILE= in its unit, or ulimit -n) or "
                         "lower --max-connections"
                       : "out of memory or buffers: new connections wait until sessions end");
          }
          backoff.expires_after(std::chrono::milliseconds(250));
          co_await backoff.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        }
        continue;  // a connection that failed before it was ours
      }
      if (active >= options.max_connections) {
        // At the limit: the oldest session whose peer has not proved itself makes room (it
        // ends at once); with none, the new connection is dropped before any work.
        auto waiting = std::find_if(sessions.begin(), sessions.end(), [](const auto& h) {
          return !h->admitted && h->end;
        });
        if (waiting == sessions.end() || active >= 2 * options.max_connections) {
          std::error_code ignored;
          socket.close(ignored);
          continue;
        }
        auto end = std::move((*waiting)->end);
        (*waiting)->end = nullptr;
        end();
      }
      ++active;
      socket.set_option(tcp::no_delay(true), e);
      auto handle = std::make_shared<SessionHandle>();
      auto listed = sessions.insert(sessions.end(), handle);
      asio::co_spawn(io,
                     RunSession(std::move(socket), host, /*initiator=*/false, options.limits, {},
                                handle),
                     [&, listed](std::exception_ptr ex, SessionReport r) {
                       sessions.erase(listed);
                       --active;
                       if (ex) r.status = Status::IOError("a session failed unexpectedly");
                       if (options.on_session) options.on_session(r);
                       if (stopping && active == 0) io.stop();
                     });
    }
  };
  asio::co_spawn(io, accept_loop(), asio::detached);
  io.run();
  return Status::Ok();
}

}  // namespace fieldcase::net
