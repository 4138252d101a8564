// Entry = header ‖ signature(64) ‖ payload. Format: docs/formats/entry.md.
//
// Header, version 1: 151 bytes, little-endian, hand-coded so the signed bytes have exactly
// one reading. A v1 decoder rejects any other length and non-zero flags.
//
//   offset size field         meaning
//   0      1    version       1 (persisted; do not change)
//   1      1    kind          1 data, 2 key, 3 control (4 receipt, later)
//   2      1    flags         must be 0
//   3      32   author        ed25519 public key of the writing key
//   35     8    seq           1, 2, 3 … per author, no gaps
//   43     32   prev          id of the author's entry at seq-1; zero for seq 1
//   75     16   case_id       the case; zero for team-key and org-level entries
//   91     8    hlc           48-bit ms << 16 | 16-bit counter
//   99     16   key_id        key encrypting a data payload; zero for key/control
//   115    4    payload_len   length of the whole payload
//   119    32   payload_hash  BLAKE2b-256("fc-payload") of the whole payload
//   151         (end)
//
//   signature = ed25519 over "fieldcase/v1/entry\0" ‖ org_id ‖ header
//   id        = BLAKE2b-256("fc-entry-id") of header ‖ signature
#pragma once

#include <optional>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/sign.h"

namespace fieldcase::store {

inline constexpr uint8_t kVersion1 = 1;
inline constexpr size_t kHeaderV1Bytes = 151;
inline constexpr size_t kSignatureBytes = 64;
// Format constants (DESIGN §4.1): they decide status, so every node uses the same.
inline constexpr uint32_t kMaxPayloadBytes = 16u * 1024 * 1024;
inline constexpr size_t kMaxEvidencePerBranch = 1000;
inline constexpr size_t kMaxPendingRows = 100000;
// Entries of header versions this build cannot read are kept unverified (their signatures
// cannot be checked here) and forwarded in every session: at most this many bytes of them
// (header, signature and payload) are held; beyond it one is not kept ("dropped"). Those
// appear only while a force upgrades, and the devices already upgraded keep them whole.
inline constexpr size_t kMaxOpaqueBytes = 8u << 20;

// Persisted in headers: do not change.
enum class Kind : uint8_t { kData = 1, kKey = 2, kControl = 3, kReceipt = 4 };
// Kinds a v1 node understands; others are kept as "pending: needs upgrade".
inline bool IsKnownKind(uint8_t k) { return k >= 1 && k <= 4; }
// Kinds whose payload is plaintext and checked as part of the structural checks (key,
// control, receipt): statuses depend on it, so the payload must be held to count.
inline bool HasPlainPayload(uint8_t k) {
  return k == uint8_t(Kind::kKey) || k == uint8_t(Kind::kControl) || k == uint8_t(Kind::kReceipt);
}

struct Header {
  uint8_t version = kVersion1;
  uint8_t kind = 0;
  uint8_t flags = 0;
  PublicKey author{};
  uint64_t seq = 0;
  Id prev{};
  Id128 case_id{};
  uint64_t hlc = 0;
  Id128 key_id{};
  uint32_t payload_len = 0;
  Id payload_hash{};

  bool operator==(const Header&) const = default;
};

Array<kHeaderV1Bytes> EncodeHeader(const Header& h);
// Strict: exactly 151 bytes, version 1, flags 0. Unknown kinds decode (status decides).
Result<Header> DecodeHeader(ByteView bytes);

Id PayloadHash(ByteView payload);
Id OrgId(const PublicKey& root_public_key);
Id EntryId(ByteView header, const Signature& sig);
// key_id of a key introduced by the key entry (author, seq).
Id128 KeyIdFor(const PublicKey& author, uint64_t seq);
// case_id of a case opened by the case-key entry (author, seq).
Id128 CaseIdFor(const PublicKey& author, uint64_t seq);

struct Entry {
  Header header;
  Array<kHeaderV1Bytes> header_bytes{};
  Signature signature{};
  Id id{};
  std::optional<Bytes> payload;  // absent when not held (erased or header-only transfer)
};

// An entry as it travels, of a version not yet known: header bytes of any length (byte 0 is
// the version), the signature after it, and the payload when it travels.
struct RawEntry {
  Bytes header;
  Signature signature{};
  std::optional<Bytes> payload;
};

// The record an entry travels as in every file (enrolment responses, bundles): one writer,
// one bounded reader, whichever way the bytes arrive.
//   u16 header length (1..kMaxOpaqueHeaderBytes) ‖ header ‖ signature(64) ‖
//   u32 payload length (0xFFFFFFFF: not carried; at most kMaxPayloadBytes) ‖ payload
inline constexpr size_t kMinRawEntryRecordBytes = 2 + 1 + 64 + 4;
// The longest header of any version an entry may travel or be kept with.
inline constexpr size_t kMaxOpaqueHeaderBytes = 4096;
void PutRawEntry(ByteWriter& w, const RawEntry& e);
// Corruption naming what is wrong; nothing is allocated beyond what the record holds.
Status GetRawEntry(ByteReader& r, RawEntry& e);

// Fills payload_len/payload_hash, signs, and computes the id.
Entry SignEntry(const Header& h, Bytes payload, const Id& org_id, const crypto::SigningKey& key);
[[nodiscard]] bool VerifyEntrySignature(const Id& org_id, ByteView header_bytes,
                                        const PublicKey& author, const Signature& sig);

}  // namespace fieldcase::store
