// A store in a temp folder with an org whose root key is fixed, and a helper that
// writes well-formed chains.
#pragma once

#include <memory>

#include "fieldcase/crypto/sign.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"
#include "test_util.h"

namespace fieldcase::test {

inline crypto::SigningKey KeyFromByte(uint8_t b) {
  auto k = crypto::SigningKey::FromSeed(Bytes(32, b));
  if (!k.ok()) throw std::logic_error("seed");
  return std::move(k).value();
}

// The store's own tests check structure, not the organisation's payload rules (org/):
// every key and control payload passes.
inline Status AnyPayload(const store::Header&, ByteView) { return Status::Ok(); }

struct StoreFixture {
  TempDir dir;
  crypto::SigningKey root = KeyFromByte(1);
  Id org = store::OrgId(root.public_key());
  std::unique_ptr<store::Store> log;
  store::PayloadValidator validator = AnyPayload;

  StoreFixture() { Reopen(); }
  void Reopen() {
    log.reset();
    auto s = store::Store::Open(dir / "fieldcase.db", validator);
    if (!s.ok()) throw std::runtime_error(s.status().message());
    log = std::move(s).value();
    if (!log->SetOrgId(org).ok()) throw std::runtime_error("org");
  }
  std::filesystem::path db() const { return dir / "fieldcase.db"; }

  // The next entry of `key`'s chain after `prev` (nullptr for seq 1), data kind.
  store::Entry Next(const crypto::SigningKey& key, const store::Entry* prev,
                    Bytes payload = {1, 2, 3}, uint8_t kind = 1) {
    store::Header h;
    h.kind = kind;
    h.seq = prev ? prev->header.seq + 1 : 1;
    if (prev) h.prev = prev->id;
    h.hlc = prev ? prev->header.hlc + 1 : (uint64_t(1700000000000) << 16);
    return store::SignEntry(h, std::move(payload), org, key);
  }
};

}  // namespace fieldcase::test
