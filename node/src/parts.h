// What a Node is made of: its folder and log, its secrets, and its collaborators — the
// signer (signer.h), the membership and the key ring (org/), reloaded from the accepted
// entries after every change. Private to node/: Node's methods are the only users.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/key_ring.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/store/data_dir.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/store/store.h"
#include "signer.h"

namespace fieldcase::node {

// Keystore labels: persisted, do not change.
inline std::string SignLabel(org::Role r) { return std::string("sign:") + ToString(r); }
inline constexpr const char* kDeviceBoxLabel = "box:device";
// The ed25519 key the device's X25519 key derives from; it proves the X25519 key in requests.
inline constexpr const char* kBoxIdentityLabel = "box:identity";
// A device made by plain `init`: its one signing key, whose role its certificate names.
inline constexpr const char* kDeviceSignLabel = "sign:device";
// A key asked for by `enrol-request --successor`, until its certificate counts.
inline constexpr const char* kSuccessorSignLabel = "sign:successor";
inline constexpr const char* kDirectoryLabel = "key:directory";

inline constexpr uint64_t kCertificateLifeMs = 2ull * 365 * 24 * 3600 * 1000;

// A key entry to sign: `fill` writes the payload, seeing the signed header fields.
Draft KeyDraft(org::Role role, const Id128& case_id,
               std::function<Status(org::KeyPayload&, const store::Header&)> fill);
// A control entry to sign.
Draft ControlDraft(org::Role role, std::function<org::ControlPayload()> make);

// Opens (or creates) the log of a data folder with the organisation's payload rules.
Result<std::unique_ptr<store::Store>> OpenLog(const store::DataDir& dir);
// For looking only (status, verify): creates, migrates and writes nothing.
Result<std::unique_ptr<store::Store>> OpenLogReadOnly(const store::DataDir& dir);
// Removes the database files of a folder (a failed found or join leaves nothing).
void RemoveLogFiles(const store::DataDir& dir);
// DIR/init-incomplete (above); NotPermitted when present.
std::filesystem::path InitMark(const store::DataDir& dir);
Status RefuseHalfMade(const store::DataDir& dir);

struct Node::Parts {
  // A new node's parts in a data folder that must be empty: locks it first, so two
  // `init`s cannot race.
  // Locks an empty folder for `init`. An `init` in progress is marked by DIR/init-incomplete
  // (naming the recovery file it writes outside the folder): a process killed half-way
  // leaves the mark, and the next `init` removes what the killed one wrote (none of it has
  // been used) and starts over; every other command refuses the folder until then.
  static Result<std::unique_ptr<Parts>> ForEmptyFolder(const store::DataDir& d,
                                                       const std::filesystem::path& recovery = {});
  // Removes the mark: the folder is complete.
  Status FinishInit();

  // Membership, the signer's waiting keys, the key ring and the clock, from what counts now.
  Status Reload();
  // Statuses from the whole set (sync/statuses.h), then Reload.
  Status Recompute();
  // Signs and commits; the key ring follows what was written.
  Result<std::vector<Id>> Commit(std::vector<Draft> drafts, int64_t now_ms);
  Result<Id> CurrentOrgLogDigest();
  // Writes the keystore with what it holds now.
  Status SaveKeystore(const crypto::SecretBytes& passphrase);

  // Could a revoked device read this key? It could if the key, or a team key it was
  // wrapped under, or any later team generation (which carries the earlier ones), was
  // sealed to it.
  bool ExposedToRevoked(const Id128& key_id) const;
  // The wraps of a new case key: under the preferred team key for an ordinary case (or
  // sealed to every current reader when a revoked device could read that team key); for a
  // restricted case, sealed to the named persons' current devices, this device and the
  // recovery recipient.
  Result<std::vector<org::Wrap>> CaseKeyWraps(const crypto::SecretBytes& key, const Id128& case_id,
                                              const Id128& key_id,
                                              const std::set<Id128>* persons) const;
  // Writes a new generation of a case's key when a revoked device could read the current one.
  Status RotateCaseKeyIfExposed(const Id128& case_id, int64_t now_ms);
  // A supervisor node grants the preferred team key to every current officer or
  // supervisor device that lacks it (DESIGN §5), in one entry.
  Status GrantMissingTeamKeys(int64_t now_ms);

  store::DataDir dir;
  std::unique_ptr<store::DirLock> lock;
  std::unique_ptr<store::Store> log;
  Id org_id{};
  // Secrets, as the keystore file holds them.
  std::optional<store::Keystore> keystore;
  crypto::KdfCost keystore_cost = crypto::KdfCost::kModerate;
  std::optional<crypto::BoxKeyPair> device;
  std::optional<crypto::SigningKey> box_identity;  // absent on stores made before it existed
  std::optional<crypto::SecretBytes> directory_key;
  std::optional<crypto::BoxKeyPair> recovery;  // only while `recover` runs
  // Collaborators.
  Signer signer;
  org::Membership members;
  org::KeyRing ring;
  // Control and key entries whose signatures were checked as this process loaded them
  // (parts.cpp: rows of the database are trusted only as far as their signatures).
  std::set<Id> signature_checked;
};

}  // namespace fieldcase::node
