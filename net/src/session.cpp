#include "session.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/net/frame.h"

namespace fieldcase::net {

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
// In clear after msg3 when the responder does not admit the initiator: the one refusal.
constexpr std::string_view kRefusal = "refused";

struct Conn {
  tcp::socket socket;
  Clock::time_point deadline;
  uint64_t bytes_in = 0, bytes_out = 0;
  Status why;  // set when the watchdog closed the socket
};

asio::awaitable<void> Watchdog(Conn& c) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (c.socket.is_open()) {
    if (Clock::now() >= c.deadline) {
      c.why = Status::IOError("the peer was silent past the deadline; the session ends");
      std::error_code ignored;
      c.socket.close(ignored);
      co_return;
    }
    timer.expires_at(c.deadline);
    co_await timer.async_wait(kTuple);
  }
}

asio::awaitable<Result<Bytes>> ReadFrame(Conn& c, uint32_t max) {
  uint8_t header[kFrameHeaderBytes];
  auto [ec, n] = co_await asio::async_read(c.socket, asio::buffer(header), kTuple);
  if (ec) co_return c.why.ok() ? Status::IOError("connection lost: " + ec.message()) : c.why;
  auto len = DecodeFrameLength(ByteView(header, sizeof header), max);
  if (!len.ok()) co_return len.status();
  Bytes frame(*len);
  auto [ec2, m] = co_await asio::async_read(c.socket, asio::buffer(frame), kTuple);
  if (ec2) co_return c.why.ok() ? Status::IOError("connection lost: " + ec2.message()) : c.why;
  c.bytes_in += kFrameHeaderBytes + frame.size();
  co_return frame;
}

asio::awaitable<Status> WriteFrame(Conn& c, ByteView payload) {
  Bytes frame = EncodeFrame(payload);
  auto [ec, n] = co_await asio::async_write(c.socket, asio::buffer(frame), kTuple);
  if (ec) co_return c.why.ok() ? Status::IOError("connection lost: " + ec.message()) : c.why;
  c.bytes_out += frame.size();
  co_return Status::Ok();
}

#define FC_CO_RETURN_IF_ERROR(expr)      \
  do {                                   \
    Status _s = (expr);                  \
    if (!_s.ok()) co_return _s;          \
  } while (0)

// The handshake; fills keys and the peer on success.
asio::awaitable<Status> Handshake(Conn& c, Host& host, bool initiator, SessionKeys& keys,
                                  SessionReport& out) {
  auto me = host.Me();
  if (!me.ok()) co_return me.status();
  if (initiator) {
    Initiator hs(host.org_id(), std::move(me).value());
    FC_CO_RETURN_IF_ERROR(co_await WriteFrame(c, hs.Hello()));
    auto msg2 = co_await ReadFrame(c, kMaxHandshakeMessage);
    if (!msg2.ok()) co_return msg2.status();
    auto peer = hs.ReadResponse(*msg2);
    if (!peer.ok()) co_return peer.status();
    auto label = host.Admit(*peer, host.NowMs());
    if (!label.ok()) co_return Refused();
    out.peer = peer->key;
    out.peer_label = *label;
    auto msg3 = hs.Finish(keys);
    if (!msg3.ok()) co_return msg3.status();
    co_return co_await WriteFrame(c, *msg3);
  }
  Responder hs(host.org_id(), std::move(me).value());
  auto msg1 = co_await ReadFrame(c, kMaxHandshakeMessage);
  if (!msg1.ok()) co_return msg1.status();
  auto msg2 = hs.ReadHello(*msg1);
  if (!msg2.ok()) co_return msg2.status();
  FC_CO_RETURN_IF_ERROR(co_await WriteFrame(c, *msg2));
  auto msg3 = co_await ReadFrame(c, kMaxHandshakeMessage);
  if (!msg3.ok()) co_return msg3.status();
  auto peer = hs.ReadFinish(*msg3, keys);
  Result<std::string> label = peer.ok() ? host.Admit(*peer, host.NowMs()) : peer.status();
  if (!label.ok()) {
    (void)co_await WriteFrame(c, AsBytes(kRefusal));
    co_return Refused();
  }
  out.peer = peer->key;
  out.peer_label = *label;
  co_return Status::Ok();
}

struct Channel {
  std::unique_ptr<crypto::StreamSealer> sealer;
  std::unique_ptr<crypto::StreamOpener> opener;
};

// Stream headers both ways, then each side's first message is the transcript: nothing is
// accepted before the peer proves it derived the same keys from the same handshake.
asio::awaitable<Status> Confirm(Conn& c, const SessionKeys& keys, Channel& ch) {
  ch.sealer = std::make_unique<crypto::StreamSealer>(keys.send);
  FC_CO_RETURN_IF_ERROR(co_await WriteFrame(c, ch.sealer->header()));
  FC_CO_RETURN_IF_ERROR(co_await WriteFrame(c, ch.sealer->Seal(keys.transcript, false)));
  auto header = co_await ReadFrame(c, kMaxHandshakeMessage);
  if (!header.ok()) co_return header.status();
  if (header->size() != crypto::kStreamHeaderBytes) co_return Refused();
  auto opener = crypto::StreamOpener::Open(keys.receive, *header);
  if (!opener.ok()) co_return Refused();
  ch.opener = std::move(opener).value();
  auto first = co_await ReadFrame(c, kMaxHandshakeMessage);
  if (!first.ok()) co_return first.status();
  auto h = ch.opener->Open(*first);
  if (!h.ok() || ch.opener->finished() || !crypto::ConstantTimeEqual(h->view(), keys.transcript)) {
    co_return Refused();
  }
  co_return Status::Ok();
}

struct Shared {
  sync::Reconciler* rec = nullptr;
  asio::steady_timer* wake = nullptr;
  Status failed;
  bool peer_final = false;
};

void Fail(Conn& c, Shared& s, Status why) {
  if (s.failed.ok()) s.failed = std::move(why);
  std::error_code ignored;
  c.socket.close(ignored);
  s.wake->cancel();
}

asio::awaitable<void> Writer(Conn& c, Channel& ch, Shared& s) {
  while (s.failed.ok()) {
    auto m = s.rec->Next();
    if (!m.ok()) co_return Fail(c, s, m.status());
    if (*m) {
      Status w = co_await WriteFrame(c, ch.sealer->Seal(sync::EncodeMessage(**m), false));
      if (!w.ok()) co_return Fail(c, s, w);
      continue;
    }
    if (s.rec->finished()) {
      Status w = co_await WriteFrame(c, ch.sealer->Seal({}, /*final=*/true));
      if (!w.ok()) Fail(c, s, w);
      co_return;
    }
    s.wake->expires_at(Clock::time_point::max());
    co_await s.wake->async_wait(kTuple);
  }
}

asio::awaitable<void> Reader(Conn& c, Channel& ch, Shared& s, Host& host,
                             const SessionLimits& limits,
                             const std::function<void(const sync::ReconcileTotals&)>& progress) {
  while (s.failed.ok()) {
    c.deadline = Clock::now() + limits.idle;
    auto frame = co_await ReadFrame(c, kMaxFrameBytes);
    if (!frame.ok()) co_return Fail(c, s, frame.status());
    auto plain = ch.opener->Open(*frame);
    if (!plain.ok()) co_return Fail(c, s, Status::Corruption("a damaged session message"));
    if (ch.opener->finished()) {
      // The peer's final tag: it is done and says nothing more.
      if (!plain->empty() || !s.rec->finished()) {
        co_return Fail(c, s, Status::Corruption("the peer ended the session early"));
      }
      s.peer_final = true;
      co_return;
    }
    auto msg = sync::DecodeMessage(plain->view());
    if (!msg.ok()) co_return Fail(c, s, msg.status());
    if (Status r = s.rec->Receive(*msg, host.NowMs()); !r.ok()) co_return Fail(c, s, r);
    if (progress) progress(s.rec->totals());
    s.wake->cancel();
  }
}

asio::awaitable<void> Body(Conn& c, Host& host, bool initiator, const SessionLimits& limits,
                           const std::function<void(const sync::ReconcileTotals&)>& progress,
                           SessionReport& out, SessionHandle* handle) {
  SessionKeys keys;
  out.status = co_await Handshake(c, host, initiator, keys, out);
  if (!out.status.ok()) co_return;
  Channel ch;
  out.status = co_await Confirm(c, keys, ch);
  // A responder that refuses says so in one frame and closes; the initiator may meet the
  // closed connection before it reads the frame. Either way it is the one refusal.
  if (!out.status.ok() && initiator && out.status.code() == Status::Code::kIOError) {
    out.status = Refused();
  }
  if (!out.status.ok()) co_return;
  if (handle != nullptr) handle->admitted = true;
  // The org log first; after it, the peer is checked again (it may be revoked now).
  sync::Reconciler::Local local = host.Local(out.peer);
  auto inner = local.phase_done;
  const PeerHello again{out.peer, {}, {}};
  local.phase_done = [&host, inner, again](sync::Phase phase) -> Status {
    if (inner) FC_RETURN_IF_ERROR(inner(phase));
    if (phase == sync::Phase::kOrgLog && !host.Admit(again, host.NowMs()).ok()) return Refused();
    return Status::Ok();
  };
  sync::Reconciler rec(std::move(local), limits.reconcile);
  out.status = rec.Start();
  if (!out.status.ok()) co_return;
  asio::steady_timer wake(co_await asio::this_coro::executor);
  Shared s{&rec, &wake, Status::Ok(), false};
  using namespace asio::experimental::awaitable_operators;
  co_await (Writer(c, ch, s) && Reader(c, ch, s, host, limits, progress));
  out.totals = rec.totals();
  out.status = s.failed;
  out.synced = s.failed.ok() && rec.finished() && s.peer_final;
}

}  // namespace

asio::awaitable<SessionReport> RunSession(tcp::socket socket, Host& host, bool initiator,
                                          SessionLimits limits,
                                          std::function<void(const sync::ReconcileTotals&)> progress,
                                          std::shared_ptr<SessionHandle> handle) {
  const auto start = Clock::now();
  Conn c{std::move(socket), start + limits.handshake, 0, 0, Status::Ok()};
  SessionReport out;
  // Called on this session's executor (the server's one thread), never after `c` is gone:
  // the guard clears it on every way out of this frame, an exception included (the server
  // learns that the session ended only from a completion posted later).
  struct ClearOnExit {
    SessionHandle* h;
    ~ClearOnExit() {
      if (h != nullptr) h->end = nullptr;
    }
  } clear_on_exit{handle.get()};
  if (handle) {
    handle->end = [&c] {
      c.why = Status::IOError("ended to make room: the hub was at its connection limit and "
                              "this peer had not completed its handshake");
      std::error_code ignored;
      c.socket.close(ignored);
    };
  }
  using namespace asio::experimental::awaitable_operators;
  co_await (Body(c, host, initiator, limits, progress, out, handle.get()) || Watchdog(c));
  if (!c.why.ok() && (out.status.ok() || !out.synced)) out.status = c.why;
  if (out.synced) out.status = Status::Ok();
  std::error_code ignored;
  c.socket.shutdown(tcp::socket::shutdown_both, ignored);
  c.socket.close(ignored);
  out.bytes_in = c.bytes_in;
  out.bytes_out = c.bytes_out;
  out.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (out.synced) host.Record(out.peer, out.totals, host.NowMs());
  co_return out;
}

}  // namespace fieldcase::net
