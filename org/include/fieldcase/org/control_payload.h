// Control payloads (kind 3): plaintext Cereal PortableBinary, decoded strictly during the
// structural checks, so a hub or auditor checks enrolments without keys. Personal data
// (name, badge) is sealed under the directory key. docs/formats/entry.md.
//
//   offset size  field
//   0      1     0x01 (cereal little-endian flag)
//   1      1     op: 1 founding, 2 enrolment certificate, 3 revocation, 4 accept-up-to
//   founding (root, seq 1):
//          str   org name (u64 len ‖ bytes, at most 256)
//          32    recovery recipient's X25519 public key
//   enrolment certificate:
//          32    subject's ed25519 signing key
//          32    subject device's X25519 key (wraps are sealed to it)
//          1     role (Role below)
//          16    person_id
//          8     expiry (ms since epoch; gates handshakes only, never status)
//          blob  personal data: u64 len ‖ nonce(24) ‖ XChaCha20-Poly1305(key = directory
//                key, ad = org_id ‖ subject key) of Cereal(str name ‖ str badge); at most
//                4096 bytes; empty when no personal data was given
//          1     successor flag: 0, or 1 followed by
//          32      the key this one succeeds (same role; e.g. a device restored from a
//                  backup gets a new key)
//          8       last_seq of the old key: its entries after it are quarantined
//          32      last_id (zero when last_seq is 0)
//   revocation / accept-up-to (same layout):
//          32    the device's signing key
//          8     last_seq: entries up to it (ending in last_id) stay accepted
//          32    last_id (zero when last_seq is 0: nothing of the key is accepted)
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::org {

// Persisted: do not change.
enum class Role : uint8_t {
  kRoot = 1,
  kAdmin = 2,
  kSupervisor = 3,
  kOfficer = 4,
  kHub = 5,
  kAuditor = 6,
};
inline constexpr Role kAllRoles[] = {Role::kRoot,    Role::kAdmin, Role::kSupervisor,
                                     Role::kOfficer, Role::kHub,   Role::kAuditor};
inline bool IsKnownRole(uint8_t r) {
  return r >= uint8_t(Role::kRoot) && r <= uint8_t(Role::kAuditor);
}
const char* ToString(Role r);
std::optional<Role> ParseRole(std::string_view s);

// Persisted: do not change.
enum class ControlOpCode : uint8_t { kFounding = 1, kEnrol = 2, kRevoke = 3, kAcceptUpTo = 4 };

inline constexpr uint64_t kMaxOrgNameBytes = 256;
inline constexpr uint64_t kMaxPersonalBytes = 4096;
// A name or a badge number inside the sealed personal data.
inline constexpr uint64_t kMaxPersonalFieldBytes = 256;

struct Founding {
  std::string org_name;
  PublicKey recovery_public_key{};
};

struct Enrolment {
  PublicKey subject{};
  PublicKey box_key{};
  Role role = Role::kOfficer;
  Id128 person_id{};
  uint64_t expiry_ms = 0;
  Bytes sealed_personal;
  // A successor enrolment: this key replaces `predecessor`, whose entries after
  // predecessor_last_seq are quarantined (as by a revocation).
  std::optional<PublicKey> predecessor;
  uint64_t predecessor_last_seq = 0;
  Id predecessor_last_id{};
};

// A cut-off on a device's chain: a revocation sets it, accept-up-to extends it after review.
struct CutOff {
  ControlOpCode op = ControlOpCode::kRevoke;  // kRevoke or kAcceptUpTo
  PublicKey device{};
  uint64_t last_seq = 0;
  Id last_id{};
};

using ControlPayload = std::variant<Founding, Enrolment, CutOff>;

Bytes EncodeControlPayload(const ControlPayload& p);
// Strict. NeedsUpgrade for an unknown op (kept as needs-upgrade); Corruption otherwise.
Result<ControlPayload> DecodeControlPayload(ByteView bytes);

struct Personal {
  std::string name;
  std::string badge;
};
Bytes SealPersonal(const Personal& p, const crypto::SecretBytes& directory_key, const Id& org_id,
                   const PublicKey& subject);
Result<Personal> OpenPersonal(ByteView sealed, const crypto::SecretBytes& directory_key,
                              const Id& org_id, const PublicKey& subject);

}  // namespace fieldcase::org
