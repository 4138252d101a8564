#include "fieldcase/sync/ingest.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <set>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/sync/statuses.h"

namespace fieldcase::sync {

namespace {

class Accountant {
 public:
  Accountant(store::Store& log, record::HybridClock& clock, const std::set<PublicKey>& own,
             int64_t now_ms, ImportReport& rep)
      : log_(log), clock_(clock), own_(own), now_ms_(now_ms), rep_(rep) {}

  // author is null for an opaque entry (no header this version can read).
  Status Count(const store::AppendResult& r, const store::Header* h) {
    if (!r.status.ok() && !r.status.IsRejected()) return r.status;
    if (!r.status.ok()) {
      ++rep_.rejected;
      rep_.reasons.push_back("entry " + ToHex(r.id) + ": " + r.status.message());
      return Status::Ok();
    }
    if (r.duplicate || r.dropped) {
      ++rep_.duplicates;
      // A payload after its header: what waited on it may count now.
      if (r.late_payload && h != nullptr) added_authors_.insert(h->author);
      return Status::Ok();
    }
    ++rep_.added;
    if (h == nullptr) return Status::Ok();
    added_authors_.insert(h->author);
    // DESIGN §6: on receipt the clock rises to at most min(received, wall + 5 min).
    clock_.Observe(h->hlc, uint64_t(now_ms_));
    if (!own_.count(h->author)) return Status::Ok();
    // Someone else holds entries of this device's key that it did not know: a restored
    // backup or a clone. Writing on would fork the chain.
    return log_.PutMeta("halted",
                        AsBytes("this device's key has entries it did not write here (seq " +
                                std::to_string(h->seq) +
                                "): it was restored or cloned. Writing is stopped; ask an "
                                "administrator for a successor enrolment"));
  }

 private:
  store::Store& log_;
  record::HybridClock& clock_;
  const std::set<PublicKey>& own_;
  int64_t now_ms_;
  ImportReport& rep_;

 public:
  std::set<PublicKey> added_authors_;
};

}  // namespace

Result<ImportReport> Ingest(store::Store& log, record::HybridClock& clock,
                            const std::set<PublicKey>& own_keys,
                            const std::vector<store::RawEntry>& entries, int64_t now_ms,
                            bool settle, const IngestProgress& progress) {
  ImportReport rep;
  Accountant account(log, clock, own_keys, now_ms, rep);
  std::vector<store::Entry> v1;
  std::vector<const store::RawEntry*> other;  // header versions this build cannot read
  for (const auto& e : entries) {
    if (e.header.empty() || e.header[0] != store::kVersion1) {
      other.push_back(&e);
      continue;
    }
    auto h = store::DecodeHeader(e.header);
    if (!h.ok()) {
      ++rep.rejected;
      rep.reasons.push_back(h.status().message());
      continue;
    }
    store::Entry x;
    x.header = *h;
    std::memcpy(x.header_bytes.data(), e.header.data(), store::kHeaderV1Bytes);
    x.signature = e.signature;
    x.payload = e.payload;
    v1.push_back(std::move(x));
  }
  // Marked before anything is stored, so a process killed before it settles settles these
  // authors at the next open.
  FC_ASSIGN_OR_RETURN(StaleMark before, ReadStaleMark(log));
  // Every row stored from here on is one this ingest added (counted by status at the end).
  FC_ASSIGN_OR_RETURN(const int64_t last_before, log.LastRowid());
  std::set<PublicKey> bringing;
  for (const auto& x : v1) bringing.insert(x.header.author);
  FC_RETURN_IF_ERROR(MarkStatusesStale(log, bringing));
  for (size_t at = 0; at < other.size(); at += kIngestBatch) {
    std::vector<const store::RawEntry*> chunk(
        other.begin() + long(at), other.begin() + long(std::min(other.size(), at + kIngestBatch)));
    FC_ASSIGN_OR_RETURN(auto results, log.AppendOpaqueBatch(chunk, now_ms));
    for (const auto& r : results) FC_RETURN_IF_ERROR(account.Count(r, nullptr));
  }
  std::stable_sort(v1.begin(), v1.end(), [](const store::Entry& x, const store::Entry& y) {
    return std::tie(x.header.author, x.header.seq) < std::tie(y.header.author, y.header.seq);
  });
  // Gaps are re-offered while a pass makes progress (a branch may wait on another).
  while (!v1.empty()) {
    const size_t handled = rep.added + rep.duplicates + rep.rejected;
    auto stored = [&](size_t n) {
      if (progress) progress(std::min(entries.size(), handled + n), entries.size());
    };
    FC_ASSIGN_OR_RETURN(auto results, log.AppendArriving(v1, kIngestTransaction, now_ms, stored));
    std::vector<store::Entry> again;
    for (size_t i = 0; i < v1.size(); ++i) {
      if (results[i].status.IsGap()) {
        again.push_back(std::move(v1[i]));
        continue;
      }
      FC_RETURN_IF_ERROR(account.Count(results[i], &v1[i].header));
    }
    if (again.size() == v1.size()) {
      rep.gaps = again.size();
      break;
    }
    v1 = std::move(again);
  }
  if (rep.added > 0) {
    ByteWriter last;
    last.U64(clock.last());
    FC_RETURN_IF_ERROR(log.PutMeta("clock", last.Take()));
  }
  if (!settle) return rep;
  if (before.everything) {
    FC_RETURN_IF_ERROR(RecomputeStatuses(log).status());
  } else {
    // What an earlier cut session left, and what this one added (not all it was offered).
    std::set<PublicKey> settle_authors = std::move(before.authors);
    settle_authors.insert(account.added_authors_.begin(), account.added_authors_.end());
    FC_RETURN_IF_ERROR(SettleStatuses(log, settle_authors).status());
  }
  FC_ASSIGN_OR_RETURN(auto counts, log.CountStatusesAfter(last_before));
  rep.pending = size_t(counts[store::EntryStatus::kPending]);
  rep.quarantined = size_t(counts[store::EntryStatus::kQuarantined]);
  rep.needs_upgrade = size_t(counts[store::EntryStatus::kNeedsUpgrade]);
  return rep;
}

}  // namespace fieldcase::sync
