#include "fieldcase/sync/ingest.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <set>
#include <stdexcept>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/sync/statuses.h"

namespace fieldcase::sync {

namespace {

void Reason(ImportReport& rep, std::string why) {
  if (rep.reasons.size() < kMaxImportReasons) rep.reasons.push_back(std::move(why));
}

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
      Reason(rep_, "entry " + ToHex(r.id) + ": " + r.status.message());
      return Status::Ok();
    }
    if (r.duplicate || r.dropped) {
      // A payload after its header counts here too: its author was marked stale when it
      // was offered, and what waited on the payload settles with the rest.
      ++rep_.duplicates;
      return Status::Ok();
    }
    ++rep_.added;
    if (h == nullptr) return Status::Ok();
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
};

}  // namespace

struct Ingester::State {
  State(store::Store& l, record::HybridClock& c, const std::set<PublicKey>& own, int64_t now)
      : log(l), clock(c), now_ms(now), own_keys(own), account(l, c, own_keys, now, rep) {}
  store::Store& log;
  record::HybridClock& clock;
  const int64_t now_ms;
  const std::set<PublicKey> own_keys;  // a copy: the caller's set may be a temporary
  ImportReport rep;
  Accountant account;
  int64_t last_before = 0;
  std::vector<store::Entry> gaps;  // waiting for a predecessor a later piece may bring
  size_t gap_bytes = 0;            // of `gaps`, headers and payloads: bounded
  size_t gaps_let_go = 0;          // beyond the bounds: counted, not kept
  size_t offered = 0;              // entries given to Add so far
  bool begun = false;

  // Stores `v1` (sorted here); what waits for a predecessor goes to `gaps`. Returns how
  // many were settled one way or another.
  Result<size_t> Append(std::vector<store::Entry>& v1, const std::function<void(size_t)>& stored) {
    auto by_chain = [](const store::Entry& x, const store::Entry& y) {
      return std::tie(x.header.author, x.header.seq) < std::tie(y.header.author, y.header.seq);
    };
    // Bundles and sessions send each chain parent first, author by author: usually sorted.
    if (!std::is_sorted(v1.begin(), v1.end(), by_chain)) {
      std::stable_sort(v1.begin(), v1.end(), by_chain);
    }
    FC_ASSIGN_OR_RETURN(auto results, log.AppendArriving(v1, kIngestTransaction, now_ms, stored));
    size_t done = 0;
    for (size_t i = 0; i < v1.size(); ++i) {
      if (results[i].status.IsGap()) {
        const size_t b = store::kHeaderV1Bytes + (v1[i].payload ? v1[i].payload->size() : 0);
        if (gaps.size() < kMaxHeldGaps && gap_bytes + b <= kMaxHeldGapBytes) {
          gaps.push_back(std::move(v1[i]));
          gap_bytes += b;
        } else {
          ++gaps_let_go;
        }
        continue;
      }
      ++done;
      FC_RETURN_IF_ERROR(account.Count(results[i], &v1[i].header));
    }
    return done;
  }
};

Ingester::Ingester(store::Store& log, record::HybridClock& clock,
                   const std::set<PublicKey>& own_keys, int64_t now_ms)
    : s_(std::make_unique<State>(log, clock, own_keys, now_ms)) {}

Ingester::~Ingester() = default;

Status Ingester::Begin() {
  // What an earlier cut ingest left marked stays in the mark: settled with what this one adds.
  // Every row stored from here on is one this ingest added (counted by status at the end).
  FC_ASSIGN_OR_RETURN(s_->last_before, s_->log.LastRowid());
  s_->begun = true;
  return Status::Ok();
}

Status Ingester::Add(std::vector<store::RawEntry> entries, const IngestProgress& progress,
                     size_t total) {
  if (!s_->begun) throw std::logic_error("Ingester::Add before Begin");
  State& st = *s_;
  ImportReport& rep = st.rep;
  std::vector<store::Entry> v1;
  v1.reserve(entries.size());
  std::vector<const store::RawEntry*> other;  // header versions this build cannot read
  for (auto& e : entries) {
    if (e.header.empty() || e.header[0] != store::kVersion1) {
      other.push_back(&e);
      continue;
    }
    auto h = store::DecodeHeader(e.header);
    if (!h.ok()) {
      ++rep.rejected;
      Reason(rep, h.status().message());
      continue;
    }
    store::Entry& x = v1.emplace_back();
    x.header = *h;
    std::memcpy(x.header_bytes.data(), e.header.data(), store::kHeaderV1Bytes);
    x.signature = e.signature;
    x.payload = std::move(e.payload);
  }
  // Marked before anything is stored, so a process killed before it settles settles these
  // authors at the next open.
  std::set<PublicKey> bringing;
  for (const auto& x : v1) bringing.insert(x.header.author);
  FC_RETURN_IF_ERROR(MarkStatusesStale(st.log, bringing));
  for (size_t at = 0; at < other.size(); at += kIngestBatch) {
    std::vector<const store::RawEntry*> chunk(
        other.begin() + long(at), other.begin() + long(std::min(other.size(), at + kIngestBatch)));
    FC_ASSIGN_OR_RETURN(auto results, st.log.AppendOpaqueBatch(chunk, st.now_ms));
    for (const auto& r : results) FC_RETURN_IF_ERROR(st.account.Count(r, nullptr));
  }
  // Progress counts entries offered so far (some may wait for a predecessor and be stored
  // at the end): it only rises.
  const size_t before = st.offered + (entries.size() - v1.size());
  st.offered += entries.size();
  auto stored = [&](size_t n) {
    if (progress) progress(total > 0 ? std::min(total, before + n) : before + n, total);
  };
  return st.Append(v1, stored).status();
}

Result<ImportReport> Ingester::Finish(bool settle) {
  if (!s_->begun) throw std::logic_error("Ingester::Finish before Begin");
  State& st = *s_;
  ImportReport& rep = st.rep;
  // Gaps are re-offered while a pass makes progress (a branch may wait on another).
  while (!st.gaps.empty()) {
    std::vector<store::Entry> again = std::move(st.gaps);
    st.gaps.clear();
    st.gap_bytes = 0;
    FC_ASSIGN_OR_RETURN(size_t done, st.Append(again, {}));
    if (done == 0) break;
  }
  rep.gaps = st.gaps.size() + st.gaps_let_go;
  if (rep.added > 0) {
    ByteWriter last;
    last.U64(st.clock.last());
    FC_RETURN_IF_ERROR(st.log.PutMeta("clock", last.Take()));
  }
  if (!settle) return rep;
  // The mark names what an earlier cut session left and every author this one brought,
  // each with the seq its chain was settled through before: settling it is the same step
  // an unlock takes after a cut session.
  FC_RETURN_IF_ERROR(RecomputeIfStale(st.log).status());
  FC_ASSIGN_OR_RETURN(auto counts, st.log.CountStatusesAfter(st.last_before));
  rep.pending = size_t(counts[store::EntryStatus::kPending]);
  rep.quarantined = size_t(counts[store::EntryStatus::kQuarantined]);
  rep.needs_upgrade = size_t(counts[store::EntryStatus::kNeedsUpgrade]);
  return rep;
}

Result<ImportReport> Ingest(store::Store& log, record::HybridClock& clock,
                            const std::set<PublicKey>& own_keys,
                            const std::vector<store::RawEntry>& entries, int64_t now_ms,
                            bool settle, const IngestProgress& progress) {
  Ingester in(log, clock, own_keys, now_ms);
  FC_RETURN_IF_ERROR(in.Begin());
  FC_RETURN_IF_ERROR(in.Add(entries, progress, entries.size()));
  return in.Finish(settle);
}

}  // namespace fieldcase::sync
