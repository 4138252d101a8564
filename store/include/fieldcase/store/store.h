// The log of one node: entries, payloads, heads and derived statuses in one SQLite
// database (WAL, synchronous=FULL: an append that returned success survives power loss).
//
// Tables (schema v1; docs/architecture.md):
//   meta(key, value)                       org_id and other node facts
//   entries(id UNIQUE, author, seq, prev, kind, case_id, hlc, key_id, header, signature,
//           status, evidence, received_ms)  signed columns refuse UPDATE; rows refuse DELETE
//   payloads(id PRIMARY KEY, payload)      refuse UPDATE and DELETE (erasure path: later)
//   heads(author, seq, id)                 entries that end a chain
//   opaque(id, header, signature, payload) entries of a header version this node cannot
//                                          read: kept as "needs upgrade" and forwarded
#pragma once

#include <climits>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::store {

// Persisted in the status column: do not change.
enum class EntryStatus : uint8_t {
  kAccepted = 1,
  kPending = 2,       // a dependency is not here yet
  kNeedsUpgrade = 3,  // unknown version, kind or op
  kQuarantined = 4,   // past a revocation cut-off or from a fork point on
};
const char* ToString(EntryStatus s);

struct StoredEntry {
  Entry entry;
  EntryStatus status = EntryStatus::kAccepted;
  int64_t received_ms = 0;
  int64_t row = 0;  // the store's order of arrival: a cursor for reading on from here
};

struct Head {
  PublicKey author{};
  uint64_t seq = 0;
  Id id{};
  uint64_t hlc = 0;
};

// Called for key and control payloads during the structural checks: sync/ installs the
// strict decoder. Returns Rejected for malformed payloads, NeedsUpgrade for an unknown op
// (the entry is then kept as needs-upgrade).
using PayloadValidator = std::function<Status(const Header&, ByteView payload)>;

struct AppendResult {
  Id id{};
  Status status;              // ok, Rejected (not stored) or Gap (not stored, re-offer later)
  bool duplicate = false;     // already held; nothing written (unless late_payload)
  bool late_payload = false;  // held without its payload until now; the payload was added
  bool fork = false;          // stored as fork evidence: another entry holds its (author, seq)
  bool dropped = false;       // not stored: beyond the fork-evidence bound, or beyond
                              // kMaxOpaqueBytes (format constants)
};

struct ForkSeq {
  PublicKey author{};
  uint64_t seq = 0;
  int64_t branches = 0;
};

// One author's chain as held: its seq range and its entries by status (verify --report).
struct AuthorCounts {
  PublicKey author{};
  uint64_t first_seq = 0, last_seq = 0;
  int64_t accepted = 0, pending = 0, needs_upgrade = 0, quarantined = 0;
  int64_t other = 0;  // a status column value no version writes (named by verify)
};

struct EntryFilter {
  bool payloads = true;  // false: headers only (cheaper scans)
  std::optional<Id128> case_id;
  std::optional<uint8_t> kind;
  std::optional<PublicKey> author;
  // With author: only entries past (after_seq, after_row) in (seq, arrival) order — the
  // branches of one seq in the order they arrived.
  std::optional<uint64_t> after_seq;
  int64_t after_row = INT64_MAX;
  size_t limit = 0;  // 0: no limit
  int64_t after_rowid = 0;  // without author/after_seq: only rows that arrived after this one
};

class Store {
 public:
  // Creates the database if missing and migrates it to the current schema. `validator`
  // runs on every key and control payload however it arrives (org::ValidateKeyOrControl):
  // a store is never opened without it.
  // kReadOnly: for looking only (status, verify, a read-only medium): the database must
  // exist at this version; nothing is created, migrated or written.
  enum class OpenMode { kReadWrite, kReadOnly };
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& db_path,
                                             PayloadValidator validator,
                                             OpenMode mode = OpenMode::kReadWrite);
  ~Store();

  // org_id is fixed once, by the node that founds or joins an org; every signature
  // check uses it.
  Status SetOrgId(const Id& org_id);
  const std::optional<Id>& org_id() const { return org_id_; }

  // Structural checks (DESIGN §4.1) + insert + head update, one transaction per call.
  // locally_signed: the signature was made by this process a moment ago and is not
  // re-verified; every other entry's signature is.
  AppendResult Append(const Entry& e, bool locally_signed, int64_t now_ms);
  // One transaction for the batch; each entry gets its own result (a bad entry does not
  // stop the rest). Fails as a whole only if the transaction cannot commit.
  Result<std::vector<AppendResult>> AppendBatch(const std::vector<Entry>& entries,
                                                bool locally_signed, int64_t now_ms);
  // Entries from elsewhere, many transactions of `per_transaction` entries each, in order;
  // `stored(n)` after each commit (entries [0, n) stored). Signatures are checked on
  // worker threads ahead of the writer (the same check AppendBatch makes). Fails on the
  // first transaction that cannot commit; the ones before it stand.
  Result<std::vector<AppendResult>> AppendArriving(const std::vector<Entry>& entries,
                                                   size_t per_transaction, int64_t now_ms,
                                                   const std::function<void(size_t)>& stored = {});

  // For bytes from outside whose version is not yet known (sync, bundles): a v1 header
  // takes the Append path; another version is kept opaque, its status "needs upgrade",
  // under id = BLAKE2b-256("fc-entry-id", header ‖ signature). Header length is bounded
  // by kMaxOpaqueHeaderBytes.
  AppendResult AppendRaw(ByteView header, const Signature& signature, std::optional<Bytes> payload,
                         int64_t now_ms);
  // Entries of header versions this node cannot read, many in one transaction: each is
  // bounded (header kMaxOpaqueHeaderBytes, payload kMaxPayloadBytes), kept as "needs
  // upgrade", counted in the pending bound and forwarded (ForEachOpaque).
  Result<std::vector<AppendResult>> AppendOpaqueBatch(const std::vector<const RawEntry*>& entries,
                                                      int64_t now_ms);
  Result<int64_t> CountOpaque();
  // Visits the entries of other header versions as they travel, oldest first.
  Status ForEachOpaque(const std::function<Status(RawEntry&)>& fn);

  Result<std::optional<StoredEntry>> Get(const Id& id);
  // The status of a held entry (nullopt: not held).
  Result<std::optional<EntryStatus>> StatusOf(const Id& id);
  // Whether an entry is held (in any status), without reading it.
  Result<bool> Contains(const Id& id);
  // (seq, id) of an author's entries at seqs from `from_seq` down, highest first, at most
  // `n` (every branch's entry at a forked seq): the backwards search of reconciliation.
  Result<std::vector<std::pair<uint64_t, Id>>> IdsDown(const PublicKey& author,
                                                       uint64_t from_seq, size_t n);
  // The newest entry of an author's chain (highest seq), if any.
  Result<std::optional<Head>> HeadOf(const PublicKey& author);
  Result<std::vector<Head>> Heads();
  // Visits entries in insertion order; stops early and returns the callback's status if
  // it fails. The callback may move from the entry it is given.
  Status ForEach(const EntryFilter& filter, const std::function<Status(StoredEntry&)>& fn);
  Result<int64_t> CountEntries();
  // The highest rowid of an entry (0: none); rows stored later have higher ones (one
  // writer holds the store, and rows go only when a settle bounds the pending ones).
  Result<int64_t> LastRowid();
  // How many entries stored after `rowid` have each status.
  Result<std::map<EntryStatus, int64_t>> CountStatusesAfter(int64_t rowid);
  // Writes recomputed statuses (the only column of an entry that may change), one
  // transaction.
  Status SetStatuses(const std::vector<std::pair<Id, EntryStatus>>& statuses);
  // Format constant kMaxPendingRows: drops the oldest pending and needs-upgrade rows
  // beyond `keep` (they are re-offered by peers later) — entries of unknown header
  // versions first, then chain tails. The only deletion of entries the schema allows.
  // Returns how many were dropped.
  Result<int64_t> DropOldestPending(int64_t keep = int64_t(kMaxPendingRows));
  // Whether an author has a fork (some seq held twice). Cheap: an index of evidence rows.
  Result<bool> HasForkEvidence(const PublicKey& author);
  // Every (author, seq) held more than once.
  Result<std::vector<ForkSeq>> Forks();
  // Every author's counts, ordered by author key.
  Result<std::vector<AuthorCounts>> CountsByAuthor();
  // How many of seqs 1..`seq` an author's chain holds (each seq once, forks or not):
  // `seq` when nothing below it is missing.
  Result<int64_t> SeqsHeldUpTo(const PublicKey& author, uint64_t seq);
  // Case ids from lo to hi (bytewise, inclusive) that some entry names: a case id prefix
  // found through the case index, without reading every case.
  Result<std::vector<Id128>> CaseIdsBetween(const Id128& lo, const Id128& hi);
  // Authors with a row whose status may still change on its own (pending, needs upgrade).
  Result<std::set<PublicKey>> UnsettledAuthors();

  // Key-value facts about this node (not signed, not secret).
  Status PutMeta(std::string_view key, ByteView value);
  Result<std::optional<Bytes>> GetMeta(std::string_view key);
  Status DeleteMeta(std::string_view key);

  // Runs PRAGMA integrity_check; ok or Corruption with SQLite's words.
  Status IntegrityCheck();
  // Copies the database to path through SQLite's online backup API.
  Status BackupTo(const std::filesystem::path& path);

  class Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::optional<Id> org_id_;
  PayloadValidator validator_;
};

}  // namespace fieldcase::store
