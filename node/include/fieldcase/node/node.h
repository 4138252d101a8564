// A node: one data folder, unlocked — one device. `Node` is a thin facade over its
// collaborators (node/src/): the signer (signing keys, clock, commits), the membership and
// the key ring (org/), the one ingest path (sync/ingest.h) and the case reader
// (node/case_reader.h). Time is always a parameter (now_ms): the caller owns the clock.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fieldcase/base/byte_sink.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/passphrase.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/node/case_reader.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/record/case_state.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/data_dir.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/store/store.h"
#include "fieldcase/store/verify.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/reconcile.h"
#include "fieldcase/sync/ingest.h"

namespace fieldcase::node {

struct DisclosureFile;

struct FoundOptions {
  std::string org_name;
  std::string person_name;  // sealed under the directory key in the certificates
  std::string badge;
  crypto::KdfCost cost = crypto::KdfCost::kModerate;
  std::filesystem::path recovery_out;  // where the sealed recovery secret is written
};

struct EnrolOutcome {
  Bytes response;  // the file to hand to the device
  Id certificate{};
  bool team_key_granted = false;
  bool directory_key_sealed = false;
  PublicKey administrator{};  // the key that signed the response: its fingerprint is read aloud
};

struct ExportOptions {
  // Member signing keys whose devices may open the bundle; empty: every current member
  // device (hub and auditors included) and this one.
  std::vector<PublicKey> for_devices;
  // The other device's heads (`fieldcase heads`): only what it lacks is carried.
  std::optional<std::vector<store::Head>> since;
  // The org log from the recipient's heads file, imported first (the one ingest path).
  std::vector<store::RawEntry> org_log;
};

struct BundleReport {
  sync::BundleManifest manifest;
  sync::ImportReport imported;
};

struct RevokeOutcome {
  Id entry{};
  // A revoked device keeps the keys it had: the team key moves on at once where this
  // node can write it (it holds a supervisor key); case keys move on lazily.
  bool team_key_rotated = false;
};

// This device as a party to a sync session (net/host.h is wired to these by the CLI).
struct SessionIdentity {
  const crypto::SigningKey* key = nullptr;  // the member key the device speaks with
  Bytes enrolment;                          // the entry record that enrolled it, if held
  Id org_log_digest{};
};

struct PeerSync {
  PublicKey peer{};
  int64_t at_ms = 0;
  uint64_t entries_in = 0, entries_out = 0;
};

class Node {
 public:
  // Founds an organisation in an empty data folder: root, admin and supervisor keys, the
  // founding entry, enrolments, directory key, team key generation 1 and the recovery
  // recipient, whose secret goes to options.recovery_out sealed under its own passphrase.
  static Result<std::unique_ptr<Node>> Found(const store::DataDir& dir, const FoundOptions& options,
                                             const crypto::SecretBytes& passphrase,
                                             const crypto::SecretBytes& recovery_passphrase,
                                             int64_t now_ms);
  // Creates a device that is not yet a member: one signing key (its role comes from its
  // certificate) and one X25519 key, sealed under the passphrase.
  static Result<std::unique_ptr<Node>> InitDevice(const store::DataDir& dir,
                                                  const crypto::SecretBytes& passphrase,
                                                  crypto::KdfCost cost);
  // Locks the folder, opens the keystore with the passphrase and loads the key ring.
  static Result<std::unique_ptr<Node>> Unlock(const store::DataDir& dir,
                                              const crypto::SecretBytes& passphrase);
  // The same with the keystore already opened (store::ReadKeystore): what an unlock costs
  // beyond its key derivation, measured on its own (fieldcase-bench scale).
  static Result<std::unique_ptr<Node>> Unlock(const store::DataDir& dir, store::Keystore ks);
  ~Node();

  const Id& org_id() const;
  const std::string& org_name() const;
  store::Store& log();
  const std::map<PublicKey, org::Member>& members() const;
  // The signing key this node writes data with.
  const PublicKey& writer() const;
  std::vector<std::pair<org::Role, PublicKey>> own_keys() const;
  // What only the keys can show `verify` (which is keyless): each of this device's own keys
  // is enrolled or has written here, and every entry it wrote still has its payload. A
  // store swapped for another org's, emptied, or with this device's payload rows deleted
  // is named here. Empty: nothing found.
  Result<std::vector<store::VerifyProblem>> CheckOwnEntries();
  // Signs a verification report (node/report_file.h) with this device's key — its auditor
  // key if it has one, else the key it works with — and says which key signed.
  Result<std::pair<PublicKey, Signature>> SignReport(ByteView body) const;

  bool is_member() const;
  // This device's enrolment request (device side).
  // `replaces`: the key of a lost device this one replaces (an administrator confirms it).
  Result<Bytes> MakeEnrolRequest(const std::string& name, const std::string& badge,
                                 std::optional<PublicKey> replaces = std::nullopt) const;
  // A request for a successor key (a device restored from a backup, or re-keyed): makes
  // a new signing key, keeps it in the keystore, and names the current writing key as
  // the one it replaces. The device writes again once it joins the response.
  Result<Bytes> MakeSuccessorRequest(const std::string& name, const std::string& badge,
                                     const crypto::SecretBytes& passphrase);
  // The signing key waiting for a certificate: a new device's, or a successor key.
  std::optional<PublicKey> device_key() const;
  // Administrator side: certificate (signed by admin, or root for an admin), team-key
  // grant when this node holds a supervisor key, directory key sealed to the device, and
  // every entry held, in one signed response. A successor request must be vouched for by
  // the key it succeeds, or (a lost device) `confirmed_replaces` must name that key; the
  // lost device is then revoked too.
  Result<EnrolOutcome> Enrol(const org::EnrolRequest& request, org::Role role, int64_t now_ms,
                             std::optional<PublicKey> confirmed_replaces = std::nullopt);
  // The response for a device already enrolled, made again (its first was lost, or its
  // --out could not be written); writes nothing to the log. The request must be the
  // enrolled device's own (same keys).
  Result<EnrolOutcome> ReissueEnrolment(const org::EnrolRequest& request, int64_t now_ms);
  // Device side: takes the org, opens the response's bundle (sealed to this device),
  // imports and verifies every entry, keeps the directory key.
  Status Join(const org::EnrolResponse& response, const crypto::SecretBytes& passphrase,
              int64_t now_ms);
  // Verifies and stores entries from elsewhere through the one ingest path (sync/ingest.h).
  // `settle` false: statuses and membership catch up at the next Settle (sync sessions,
  // once per phase).
  Result<sync::ImportReport> Import(const std::vector<store::RawEntry>& entries, int64_t now_ms,
                                    bool settle = true, const sync::IngestProgress& progress = {});
  Status Settle(int64_t now_ms);
  // Every entry held, as it would travel.
  Result<std::vector<store::RawEntry>> ExportAll();
  // This node's heads file, for another device's `export --since` (sync/heads.h).
  Result<Bytes> HeadsFile();
  // A bundle of what the recipients lack, encrypted to them and signed by this node's
  // writing key (sync/bundle.h), written to `sink` a message at a time: the store is read
  // twice (sync/bundle_writer.h), about one message is held. `progress(done, total)` as the
  // entries are written. Returns the manifest; on an error what reached `sink` is no bundle.
  Result<sync::BundleManifest> ExportBundle(const ExportOptions& options, ByteSink& sink,
                                            int64_t now_ms,
                                            const sync::IngestProgress& progress = {});
  // The same, in memory (tests, benchmarks).
  Result<sync::SealedBundle> ExportBundle(const ExportOptions& options, int64_t now_ms);
  // Opens a bundle made for this device, checks it whole, and imports its entries
  // through the one ingest path, a message at a time (sync::BundleReader): the file is
  // never held whole.
  Result<BundleReport> ImportBundle(ByteSource& file, int64_t now_ms,
                                    const sync::IngestProgress& progress = {},
                                    const sync::PieceBounds& bounds = {});
  Result<BundleReport> ImportBundle(ByteView file, int64_t now_ms,
                                    const sync::IngestProgress& progress = {});
  // Opens and checks a bundle made for this device without importing it: its manifest
  // and recipients (`bundle inspect`), or every entry (bytes in memory).
  Result<std::unique_ptr<sync::BundleReader>> CheckBundle(ByteSource& file);
  Result<sync::OpenedBundle> OpenBundle(ByteView file);
  // ---- sync sessions (node/src/sessions.cpp) ----
  Result<SessionIdentity> SessionIdentityNow();
  // A peer may sync when it is a current member device (not revoked, not replaced by a
  // successor, not expired, not the root key); an enrolment record from its certificate is imported first (the one ingest
  // path) so a device enrolled since this one last synced is known. Returns a label.
  Result<std::string> AdmitPeer(const PublicKey& key, ByteView enrolment, int64_t now_ms);
  // The store and ingest path for sync::Reconciler, in a session with `peer`. A hub writes
  // a receipt (org/receipt_payload.h) when the entries phase ends, naming the heads of
  // every author whose chain grew in the session; the receipts phase then carries it back.
  sync::Reconciler::Local ReconcileLocal(const PublicKey& peer = {});
  // A hub's receipt for `heads`, signed with its hub key and committed. NotPermitted
  // without a current hub key.
  Result<Id> WriteReceipt(const PublicKey& peer, const std::vector<store::Head>& heads,
                          int64_t now_ms);
  Status RecordPeerSync(const PeerSync& sync);
  Result<std::vector<PeerSync>> PeerSyncs();

  std::vector<org::MemberView> Members() const;
  // A member's key from a hex prefix (6+ digits), a name or a badge number.
  Result<PublicKey> ResolveMember(std::string_view text) const;
  // Revokes a device at the newest entry of it this node holds.
  Result<Id> Revoke(const PublicKey& device, int64_t now_ms);
  // Revokes, then writes a new team key generation without the device when this node
  // holds a supervisor key (what `fieldcase org revoke` does).
  Result<RevokeOutcome> RevokeAndRotate(const PublicKey& device, int64_t now_ms);
  // Extends a revoked device's cut-off to its entry at `seq` held here.
  Result<Id> AcceptUpTo(const PublicKey& device, uint64_t seq, int64_t now_ms);
  // SQLite backup of the log only — the keystore (signing keys) is left out.
  Status Backup(const std::filesystem::path& dir);
  // The root key, sealed under its own passphrase, to be held offline (node/src/root_key.cpp
  // has the file format); restored on a member device, it enrols and revokes
  // administrators there. Restoring saves the keystore under `passphrase`.
  Result<Bytes> ExportRootKey(const crypto::SecretBytes& file_passphrase,
                              crypto::KdfCost cost) const;
  Status RestoreRootKey(ByteView file, const crypto::SecretBytes& file_passphrase,
                        const crypto::SecretBytes& passphrase);

  // Case key entry + open-case data entry, one transaction. Returns the new case id.
  // With `restricted_to` (person ids), the case key is sealed only to those persons'
  // devices, this device and the recovery recipient; otherwise wrapped under the team key.
  Result<Id128> OpenCase(const record::OpenCase& op, int64_t now_ms,
                         const std::vector<Id128>& restricted_to = {});
  // A person's id from a name or badge number (directory key needed) or a key prefix.
  Result<Id128> ResolvePerson(std::string_view text) const;
  // A new team key generation, sealed to every current officer and supervisor device and
  // carrying the previous generation. Needs a supervisor key.
  Result<Id128> RotateTeamKey(int64_t now_ms);
  // With the recovery secret: grants the current key of a case to the given persons'
  // devices (for a restricted case whose members are gone).
  Result<Id> Recover(const Id128& case_id, const std::vector<Id128>& persons,
                     crypto::BoxKeyPair recovery, int64_t now_ms);
  // Whether a case's key is sealed to named persons rather than wrapped under the team key.
  bool IsRestricted(const Id128& case_id) const;
  // One data entry, committed and synced before it returns.
  Result<Id> Write(const Id128& case_id, const record::Op& op, int64_t now_ms);
  // Many data entries in one transaction (bulk capture, benchmarks).
  Result<std::vector<Id>> WriteBatch(const std::vector<std::pair<Id128, record::Op>>& ops,
                                     int64_t now_ms);

  // Every case id held (from case-key entries), oldest first.
  Result<std::vector<Id128>> CaseIds();
  // A case id from a full hex id or a unique prefix of at least 6 hex digits.
  Result<Id128> ResolveCase(std::string_view text);
  Result<record::CaseView> LoadCase(const Id128& case_id);
  // Materialises every case, decrypting on `threads` threads.
  Result<std::vector<CaseRecord>> LoadAllCases(int threads);
  Result<std::vector<HistoryLine>> CaseHistory(const Id128& case_id);
  // The adds of `tag` this node sees and no untag has removed: what an untag must name.
  Result<std::vector<Id>> LiveTagAdds(const Id128& case_id, const std::string& tag);
  // What a disclosure of the case carries (node/disclosure.h): the data entries named by
  // id prefixes (every one this device can read when none are named) with their entry
  // keys, and the entries that prove them.
  Result<DisclosureFile> Disclose(const Id128& case_id, const std::vector<std::string>& entries);

  // What a node is made of (node/src/parts.h): opaque outside node/.
  struct Parts;

 private:
  Result<std::optional<crypto::SecretBytes>> OpenDirectoryKey(const org::EnrolResponse& response,
                                                              const Id& org_id);
  Status ResumeJoin(const org::EnrolResponse& response, const crypto::SecretBytes& passphrase,
                    int64_t now_ms);
  Status Respond(const PublicKey& device, const PublicKey& box_key, org::Role role,
                 int64_t now_ms, EnrolOutcome& out);
  Result<std::vector<store::RawEntry>> ResponseEntries(const org::EnrolResponse& response);
  // What follows an import that settled: receipts noted, members and keys reloaded, team
  // keys granted to devices that lack them.
  Status Imported(size_t added, int64_t now_ms);
  explicit Node(std::unique_ptr<Parts> parts);
  // Everything an unlock does once the folder is locked and the keystore opened.
  static Result<std::unique_ptr<Node>> Open(std::unique_ptr<Parts> p, store::Keystore ks);
  CaseReader Reader() const;
  std::unique_ptr<Parts> p_;
};

// Opens a recovery file with its passphrase (for `fieldcase recover`, and tests).
Result<crypto::BoxKeyPair> OpenRecoveryFile(const std::filesystem::path& path,
                                            const crypto::SecretBytes& passphrase);

}  // namespace fieldcase::node
