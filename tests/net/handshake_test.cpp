// The handshake and frame codec as pure functions: attacks on the messages themselves.
#include <catch2/catch.hpp>

#include <random>

#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/net/frame.h"
#include "fieldcase/net/handshake.h"

using namespace fieldcase;

namespace {

struct Party {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Id digest{};
  net::Identity Me() {
    net::Identity me;
    me.key = &key;
    me.certificate = net::MakeCertificate(key.public_key(), AsBytes("enrolment record"));
    me.org_log_digest = digest;
    return me;
  }
};

Id Org(uint8_t b) {
  Id id{};
  id.fill(b);
  return id;
}

struct Run {
  Result<net::PeerHello> at_initiator = Status::NotFound("not run");
  Result<net::PeerHello> at_responder = Status::NotFound("not run");
  net::SessionKeys i_keys, r_keys;
};

Run Handshake(Party& i, Party& r, const Id& org_i, const Id& org_r) {
  Run out;
  net::Initiator ini(org_i, i.Me());
  net::Responder res(org_r, r.Me());
  auto msg2 = res.ReadHello(ini.Hello());
  REQUIRE(msg2.ok());
  out.at_initiator = ini.ReadResponse(*msg2);
  if (!out.at_initiator.ok()) return out;
  auto msg3 = ini.Finish(out.i_keys);
  REQUIRE(msg3.ok());
  out.at_responder = res.ReadFinish(*msg3, out.r_keys);
  return out;
}

}  // namespace

TEST_CASE("net: a handshake authenticates both sides and agrees on keys", "[net]") {
  Party a, b;
  a.digest[0] = 1;
  b.digest[0] = 2;
  auto run = Handshake(a, b, Org(7), Org(7));
  REQUIRE(run.at_initiator.ok());
  REQUIRE(run.at_responder.ok());
  CHECK(run.at_initiator->key == b.key.public_key());
  CHECK(run.at_responder->key == a.key.public_key());
  CHECK(run.at_initiator->org_log_digest == b.digest);
  CHECK(AsChars(run.at_responder->enrolment) == "enrolment record");
  CHECK(run.i_keys.transcript == run.r_keys.transcript);
  CHECK(crypto::ConstantTimeEqual(run.i_keys.send.view(), run.r_keys.receive.view()));
  CHECK(crypto::ConstantTimeEqual(run.i_keys.receive.view(), run.r_keys.send.view()));
  CHECK_FALSE(crypto::ConstantTimeEqual(run.i_keys.send.view(), run.i_keys.receive.view()));
  // The keys work as a secretstream both ways.
  crypto::StreamSealer seal(run.i_keys.send);
  auto open = crypto::StreamOpener::Open(run.r_keys.receive, seal.header());
  REQUIRE(open.ok());
  auto plain = (*open)->Open(seal.Seal(run.i_keys.transcript, false));
  REQUIRE(plain.ok());
  CHECK(crypto::ConstantTimeEqual(plain->view(), run.r_keys.transcript));
}

TEST_CASE("net: another organisation fails the signatures with the one refusal", "[net]") {
  Party a, b;
  auto run = Handshake(a, b, Org(1), Org(2));
  REQUIRE_FALSE(run.at_initiator.ok());
  CHECK(run.at_initiator.status().message() == net::Refused().message());
}

TEST_CASE("net: every changed byte of msg2 and msg3 is refused", "[net]") {
  Party a, b;
  net::Initiator ini(Org(3), a.Me());
  net::Responder res(Org(3), b.Me());
  const Bytes msg1 = ini.Hello();
  auto msg2 = res.ReadHello(msg1);
  REQUIRE(msg2.ok());
  for (size_t at = 0; at < msg2->size(); ++at) {
    net::Initiator fresh(Org(3), a.Me());
    (void)fresh.Hello();
    Bytes bad = *msg2;
    bad[at] ^= 0x01;
    INFO("byte " << at);
    CHECK_FALSE(fresh.ReadResponse(bad).ok());  // another e_I: nothing verifies
  }
  REQUIRE(ini.ReadResponse(*msg2).ok());
  net::SessionKeys keys;
  auto msg3 = ini.Finish(keys);
  REQUIRE(msg3.ok());
  for (size_t at = 0; at < msg3->size(); at += 3) {
    Bytes bad = *msg3;
    bad[at] ^= 0x80;
    net::Responder again(Org(3), b.Me());
    (void)again.ReadHello(msg1);
    net::SessionKeys k;
    CHECK_FALSE(again.ReadFinish(bad, k).ok());
  }
}

TEST_CASE("net: replayed and spliced handshakes are refused", "[net]") {
  Party a, b, mallory;
  // Record a whole handshake, then replay msg1 and msg3 to the responder: its fresh
  // ephemeral key makes the old msg3 useless.
  net::Initiator ini(Org(4), a.Me());
  net::Responder res(Org(4), b.Me());
  const Bytes msg1 = ini.Hello();
  auto msg2 = res.ReadHello(msg1);
  REQUIRE(msg2.ok());
  REQUIRE(ini.ReadResponse(*msg2).ok());
  net::SessionKeys keys;
  auto msg3 = ini.Finish(keys);
  REQUIRE(msg3.ok());
  net::Responder replay(Org(4), b.Me());
  REQUIRE(replay.ReadHello(msg1).ok());
  net::SessionKeys k2;
  CHECK_FALSE(replay.ReadFinish(*msg3, k2).ok());
  // An insider relays a's msg1 to b as its own and answers a with its own msg2: a sees
  // mallory (not b), and b's msg3 from a cannot be forged by mallory.
  net::Initiator victim(Org(4), a.Me());
  net::Responder as_mallory(Org(4), mallory.Me());
  const Bytes v1 = victim.Hello();
  auto m2 = as_mallory.ReadHello(v1);
  REQUIRE(m2.ok());
  auto seen = victim.ReadResponse(*m2);
  REQUIRE(seen.ok());
  CHECK(seen->key == mallory.key.public_key());  // a knows whom it talks to
  net::Responder honest(Org(4), b.Me());
  REQUIRE(honest.ReadHello(v1).ok());
  net::SessionKeys vk;
  auto v3 = victim.Finish(vk);  // meant for mallory's transcript
  REQUIRE(v3.ok());
  net::SessionKeys hk;
  CHECK_FALSE(honest.ReadFinish(*v3, hk).ok());
  // Steps out of order.
  net::Initiator early(Org(4), a.Me());
  net::SessionKeys ek;
  CHECK_FALSE(early.Finish(ek).ok());
  net::Responder twice(Org(4), b.Me());
  REQUIRE(twice.ReadHello(msg1).ok());
  CHECK_FALSE(twice.ReadHello(msg1).ok());
}

TEST_CASE("net: a low-order ephemeral key and malformed hellos are refused", "[net]") {
  Party b;
  net::Responder res(Org(5), b.Me());
  Bytes zero{1, 1};
  zero.resize(2 + 32, 0);  // e_I = 0: the shared secret would be all zero
  CHECK_FALSE(res.ReadHello(zero).ok());
  net::Responder res2(Org(5), b.Me());
  CHECK_FALSE(res2.ReadHello(Bytes{}).ok());
  net::Responder res3(Org(5), b.Me());
  Bytes other_version{1, 9};
  other_version.resize(2 + 32, 7);
  CHECK(res3.ReadHello(other_version).status().IsNeedsUpgrade());
  net::Responder res4(Org(5), b.Me());
  Bytes too_many{200};
  too_many.resize(300, 1);
  CHECK_FALSE(res4.ReadHello(too_many).ok());
}

TEST_CASE("net: frames are bounded before anything is allocated", "[net]") {
  CHECK(net::DecodeFrameLength(Bytes{5, 0, 0, 0}).value() == 5);
  CHECK_FALSE(net::DecodeFrameLength(Bytes{0, 0, 0, 0}).ok());
  CHECK_FALSE(net::DecodeFrameLength(Bytes{0xFF, 0xFF, 0xFF, 0xFF}).ok());
  CHECK_FALSE(net::DecodeFrameLength(Bytes{1, 0, 0}).ok());
  // A stream in random pieces gives back the frames in order.
  std::mt19937 rng(9);
  Bytes stream;
  std::vector<Bytes> frames;
  for (int i = 0; i < 50; ++i) {
    Bytes f(1 + rng() % 300);
    for (auto& x : f) x = uint8_t(rng());
    frames.push_back(f);
    Append(stream, net::EncodeFrame(f));
  }
  net::FrameReader reader;
  std::vector<Bytes> got;
  for (size_t at = 0; at < stream.size();) {
    const size_t n = std::min(stream.size() - at, size_t(1 + rng() % 97));
    REQUIRE(reader.Feed(ByteView(stream).subspan(at, n)).ok());
    at += n;
    while (auto f = reader.Next()) got.push_back(*f);
  }
  CHECK(got == frames);
  net::FrameReader hostile(1024);
  CHECK_FALSE(hostile.Feed(Bytes{0x01, 0x04, 0, 0}).ok());  // 1025 bytes announced
  CHECK_FALSE(hostile.Feed(Bytes{1}).ok());                 // and stays failed
}
