// Hub receipts (kind 4, DESIGN §7 "Later", issue 11): a hub's signed statement of what it
// held when it accepted a device's entries. A receipt is an entry of the hub key's own
// chain, so receipts form a chain (each one's prev is the hub's previous receipt), travel
// like every entry (sync, bundles) and are verified like every entry.
//
// Payload (plaintext, strict Cereal portable binary, like control payloads):
//   flag 0x01 ‖ op u8 (1 = receipt) ‖ hub_time_ms u64 ‖ device(32) — the key of the peer
//   whose session it closes (zero: none) ‖ u64 n (1..kMaxReceiptHeads) ‖
//   n × (author(32) ‖ seq u64 ‖ id(32)), sorted by (author, seq, id), no duplicates
// Each (author, seq, id) is a head the hub held for an author whose entries it accepted in
// that session: the hub then held that entry and its whole chain below it.
// Header: case_id and key_id zero. Only a hub key may write one (org/validity.h).
#pragma once

#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

inline constexpr uint8_t kReceiptOp = 1;
inline constexpr uint64_t kMaxReceiptHeads = 100000;

struct Receipt {
  uint64_t hub_time_ms = 0;
  PublicKey device{};
  std::vector<store::Head> heads;  // author, seq, id (hlc does not travel: 0)
};

Bytes EncodeReceipt(const Receipt& r);
// Corruption for malformed bytes; NeedsUpgrade for an op this version does not know.
Result<Receipt> DecodeReceipt(ByteView payload);

}  // namespace fieldcase::org
