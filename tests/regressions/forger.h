// A member device whose keys the test holds: it signs whatever an insider with a custom
// client could sign, so attack tests can perform the attack itself.
#pragma once

#include <optional>
#include <string>

#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/store/entry.h"
#include "node/node_fixture.h"

namespace fieldcase::test {

struct Forger {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  crypto::SigningKey identity = crypto::SigningKey::Generate();  // its box key derives from it
  crypto::BoxKeyPair box = crypto::BoxKeyPair::FromIdentity(identity);
  Id org{};
  uint64_t seq = 0;
  Id prev{};
  uint64_t hlc = uint64_t(kNow) << 16;

  explicit Forger(const Id& o) : org(o) {}
  PublicKey pk() const { return key.public_key(); }
  uint64_t next_seq() const { return seq + 1; }

  // The next entry of its chain, signed, as it would travel.
  store::RawEntry Sign(store::Kind kind, Bytes payload, const Id128& case_id = {},
                       const Id128& key_id = {}) {
    store::Header h;
    h.kind = uint8_t(kind);
    h.seq = ++seq;
    h.prev = prev;
    h.case_id = case_id;
    h.key_id = key_id;
    h.hlc = ++hlc;
    auto e = store::SignEntry(h, std::move(payload), org, key);
    prev = e.id;
    return {Bytes(e.header_bytes.begin(), e.header_bytes.end()), e.signature, e.payload};
  }
  // Its request file, as a device would make it.
  Bytes RequestBytes(const std::string& name) const {
    return org::EncodeEnrolRequest(
        {key.public_key(), box.public_key(), {}, name, "B-" + name, std::nullopt}, key, identity);
  }
  org::EnrolRequest Request(const std::string& name) const {
    auto r = org::DecodeEnrolRequest(RequestBytes(name));
    REQUIRE(r.ok());
    return *r;
  }
  // A request naming a box key it cannot prove: only a caller that builds the struct itself
  // (no file can carry it past DecodeEnrolRequest) gets one to Node::Enrol.
  org::EnrolRequest RequestWithBoxKey(const std::string& name, const PublicKey& box_key) const {
    return {key.public_key(), box_key, identity.public_key(), name, "B-" + name, std::nullopt};
  }
};

inline store::RawEntry HeaderOnly(store::RawEntry r) {
  r.payload.reset();
  return r;
}

}  // namespace fieldcase::test
