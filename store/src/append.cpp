// The append path: every entry, local or from elsewhere, passes the structural checks of
// DESIGN §4.1 here before it is inserted (docs/architecture.md, "The store").
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/store/store.h"
#include "signatures_ahead.h"
#include "store_impl.h"

namespace fieldcase::store {

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
  if (!HasPlainPayload(h.kind)) return EntryStatus::kAccepted;
  Status v = validator(h, payload);
  if (v.IsNeedsUpgrade()) return EntryStatus::kNeedsUpgrade;
  if (!v.ok()) return Status::Rejected(v.message());
  return EntryStatus::kAccepted;
}

// The heads a transaction's appends change, written once before it commits: a run of one
// chain replaces its author's head once, not once per entry (two statements an entry).
// The same set as writing each change at once: heads are (held ∪ added) minus every entry
// some appended entry names as prev.
class HeadChanges {
 public:
  void Appended(const Header& h, const Id& id) {
    if (h.seq > 1 && added_.erase({h.author, h.prev}) == 0) dropped_.push_back({h.author, h.prev});
    added_.emplace(std::make_pair(h.author, id), h.seq);
  }
  Status Write(Store::Impl& im) {
    for (const auto& [author, prev] : dropped_) {
      im.drop_head.Reset().BindStatic(1, author).BindStatic(2, prev);
      FC_RETURN_IF_ERROR(im.drop_head.Run("updating heads"));
    }
    for (const auto& [key, seq] : added_) {
      im.add_head.Reset().BindStatic(1, key.first).BindStatic(2, key.second).Bind(3, int64_t(seq));
      FC_RETURN_IF_ERROR(im.add_head.Run("updating heads"));
    }
    dropped_.clear();
    added_.clear();
    return Status::Ok();
  }

 private:
  std::map<std::pair<PublicKey, Id>, uint64_t> added_;  // (author, id) -> seq
  std::vector<std::pair<PublicKey, Id>> dropped_;       // held before this transaction
};

// Checks one entry against the store and inserts it. Caller holds the transaction and
// writes `heads` before it commits.
// `verified`: asked for this entry's signature verdict (checked elsewhere: on worker
// threads); empty: checked here.
AppendResult AppendOne(Store::Impl& im, const std::optional<Id>& org_id,
                       const PayloadValidator& validator, const Entry& in, bool locally_signed,
                       int64_t now_ms, HeadChanges& heads,
                       const std::function<bool()>& verified = {}) {
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
  // From the header alone, so a receipt whose payload has not arrived cannot sit in a case.
  if (h.kind == uint8_t(Kind::kReceipt) && (!IsZero(h.case_id) || !IsZero(h.key_id))) {
    return reject("receipt: case_id and key_id must be zero");
  }
  if ((h.seq == 1) != IsZero(h.prev)) return reject("prev must be zero exactly when seq is 1");

  // The predecessor first: a gap is cheap to find and is re-offered later, so a hostile
  // out-of-order batch costs the writer no signature checks (workers may have checked
  // ahead: their time, bounded by the bytes that arrived).
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
  if (!locally_signed &&
      !(verified ? verified()
                 : VerifyEntrySignature(*org_id, in.header_bytes, h.author, in.signature))) {
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
  } else if (HasPlainPayload(h.kind)) {
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
  heads.Appended(h, r.id);
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
  // Foreign entries take the one path that checks signatures (ahead, on workers).
  if (!locally_signed) return AppendArriving(entries, std::max<size_t>(1, entries.size()), now_ms);
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  std::vector<AppendResult> results;
  results.reserve(entries.size());
  HeadChanges heads;
  for (const Entry& e : entries) {
    results.push_back(AppendOne(*impl_, org_id_, validator_, e, /*locally_signed=*/true, now_ms,
                                heads));
    // An I/O failure (disk full) aborts the whole batch: nothing of it is acknowledged.
    if (IsStorageFailure(results.back().status)) return results.back().status;
  }
  FC_RETURN_IF_ERROR(heads.Write(*impl_));
  FC_RETURN_IF_ERROR(tx.Commit());
  return results;
}

Result<std::vector<AppendResult>> Store::AppendArriving(const std::vector<Entry>& entries,
                                                        size_t per_transaction, int64_t now_ms,
                                                        const std::function<void(size_t)>& stored) {
  if (per_transaction == 0) throw std::invalid_argument("AppendArriving: per_transaction is 0");
  std::vector<AppendResult> results;
  results.reserve(entries.size());
  SignaturesAhead ahead(org_id_.value_or(Id{}), entries);
  HeadChanges heads;
  for (size_t at = 0; at < entries.size(); at += per_transaction) {
    const size_t end = std::min(entries.size(), at + per_transaction);
    Transaction tx(*impl_->db);
    FC_RETURN_IF_ERROR(tx.Begin());
    for (size_t i = at; i < end; ++i) {
      results.push_back(AppendOne(*impl_, org_id_, validator_, entries[i],
                                  /*locally_signed=*/false, now_ms, heads,
                                  [&ahead, i] { return ahead.Verified(i); }));
      // An I/O failure (disk full) aborts this transaction; the ones before it stand.
      if (IsStorageFailure(results.back().status)) return results.back().status;
    }
    FC_RETURN_IF_ERROR(heads.Write(*impl_));
    FC_RETURN_IF_ERROR(tx.Commit());
    if (stored) stored(end);
  }
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
  // A later version: the one path for those (bounds, the byte bound, duplicates).
  RawEntry raw{Bytes(header.begin(), header.end()), signature, std::move(payload)};
  auto results = AppendOpaqueBatch({&raw}, now_ms);
  if (!results.ok()) {
    r.status = results.status();
    return r;
  }
  return results->front();
}

Result<std::vector<AppendResult>> Store::AppendOpaqueBatch(
    const std::vector<const RawEntry*>& entries, int64_t now_ms) {
  std::vector<AppendResult> out(entries.size());
  if (entries.empty()) return out;
  FC_ASSIGN_OR_RETURN(
      Stmt q, impl_->db->Prepare("INSERT OR IGNORE INTO opaque(id, header, signature, payload, "
                                 "received_ms) VALUES(?1, ?2, ?3, ?4, ?5)"));
  FC_ASSIGN_OR_RETURN(Stmt held_q,
                      impl_->db->Prepare("SELECT COALESCE(SUM(length(header) + length(signature) "
                                         "+ COALESCE(length(payload), 0)), 0) FROM opaque"));
  FC_ASSIGN_OR_RETURN(Stmt has_q, impl_->db->Prepare("SELECT 1 FROM opaque WHERE id = ?1"));
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  FC_ASSIGN_OR_RETURN(bool summed, held_q.Step("counting entries of newer versions"));
  uint64_t held = summed ? uint64_t(held_q.Int(0)) : 0;
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
    // A later version: its signature and chain cannot be checked here; keep and forward,
    // within kMaxOpaqueBytes (every session sends them all).
    r.id = EntryId(e.header, e.signature);
    const uint64_t bytes = e.header.size() + kSignatureBytes + (e.payload ? e.payload->size() : 0);
    if (held + bytes > kMaxOpaqueBytes) {
      has_q.Reset().Bind(1, r.id);
      FC_ASSIGN_OR_RETURN(bool has, has_q.Step("reading entries of newer versions"));
      (has ? r.duplicate : r.dropped) = true;
      continue;
    }
    q.Reset().Bind(1, r.id).Bind(2, e.header).Bind(3, e.signature).Bind(5, now_ms);
    if (e.payload) q.Bind(4, *e.payload);
    FC_RETURN_IF_ERROR(q.Run("storing an entry of a newer version"));
    r.duplicate = impl_->db->Changes() == 0;
    if (!r.duplicate) held += bytes;
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

}  // namespace fieldcase::store
