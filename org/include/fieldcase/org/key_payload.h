// Key payloads (kind 2): plaintext Cereal PortableBinary, decoded strictly as part of the
// structural checks so hubs and auditors check authority without keys. docs/formats/entry.md.
//
//   offset size  field
//   0      1     0x01 (cereal little-endian flag)
//   1      1     op: 1 team-key generation, 2 case key, 3 grant of an existing key
//   2      16    key_id: for ops 1 and 2 = BLAKE2b-128("fc-key-id", author ‖ seq) of this
//                entry; for op 3 the granted key's id
//   18     4     generation (u32): previous + 1; 1 for a case's or team's first key
//   22     16    previous key_id (zero for generation 1)
//   38     32    org-log digest its author had seen
//   70     32    check = BLAKE2b-256(key = the key, "fc-key-check") of ""
//   102    8     wrap count (u64, at most kMaxWraps), then per wrap:
//                  u8 type: 1 under a team key, 2 sealed to an X25519 key
//                  32 recipient: type 1 the team key's key_id ‖ 16 zero bytes;
//                                type 2 the X25519 public key
//                  u64 len ‖ blob (at most kMaxWrapBytes):
//                    type 1: nonce(24) ‖ XChaCha20-Poly1305(key = BLAKE2b-256(key = team
//                            key, "fc-wrap") of nonce, ad = context) of the 32-byte key
//                    type 2: crypto_box_seal(context ‖ 32-byte key)
//   ..     8+n   previous wrap (u64 len ‖ blob, at most kMaxWrapBytes; empty for
//                generation 1): the previous generation's key, wrapped under this entry's
//                key exactly as a type-1 wrap (nonce ‖ AEAD under BLAKE2b-256(key = this
//                key, "fc-wrap") of nonce), bound to the context with key_id = the previous
//                key_id and recipient = this key_id ‖ 16 zero bytes. One grant of the
//                newest key thus gives the whole history.
//   context = "fieldcase/v1/key-wrap\0" ‖ org_id ‖ case_id ‖ key_id ‖ recipient
#pragma once

#include <optional>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::org {

// Persisted: do not change.
enum class KeyOpCode : uint8_t { kTeamKey = 1, kCaseKey = 2, kGrant = 3 };
enum class WrapType : uint8_t { kUnderTeamKey = 1, kSealed = 2 };

inline constexpr uint64_t kMaxWraps = 4096;
inline constexpr uint64_t kMaxWrapBytes = 256;
inline constexpr size_t kSymmetricKeyBytes = 32;

struct Wrap {
  WrapType type = WrapType::kSealed;
  PublicKey recipient{};
  Bytes blob;
};

struct KeyPayload {
  KeyOpCode op = KeyOpCode::kCaseKey;
  Id128 key_id{};
  uint32_t generation = 1;
  Id128 previous_key_id{};
  Id orglog_digest{};
  Id check{};
  std::vector<Wrap> wraps;
  Bytes previous_wrap;  // empty, or the previous generation under this key
};

Bytes EncodeKeyPayload(const KeyPayload& p);
// Strict. NeedsUpgrade for an unknown op (kept as needs-upgrade); Corruption otherwise.
Result<KeyPayload> DecodeKeyPayload(ByteView bytes);

Id KeyCheck(const crypto::SecretBytes& key);
PublicKey TeamRecipient(const Id128& team_key_id);

// The wrap context bound to every wrap (see table).
Bytes WrapContext(const Id& org_id, const Id128& case_id, const Id128& key_id,
                  const PublicKey& recipient);
Wrap WrapUnderTeamKey(const crypto::SecretBytes& key, const crypto::SecretBytes& team_key,
                      const Id128& team_key_id, const Id& org_id, const Id128& case_id,
                      const Id128& key_id);
// Fails for a recipient no one can open a sealed box for (crypto::IsUsableBoxKey).
Result<Wrap> WrapSealed(const crypto::SecretBytes& key, const PublicKey& recipient,
                        const Id& org_id, const Id128& case_id, const Id128& key_id);
Result<crypto::SecretBytes> UnwrapUnderTeamKey(const Wrap& w, const crypto::SecretBytes& team_key,
                                               const Id& org_id, const Id128& case_id,
                                               const Id128& key_id);
Result<crypto::SecretBytes> UnwrapSealed(const Wrap& w, const crypto::BoxKeyPair& device,
                                         const Id& org_id, const Id128& case_id,
                                         const Id128& key_id);

}  // namespace fieldcase::org
