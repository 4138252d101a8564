#include "fieldcase/store/store.h"

#include <stdexcept>

#include "db.h"
#include "fieldcase/base/byte_io.h"
#include "schema.h"

namespace fieldcase::store {

namespace {

// Payloads join their entries by id — the one join every reader uses (verify too). A
// payload row normally shares its entry's rowid, which keeps scans in order (p); a row
// found there must also carry the entry's id, and when it does not (moved, swapped) the
// payload is looked up by id (q). So a row moved by hand is neither lost nor taken for
// another entry's payload. Select kPayloadColumn.
constexpr const char* kPayloadJoin =
    "payloads p ON p.rowid = e.rowid AND p.id = e.id "
    "LEFT JOIN payloads q ON p.rowid IS NULL AND q.id = e.id";
constexpr const char* kPayloadColumn = "coalesce(p.payload, q.payload)";
// Another row at e's (author, seq): what makes e a fork, whatever its evidence flag says.
constexpr const char* kHasSibling =
    "EXISTS (SELECT 1 FROM entries f WHERE f.author = e.author AND f.seq = e.seq AND f.id != e.id)";

// Key and control payloads decide statuses, members and keys: a reader believes one only
// when it hashes to what the signed header says (a data payload is bound by its AEAD).
bool PayloadTrusted(const Header& h, ByteView payload) {
  if (h.kind != uint8_t(Kind::kKey) && h.kind != uint8_t(Kind::kControl)) return true;
  return payload.size() == h.payload_len && PayloadHash(payload) == h.payload_hash;
}

}  // namespace

const char* ToString(EntryStatus s) {
  switch (s) {
    case EntryStatus::kAccepted:
      return "accepted";
    case EntryStatus::kPending:
      return "pending";
    case EntryStatus::kNeedsUpgrade:
      return "pending: needs upgrade";
    case EntryStatus::kQuarantined:
      return "quarantined";
  }
  return "unknown";
}

class Store::Impl {
 public:
  std::unique_ptr<Db> db;
  Stmt find_id, insert_late_payload, find_author_seq, find_prev, fork_point, insert_entry,
      insert_payload, drop_head, add_head, head_of;

  Status Prepare() {
    FC_ASSIGN_OR_RETURN(find_id, db->Prepare("SELECT e.rowid, " + std::string(kPayloadColumn) +
                                             " IS NULL FROM entries e LEFT JOIN " +
                                             std::string(kPayloadJoin) + " WHERE e.id = ?1"));
    FC_ASSIGN_OR_RETURN(insert_late_payload,
                        db->Prepare("INSERT OR IGNORE INTO payloads(rowid, id, payload) "
                                    "VALUES(?1, ?2, ?3)"));
    FC_ASSIGN_OR_RETURN(find_author_seq,
                        db->Prepare("SELECT id, hlc FROM entries WHERE author = ?1 AND seq = ?2"));
    FC_ASSIGN_OR_RETURN(
        insert_entry,
        db->Prepare("INSERT INTO entries(id, author, seq, prev, kind, case_id, hlc, key_id, "
                    "header, signature, status, received_ms, evidence) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    FC_ASSIGN_OR_RETURN(fork_point,
                        db->Prepare("SELECT min(e.seq) FROM entries e WHERE e.author = ?1 "
                                    "AND e.evidence = 1 AND " +
                                    std::string(kHasSibling)));
    FC_ASSIGN_OR_RETURN(find_prev,
                        db->Prepare("SELECT author, seq, hlc FROM entries WHERE id = ?1"));
    FC_ASSIGN_OR_RETURN(insert_payload,
                        // The payload row shares its entry's rowid, so scans join in order.
                        db->Prepare("INSERT OR IGNORE INTO payloads(rowid, id, payload) "
                                    "VALUES(last_insert_rowid(), ?1, ?2)"));
    FC_ASSIGN_OR_RETURN(drop_head, db->Prepare("DELETE FROM heads WHERE author = ?1 AND id = ?2"));
    FC_ASSIGN_OR_RETURN(
        add_head, db->Prepare("INSERT OR IGNORE INTO heads(author, id, seq) VALUES(?1, ?2, ?3)"));
    // From the signed rows, not the heads table: a node takes its next seq from here, and
    // the heads table is only an index (verify checks it).
    FC_ASSIGN_OR_RETURN(head_of, db->Prepare("SELECT seq, id, hlc FROM entries WHERE author = ?1 "
                                             "ORDER BY seq DESC, id LIMIT 1"));
    return Status::Ok();
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& db_path,
                                           PayloadValidator validator) {
  if (!validator) throw std::invalid_argument("Store::Open needs a payload validator");
  auto impl = std::make_unique<Impl>();
  FC_ASSIGN_OR_RETURN(impl->db, Db::Open(db_path.string(), /*read_only=*/false));
  Db& db = *impl->db;
  // WAL + FULL: a commit is on disk (WAL fsync'd) before COMMIT returns.
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  // A larger page cache for big logs. Not mmap: an I/O error or a truncated file would
  // then be SIGBUS instead of an error message (promise 5).
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size=-131072"));
  FC_RETURN_IF_ERROR(Migrate(db));
  FC_RETURN_IF_ERROR(impl->Prepare());
  std::unique_ptr<Store> store(new Store(std::move(impl)));
  store->validator_ = std::move(validator);
  FC_ASSIGN_OR_RETURN(auto org, store->GetMeta("org_id"));
  if (org) {
    ByteReader r(*org);
    Id id;
    if (!r.Fixed(id, "org id").ok() || !r.End("org id").ok()) {
      return Status::Corruption("stored org id has the wrong length");
    }
    store->org_id_ = id;
  }
  return store;
}

Status Store::SetOrgId(const Id& org_id) {
  if (org_id_) {
    if (*org_id_ == org_id) return Status::Ok();
    return Status::NotPermitted("this store already belongs to another organisation");
  }
  FC_RETURN_IF_ERROR(PutMeta("org_id", org_id));
  org_id_ = org_id;
  return Status::Ok();
}

Status Store::PutMeta(std::string_view key, ByteView value) {
  FC_ASSIGN_OR_RETURN(Stmt s,
                      impl_->db->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"));
  s.BindText(1, key).Bind(2, value);
  return s.Run("writing node facts");
}

Status Store::DeleteMeta(std::string_view key) {
  FC_ASSIGN_OR_RETURN(Stmt s, impl_->db->Prepare("DELETE FROM meta WHERE key = ?1"));
  s.BindText(1, key);
  return s.Run("writing node facts");
}

Result<std::optional<Bytes>> Store::GetMeta(std::string_view key) {
  FC_ASSIGN_OR_RETURN(Stmt s, impl_->db->Prepare("SELECT value FROM meta WHERE key = ?1"));
  s.BindText(1, key);
  FC_ASSIGN_OR_RETURN(bool row, s.Step("reading node facts"));
  if (!row) return std::optional<Bytes>();
  ByteView v = s.Blob(0);
  return std::optional<Bytes>(Bytes(v.begin(), v.end()));
}

namespace {

// The one check of a payload against its signed header, however the payload arrives (with
// its header, or after it): length and hash (not again for a payload this process just
// hashed and signed), then for key and control payloads the organisation's strict rules.
// Rejected with the reason, or the provisional status the payload allows.
Result<EntryStatus> CheckPayload(const Header& h, ByteView payload,
                                 const PayloadValidator& validator, bool locally_signed) {
  if (!locally_signed) {
    if (payload.size() != h.payload_len)
      return Status::Rejected("payload length does not match header");
    if (PayloadHash(payload) != h.payload_hash)
      return Status::Rejected("payload hash does not match header");
  }
  if (h.kind != uint8_t(Kind::kKey) && h.kind != uint8_t(Kind::kControl))
    return EntryStatus::kAccepted;
  Status v = validator(h, payload);
  if (v.IsNeedsUpgrade()) return EntryStatus::kNeedsUpgrade;
  if (!v.ok()) return Status::Rejected(v.message());
  return EntryStatus::kAccepted;
}

// Checks one entry against the store and inserts it. Caller holds the transaction.
AppendResult AppendOne(Store::Impl& im, const std::optional<Id>& org_id,
                       const PayloadValidator& validator, const Entry& in, bool locally_signed,
                       int64_t now_ms) {
  AppendResult r;
  auto reject = [&](std::string why) {
    r.status = Status::Rejected(why);
    return r;
  };
  if (!org_id) return reject("store has no organisation yet");

  // Never trust the decoded struct of a foreign entry: the signed bytes are the entry.
  auto decoded = DecodeHeader(in.header_bytes);
  if (!decoded.ok()) return reject(decoded.status().message());
  const Header& h = *decoded;
  r.id = locally_signed ? in.id : EntryId(in.header_bytes, in.signature);

  im.find_id.Reset().Bind(1, r.id);
  auto found = im.find_id.Step("looking up entry");
  int64_t held_rowid = 0;
  bool payload_missing = false;
  if (found.ok() && *found) {
    held_rowid = im.find_id.Int(0);
    payload_missing = im.find_id.Int(1) != 0;
  }
  im.find_id.Reset();
  if (!found.ok()) {
    r.status = found.status();
    return r;
  }
  if (*found) {
    r.duplicate = true;
    // The header came first (header-only transfer); its payload arrives now. Same id,
    // same signed header: the payload must match its length and hash.
    if (payload_missing && in.payload) {
      // The same checks as a whole entry gets: a late payload is no way around them.
      auto checked = CheckPayload(h, *in.payload, validator, /*locally_signed=*/false);
      if (!checked.ok()) return reject(checked.status().message());
      im.insert_late_payload.Reset()
          .Bind(1, held_rowid)
          .BindStatic(2, r.id)
          .BindStatic(3, *in.payload);
      r.status = im.insert_late_payload.Run("storing a payload");
      r.late_payload = r.status.ok();
    }
    return r;
  }

  if (h.payload_len > kMaxPayloadBytes) return reject("payload larger than 16 MiB");
  if (h.seq == 0) return reject("seq must start at 1");
  if ((h.seq == 1) != IsZero(h.prev)) return reject("prev must be zero exactly when seq is 1");

  // The predecessor first: a gap is cheap to find and is re-offered later, so a hostile
  // out-of-order batch costs no hashing or signature checks.
  // Chain: prev must name a held entry of this author at seq-1 (on any branch), and hlc
  // must rise.
  if (h.seq > 1) {
    im.find_prev.Reset().Bind(1, h.prev);
    auto row = im.find_prev.Step("looking up predecessor");
    if (!row.ok()) {
      im.find_prev.Reset();
      r.status = row.status();
      return r;
    }
    if (!*row) {
      im.find_prev.Reset();
      r.status = Status::Gap("predecessor seq " + std::to_string(h.seq - 1) + " not held");
      return r;
    }
    PublicKey prev_author{};
    im.find_prev.BlobInto(0, prev_author);
    uint64_t prev_seq = uint64_t(im.find_prev.Int(1));
    uint64_t prev_hlc = uint64_t(im.find_prev.Int(2));
    im.find_prev.Reset();
    if (prev_author != h.author || prev_seq != h.seq - 1) {
      return reject("prev does not name this author's entry at seq - 1");
    }
    if (h.hlc <= prev_hlc) return reject("hlc does not increase along the author's chain");
  }

  std::optional<EntryStatus> payload_status;
  if (in.payload) {
    auto checked = CheckPayload(h, *in.payload, validator, locally_signed);
    if (!checked.ok()) return reject(checked.status().message());
    payload_status = *checked;
  }
  if (!locally_signed && !VerifyEntrySignature(*org_id, in.header_bytes, h.author, in.signature)) {
    return reject("bad signature");
  }
  // A second validly signed entry at a held (author, seq) is a fork: both are kept, the
  // later arrival as evidence (outside the (author, seq) unique index). Statuses, not
  // arrival order, decide what counts (sync/validity).
  im.find_author_seq.Reset().Bind(1, h.author).Bind(2, int64_t(h.seq));
  auto same_seq = im.find_author_seq.Step("looking up seq");
  im.find_author_seq.Reset();
  if (!same_seq.ok()) {
    r.status = same_seq.status();
    return r;
  }
  const bool evidence = *same_seq;
  if (evidence && locally_signed) {
    // This process just signed it: a second entry at a held (author, seq) would fork this
    // device's own chain and quarantine it on every node. Never store it.
    return reject("refusing to sign a second entry at seq " + std::to_string(h.seq) +
                  " of this device's own chain (the store may have been edited); run "
                  "`fieldcase verify`");
  }
  r.fork = evidence;
  {
    // Format constant: at most kMaxEvidencePerBranch entries per branch from a fork point
    // on. Seqs at or past fork point + bound are not stored, so every node drops the same
    // highest seqs whatever the arrival order within the fork.
    im.fork_point.Reset().Bind(1, h.author);
    auto fp = im.fork_point.Step("finding fork point");
    std::optional<uint64_t> fork_seq;
    if (fp.ok() && *fp && !im.fork_point.IsNull(0)) fork_seq = uint64_t(im.fork_point.Int(0));
    im.fork_point.Reset();
    if (evidence && (!fork_seq || h.seq < *fork_seq)) fork_seq = h.seq;
    if (fork_seq && h.seq >= *fork_seq + kMaxEvidencePerBranch) {
      r.dropped = true;
      return r;
    }
  }

  EntryStatus status = EntryStatus::kAccepted;
  if (!IsKnownKind(h.kind)) {
    status = EntryStatus::kNeedsUpgrade;
  } else if (h.kind == uint8_t(Kind::kKey) || h.kind == uint8_t(Kind::kControl)) {
    status = payload_status.value_or(EntryStatus::kPending);
  }

  auto& ins = im.insert_entry;
  ins.Reset()
      .BindStatic(1, r.id)
      .BindStatic(2, h.author)
      .Bind(3, int64_t(h.seq))
      .BindStatic(4, h.prev)
      .Bind(5, int64_t(h.kind))
      .BindStatic(6, h.case_id)
      .Bind(7, int64_t(h.hlc))
      .BindStatic(8, h.key_id)
      .BindStatic(9, in.header_bytes)
      .BindStatic(10, in.signature)
      .Bind(11, int64_t(status))
      .Bind(12, now_ms)
      .Bind(13, int64_t(evidence ? 1 : 0));
  if (Status s = ins.Run("storing entry"); !s.ok()) {
    r.status = s;
    return r;
  }
  if (in.payload) {
    im.insert_payload.Reset().BindStatic(1, r.id).BindStatic(2, *in.payload);
    if (Status s = im.insert_payload.Run("storing payload"); !s.ok()) {
      r.status = s;
      return r;
    }
  }
  im.drop_head.Reset().BindStatic(1, h.author).BindStatic(2, h.prev);
  if (Status s = im.drop_head.Run("updating heads"); !s.ok()) {
    r.status = s;
    return r;
  }
  im.add_head.Reset().BindStatic(1, h.author).BindStatic(2, r.id).Bind(3, int64_t(h.seq));
  if (Status s = im.add_head.Run("updating heads"); !s.ok()) r.status = s;
  return r;
}

bool IsStorageFailure(const Status& s) {
  return !s.ok() && s.code() != Status::Code::kRejected && s.code() != Status::Code::kGap;
}

}  // namespace

AppendResult Store::Append(const Entry& e, bool locally_signed, int64_t now_ms) {
  auto batch = AppendBatch({e}, locally_signed, now_ms);
  if (!batch.ok()) {
    AppendResult r;
    r.id = e.id;
    r.status = batch.status();
    return r;
  }
  return batch->front();
}

Result<std::vector<AppendResult>> Store::AppendBatch(const std::vector<Entry>& entries,
                                                     bool locally_signed, int64_t now_ms) {
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  std::vector<AppendResult> results;
  results.reserve(entries.size());
  for (const Entry& e : entries) {
    results.push_back(AppendOne(*impl_, org_id_, validator_, e, locally_signed, now_ms));
    // An I/O failure (disk full) aborts the whole batch: nothing of it is acknowledged.
    if (IsStorageFailure(results.back().status)) return results.back().status;
  }
  FC_RETURN_IF_ERROR(tx.Commit());
  return results;
}

AppendResult Store::AppendRaw(ByteView header, const Signature& signature,
                              std::optional<Bytes> payload, int64_t now_ms) {
  AppendResult r;
  if (header.empty() || header.size() > kMaxOpaqueHeaderBytes) {
    r.status =
        Status::Rejected("header length " + std::to_string(header.size()) + " out of bounds");
    return r;
  }
  if (payload && payload->size() > kMaxPayloadBytes) {
    r.status = Status::Rejected("payload larger than 16 MiB");
    return r;
  }
  if (header[0] == kVersion1) {
    if (header.size() != kHeaderV1Bytes) {
      r.status =
          Status::Rejected("v1 header must be 151 bytes, got " + std::to_string(header.size()));
      return r;
    }
    Entry e;
    std::memcpy(e.header_bytes.data(), header.data(), kHeaderV1Bytes);
    e.signature = signature;
    e.payload = std::move(payload);
    return Append(e, /*locally_signed=*/false, now_ms);
  }
  // A later version: its signature and chain cannot be checked here; keep and forward.
  r.id = EntryId(header, signature);
  auto q = impl_->db->Prepare(
      "INSERT OR IGNORE INTO opaque(id, header, signature, payload, received_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!q.ok()) {
    r.status = q.status();
    return r;
  }
  q->Bind(1, r.id).Bind(2, header).Bind(3, signature).Bind(5, now_ms);
  if (payload) q->Bind(4, *payload);
  r.status = q->Run("storing an entry of a newer version");
  return r;
}

Result<std::vector<AppendResult>> Store::AppendOpaqueBatch(
    const std::vector<const RawEntry*>& entries, int64_t now_ms) {
  std::vector<AppendResult> out(entries.size());
  if (entries.empty()) return out;
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare(
                                  "INSERT OR IGNORE INTO opaque(id, header, signature, payload, "
                                  "received_ms) VALUES(?1, ?2, ?3, ?4, ?5)"));
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = *entries[i];
    AppendResult& r = out[i];
    if (e.header.empty() || e.header.size() > kMaxOpaqueHeaderBytes || e.header[0] == kVersion1) {
      r.status = Status::Rejected("header length " + std::to_string(e.header.size()) +
                                  " out of bounds for an entry of another version");
      continue;
    }
    if (e.payload && e.payload->size() > kMaxPayloadBytes) {
      r.status = Status::Rejected("payload larger than 16 MiB");
      continue;
    }
    // A later version: its signature and chain cannot be checked here; keep and forward.
    r.id = EntryId(e.header, e.signature);
    q.Reset().Bind(1, r.id).Bind(2, e.header).Bind(3, e.signature).Bind(5, now_ms);
    if (e.payload) q.Bind(4, *e.payload);
    FC_RETURN_IF_ERROR(q.Run("storing an entry of a newer version"));
    r.duplicate = impl_->db->Changes() == 0;
  }
  FC_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Status Store::ForEachOpaque(const std::function<Status(RawEntry&)>& fn) {
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare("SELECT header, signature, payload FROM opaque "
                                                 "ORDER BY received_ms, id"));
  while (true) {
    FC_ASSIGN_OR_RETURN(bool row, q.Step("reading entries of newer versions"));
    if (!row) break;
    RawEntry e;
    ByteView h = q.Blob(0);
    e.header.assign(h.begin(), h.end());
    if (!q.BlobInto(1, e.signature)) {
      return Status::Corruption("an entry of a newer version is damaged; run `fieldcase verify`");
    }
    if (!q.IsNull(2)) {
      ByteView p = q.Blob(2);
      e.payload.emplace(p.begin(), p.end());
    }
    FC_RETURN_IF_ERROR(fn(e));
  }
  return Status::Ok();
}

Result<int64_t> Store::CountOpaque() {
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare("SELECT count(*) FROM opaque"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("counting entries"));
  return row ? q.Int(0) : 0;
}

Result<std::optional<Head>> Store::HeadOf(const PublicKey& author) {
  auto& q = impl_->head_of;
  q.Reset().Bind(1, author);
  auto row = q.Step("reading heads");
  if (!row.ok()) {
    q.Reset();
    return row.status();
  }
  std::optional<Head> head;
  if (*row) {
    head = Head{author, uint64_t(q.Int(0)), {}, uint64_t(q.Int(2))};
    q.BlobInto(1, head->id);
  }
  q.Reset();
  return head;
}

Result<std::vector<Head>> Store::Heads() {
  FC_ASSIGN_OR_RETURN(
      Stmt q, impl_->db->Prepare("SELECT h.author, h.seq, h.id, e.hlc FROM heads h JOIN entries e "
                                 "ON e.id = h.id ORDER BY h.author, h.seq, h.id"));
  std::vector<Head> heads;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool row, q.Step("reading heads"));
    if (!row) break;
    Head h;
    q.BlobInto(0, h.author);
    h.seq = uint64_t(q.Int(1));
    q.BlobInto(2, h.id);
    h.hlc = uint64_t(q.Int(3));
    heads.push_back(h);
  }
  return heads;
}

Result<std::optional<StoredEntry>> Store::Get(const Id& id) {
  std::optional<StoredEntry> found;
  EntryFilter all;
  FC_ASSIGN_OR_RETURN(
      Stmt q, impl_->db->Prepare("SELECT e.header, e.signature, e.status, e.received_ms, p.payload "
                                 "FROM entries e LEFT JOIN payloads p ON p.id = e.id "
                                 "WHERE e.id = ?1"));
  q.Bind(1, id);
  FC_ASSIGN_OR_RETURN(bool row, q.Step("reading entry"));
  if (!row) return found;
  StoredEntry se;
  if (!q.BlobInto(0, se.entry.header_bytes) || !q.BlobInto(1, se.entry.signature)) {
    return Status::Corruption("entry " + ToHex(id) + " has a damaged header or signature");
  }
  FC_ASSIGN_OR_RETURN(se.entry.header, DecodeHeader(se.entry.header_bytes));
  se.entry.id = id;
  se.status = EntryStatus(q.Int(2));
  se.received_ms = q.Int(3);
  if (!q.IsNull(4) && PayloadTrusted(se.entry.header, q.Blob(4))) {
    ByteView p = q.Blob(4);
    se.entry.payload = Bytes(p.begin(), p.end());
  }
  found = std::move(se);
  return found;
}

Status Store::ForEach(const EntryFilter& filter, const std::function<Status(StoredEntry&)>& fn) {
  std::string sql = filter.payloads
                        ? "SELECT e.id, e.header, e.signature, e.status, e.received_ms, " +
                              std::string(kPayloadColumn) + " FROM entries e LEFT JOIN " +
                              std::string(kPayloadJoin) + " WHERE 1"
                        : "SELECT e.id, e.header, e.signature, e.status, e.received_ms, NULL "
                          "FROM entries e WHERE 1";
  if (filter.case_id) sql += " AND e.case_id = ?1";
  if (filter.kind) sql += " AND e.kind = ?2";
  if (filter.author) sql += " AND e.author = ?3";
  sql += " ORDER BY e.rowid";
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare(sql));
  if (filter.case_id) q.Bind(1, *filter.case_id);
  if (filter.kind) q.Bind(2, int64_t(*filter.kind));
  if (filter.author) q.Bind(3, *filter.author);
  // One StoredEntry for every row, each field set again per row: a callback that copies
  // what it keeps lets the payload's buffer be reused; one that moves it out loses nothing.
  StoredEntry se;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool row, q.Step("reading entries"));
    if (!row) break;
    if (!q.BlobInto(0, se.entry.id) || !q.BlobInto(1, se.entry.header_bytes) ||
        !q.BlobInto(2, se.entry.signature)) {
      return Status::Corruption("an entry row is damaged; run `fieldcase verify`");
    }
    auto h = DecodeHeader(se.entry.header_bytes);
    if (!h.ok()) return h.status().Prefixed("entry " + ToHex(se.entry.id));
    se.entry.header = *h;
    se.status = EntryStatus(q.Int(3));
    se.received_ms = q.Int(4);
    if (q.IsNull(5) || !PayloadTrusted(se.entry.header, q.Blob(5))) {
      se.entry.payload.reset();
    } else {
      ByteView p = q.Blob(5);
      if (se.entry.payload) {
        se.entry.payload->assign(p.begin(), p.end());
      } else {
        se.entry.payload.emplace(p.begin(), p.end());
      }
    }
    FC_RETURN_IF_ERROR(fn(se));
  }
  return Status::Ok();
}

Result<int64_t> Store::CountEntries() {
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare("SELECT count(*) FROM entries"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("counting entries"));
  return row ? q.Int(0) : 0;
}

Status Store::SetStatuses(const std::vector<std::pair<Id, EntryStatus>>& statuses) {
  if (statuses.empty()) return Status::Ok();
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare("UPDATE entries SET status = ?2 WHERE id = ?1"));
  for (const auto& [id, st] : statuses) {
    q.Reset().Bind(1, id).Bind(2, int64_t(st));
    FC_RETURN_IF_ERROR(q.Run("updating statuses"));
  }
  return tx.Commit();
}

Result<int64_t> Store::DropOldestPending(int64_t keep) {
  FC_ASSIGN_OR_RETURN(Stmt count, impl_->db->Prepare(
                                      "SELECT (SELECT count(*) FROM entries WHERE status IN (2, 3)), "
                                      "(SELECT count(*) FROM opaque)"));
  FC_ASSIGN_OR_RETURN(bool row, count.Step("counting pending entries"));
  int64_t pending = row ? count.Int(0) + count.Int(1) : 0;
  const int64_t opaque = row ? count.Int(1) : 0;
  count.Reset();
  if (pending <= keep) return int64_t(0);
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  int64_t dropped = 0;
  // Entries this version cannot read at all go first, oldest first: no chain of this
  // version depends on them, and a peer that can read them re-offers them.
  if (opaque > 0) {
    const int64_t n = std::min(opaque, pending - keep);
    FC_ASSIGN_OR_RETURN(Stmt drop, impl_->db->Prepare(
                                       "DELETE FROM opaque WHERE id IN (SELECT id FROM opaque "
                                       "ORDER BY received_ms, id LIMIT ?1)"));
    FC_RETURN_IF_ERROR(drop.Bind(1, n).Run("dropping entries of newer versions"));
    dropped += n;
  }
  // Only chain tails go, oldest first, so no chain is left with a hole (verify would
  // report one as a removed entry); a dropped tail's parent becomes a head again.
  FC_ASSIGN_OR_RETURN(
      Stmt tails,
      impl_->db->Prepare(
          "SELECT e.rowid, e.id, e.author, e.prev FROM entries e JOIN heads h ON h.id = e.id "
          "WHERE e.status IN (2, 3) ORDER BY e.received_ms, e.rowid LIMIT ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del, impl_->db->Prepare("DELETE FROM entries WHERE rowid = ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del_payload,
                      impl_->db->Prepare("DELETE FROM payloads WHERE rowid = ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del_head, impl_->db->Prepare("DELETE FROM heads WHERE id = ?1"));
  FC_ASSIGN_OR_RETURN(
      Stmt parent, impl_->db->Prepare(
                       "SELECT p.author, p.id, p.seq FROM entries p WHERE p.id = ?1 AND NOT EXISTS "
                       "(SELECT 1 FROM entries c WHERE c.author = p.author AND c.prev = p.id)"));
  while (dropped < pending - keep) {
    struct Tail {
      int64_t rowid;
      Id id, prev;
    };
    std::vector<Tail> batch;
    tails.Reset().Bind(1, pending - keep - dropped);
    while (true) {
      FC_ASSIGN_OR_RETURN(bool more, tails.Step("finding pending tails"));
      if (!more) break;
      Tail t{tails.Int(0), {}, {}};
      tails.BlobInto(1, t.id);
      tails.BlobInto(3, t.prev);
      batch.push_back(t);
    }
    tails.Reset();
    if (batch.empty()) break;
    for (const Tail& t : batch) {
      FC_RETURN_IF_ERROR(del.Reset().Bind(1, t.rowid).Run("dropping a pending entry"));
      FC_RETURN_IF_ERROR(del_payload.Reset().Bind(1, t.rowid).Run("dropping its payload"));
      FC_RETURN_IF_ERROR(del_head.Reset().Bind(1, t.id).Run("updating heads"));
      if (IsZero(t.prev)) continue;
      parent.Reset().Bind(1, t.prev);
      FC_ASSIGN_OR_RETURN(bool has, parent.Step("finding the new head"));
      if (has) {
        PublicKey author{};
        Id id{};
        parent.BlobInto(0, author);
        parent.BlobInto(1, id);
        int64_t seq = parent.Int(2);
        parent.Reset();
        FC_RETURN_IF_ERROR(
            impl_->add_head.Reset().Bind(1, author).Bind(2, id).Bind(3, seq).Run("updating heads"));
      }
      parent.Reset();
      ++dropped;
    }
  }
  FC_RETURN_IF_ERROR(tx.Commit());
  return dropped;
}

Result<bool> Store::HasForkEvidence(const PublicKey& author) {
  // A fork is two rows at one (author, seq), whatever the evidence flag says: the flag is
  // only an index, and a flag set by hand on a lone row is no fork.
  FC_ASSIGN_OR_RETURN(
      Stmt q,
      impl_->db->Prepare("SELECT 1 FROM entries e WHERE e.author = ?1 AND e.evidence = 1 AND " +
                         std::string(kHasSibling) + " LIMIT 1"));
  q.Bind(1, author);
  return q.Step("looking for forks");
}

Result<std::vector<ForkSeq>> Store::Forks() {
  FC_ASSIGN_OR_RETURN(
      Stmt q,
      impl_->db->Prepare(
          "SELECT author, seq, count(*) FROM entries GROUP BY author, seq HAVING count(*) > 1 "
          "ORDER BY author, seq"));
  std::vector<ForkSeq> out;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool row, q.Step("finding forks"));
    if (!row) break;
    ForkSeq f;
    q.BlobInto(0, f.author);
    f.seq = uint64_t(q.Int(1));
    f.branches = q.Int(2);
    out.push_back(f);
  }
  return out;
}

Status Store::IntegrityCheck() {
  FC_ASSIGN_OR_RETURN(Stmt q, impl_->db->Prepare("PRAGMA integrity_check"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("checking database integrity"));
  std::string first = row ? std::string(AsChars(q.Blob(0))) : "no answer";
  if (first != "ok") return Status::Corruption("database integrity check failed: " + first);
  return Status::Ok();
}

Status Store::BackupTo(const std::filesystem::path& path) {
  FC_ASSIGN_OR_RETURN(auto dest, Db::Open(path.string(), false));
  sqlite3_backup* b = sqlite3_backup_init(dest->raw(), "main", impl_->db->raw(), "main");
  if (b == nullptr) return SqliteStatus(sqlite3_errcode(dest->raw()), dest->raw(), "backup");
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return SqliteStatus(rc, dest->raw(), "backup");
  return Status::Ok();
}

}  // namespace fieldcase::store
