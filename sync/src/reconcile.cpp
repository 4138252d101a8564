#include "fieldcase/sync/reconcile.h"

#include <algorithm>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/transit.h"

namespace fieldcase::sync {

namespace {

// A backwards search through 16 million entries at most, per phase.
constexpr size_t kMaxProbesPerPhase = 65536;

Status OutOfStep(const std::string& what) {
  return Status::Corruption("the peer is out of step (" + what + "); the session ends");
}

// The lowest forked seq of each author: a side holding two branches sends from below it.
Result<std::map<PublicKey, uint64_t>> LowestForks(store::Store& log) {
  FC_ASSIGN_OR_RETURN(auto forks, log.Forks());
  std::map<PublicKey, uint64_t> out;
  for (const auto& f : forks) {
    auto [it, fresh] = out.emplace(f.author, f.seq);
    if (!fresh) it->second = std::min(it->second, f.seq);
  }
  return out;
}

uint64_t BelowFork(const std::map<PublicKey, uint64_t>& forks, const PublicKey& author,
                   uint64_t after) {
  auto it = forks.find(author);
  return it == forks.end() ? after : std::min(after, it->second - 1);
}

store::RawEntry ToRaw(store::StoredEntry& se) {
  store::RawEntry r;
  r.header.assign(se.entry.header_bytes.begin(), se.entry.header_bytes.end());
  r.signature = se.entry.signature;
  r.payload = std::move(se.entry.payload);
  return r;
}

size_t RawBytes(const store::RawEntry& e) {
  return e.header.size() + e.signature.size() + (e.payload ? e.payload->size() : 0);
}

void AddReport(ImportReport& sum, ImportReport&& part) {
  sum.added += part.added;
  sum.duplicates += part.duplicates;
  sum.rejected += part.rejected;
  sum.gaps += part.gaps;
  sum.pending += part.pending;
  sum.quarantined += part.quarantined;
  sum.needs_upgrade += part.needs_upgrade;
  for (auto& r : part.reasons) {
    if (sum.reasons.size() < kMaxImportReasons) sum.reasons.push_back(std::move(r));
  }
}

}  // namespace

// ---- messages ---------------------------------------------------------------------------

Bytes EncodeMessage(const Message& m) {
  ByteWriter w;
  w.U8(uint8_t(m.type));
  w.U8(uint8_t(m.phase));
  switch (m.type) {
    case Message::Type::kDigest:
      w.Fixed(m.digest);
      if (m.phase == Phase::kOrgLog) w.Fixed(m.all_digest);
      break;
    case Message::Type::kHeads:
      w.U8(m.last ? 1 : 0);
      w.U32(uint32_t(m.heads.size()));
      for (const auto& h : m.heads) {
        w.Fixed(h.author);
        w.U64(h.seq);
        w.Fixed(h.id);
      }
      break;
    case Message::Type::kProbe:
      w.Fixed(m.author);
      w.U32(uint32_t(m.ids.size()));
      for (const auto& [seq, id] : m.ids) {
        w.U64(seq);
        w.Fixed(id);
      }
      break;
    case Message::Type::kKnown:
      w.Fixed(m.author);
      w.U64(m.seq);
      w.U8(m.found ? 1 : 0);
      break;
    case Message::Type::kEntries:
      PutTransitBatch(w, m.entries);
      break;
    case Message::Type::kDone:
      break;
  }
  return w.Take();
}

Result<Message> DecodeMessage(ByteView bytes) {
  ByteReader r(bytes);
  Message m;
  uint8_t type = 0, phase = 0;
  FC_RETURN_IF_ERROR(r.U8(type, "message type"));
  FC_RETURN_IF_ERROR(r.U8(phase, "phase"));
  if (type < 1 || type > 6) return Status::Corruption("unknown message type " + std::to_string(type));
  if (phase < 1 || phase > 3) return Status::Corruption("unknown phase " + std::to_string(phase));
  m.type = Message::Type(type);
  m.phase = Phase(phase);
  switch (m.type) {
    case Message::Type::kDigest:
      FC_RETURN_IF_ERROR(r.Fixed(m.digest, "digest"));
      if (m.phase == Phase::kOrgLog) FC_RETURN_IF_ERROR(r.Fixed(m.all_digest, "digest"));
      break;
    case Message::Type::kHeads: {
      uint8_t last = 0;
      uint32_t n = 0;
      FC_RETURN_IF_ERROR(r.U8(last, "last"));
      if (last > 1) return Status::Corruption("heads: last must be 0 or 1");
      m.last = last == 1;
      FC_RETURN_IF_ERROR(r.U32(n, "head count"));
      FC_RETURN_IF_ERROR(r.Bound(n, kMaxHeadsPerMessage, 72, "heads"));
      m.heads.resize(n);
      for (auto& h : m.heads) {
        FC_RETURN_IF_ERROR(r.Fixed(h.author, "author"));
        FC_RETURN_IF_ERROR(r.U64(h.seq, "seq"));
        FC_RETURN_IF_ERROR(r.Fixed(h.id, "id"));
      }
      break;
    }
    case Message::Type::kProbe: {
      uint32_t n = 0;
      FC_RETURN_IF_ERROR(r.Fixed(m.author, "author"));
      FC_RETURN_IF_ERROR(r.U32(n, "probe count"));
      if (n == 0) return Status::Corruption("an empty probe");
      FC_RETURN_IF_ERROR(r.Bound(n, kMaxProbeIds, 40, "probe"));
      m.ids.resize(n);
      for (auto& [seq, id] : m.ids) {
        FC_RETURN_IF_ERROR(r.U64(seq, "seq"));
        FC_RETURN_IF_ERROR(r.Fixed(id, "id"));
      }
      for (size_t i = 1; i < m.ids.size(); ++i) {
        if (m.ids[i].first > m.ids[i - 1].first) return Status::Corruption("probe seqs must fall");
      }
      break;
    }
    case Message::Type::kKnown: {
      uint8_t found = 0;
      FC_RETURN_IF_ERROR(r.Fixed(m.author, "author"));
      FC_RETURN_IF_ERROR(r.U64(m.seq, "seq"));
      FC_RETURN_IF_ERROR(r.U8(found, "found"));
      if (found > 1) return Status::Corruption("known: found must be 0 or 1");
      m.found = found == 1;
      break;
    }
    case Message::Type::kEntries: {
      FC_ASSIGN_OR_RETURN(m.entries, GetTransitBatch(r, kMaxBatchEntries));
      break;
    }
    case Message::Type::kDone:
      break;
  }
  FC_RETURN_IF_ERROR(r.End("message"));
  return m;
}

// ---- planning ---------------------------------------------------------------------------

Result<std::vector<SendPlan>> PlanSend(store::Store& log, const std::vector<store::Head>& mine,
                                       const std::vector<store::Head>& theirs) {
  std::map<PublicKey, std::vector<const store::Head*>> my_heads, their_heads;
  for (const auto& h : mine) my_heads[h.author].push_back(&h);
  for (const auto& h : theirs) their_heads[h.author].push_back(&h);
  FC_ASSIGN_OR_RETURN(auto forks, LowestForks(log));
  std::vector<SendPlan> plans;
  for (const auto& [author, heads] : my_heads) {
    uint64_t my_top = 0;
    for (const auto* h : heads) my_top = std::max(my_top, h->seq);
    auto t = their_heads.find(author);
    if (t == their_heads.end()) {
      plans.push_back({author, 0, std::nullopt});
      continue;
    }
    std::optional<uint64_t> held_min, probe_from;
    for (const auto* h : t->second) {
      FC_ASSIGN_OR_RETURN(bool held, log.Contains(h->id));
      if (held) {
        held_min = std::min(held_min.value_or(h->seq), h->seq);
        continue;
      }
      // Their head sits at a seq held here with another id: the chains part somewhere
      // below. Otherwise they are ahead on this chain and will send.
      FC_ASSIGN_OR_RETURN(auto at, log.IdsDown(author, h->seq, 1));
      if (!at.empty() && at.front().first == h->seq) {
        probe_from = std::max(probe_from.value_or(h->seq), h->seq);
      }
    }
    if (probe_from) {
      plans.push_back({author, 0, probe_from});
    } else if (held_min) {
      const uint64_t after = BelowFork(forks, author, *held_min);
      if (my_top > after || heads.size() > 1) plans.push_back({author, after, std::nullopt});
    }
  }
  return plans;
}

Status ReadChain(store::Store& log, ChainCursor& cursor, size_t max_entries, size_t max_bytes,
                 std::vector<store::RawEntry>& out) {
  if (cursor.done || max_entries == 0) return Status::Ok();
  store::EntryFilter f;
  f.author = cursor.author;
  f.after_seq = cursor.after_seq;
  f.after_row = cursor.after_row;
  f.limit = max_entries + 1;
  size_t kept = 0, bytes = 0;
  bool more = false;
  // At most max_entries + 1 rows: the one past the limit says whether more is left.
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    if (more) return Status::Ok();
    const size_t b = se.entry.header_bytes.size() + se.entry.signature.size() +
                     (se.entry.payload ? se.entry.payload->size() : 0);
    if (kept == max_entries || (kept > 0 && bytes + b > max_bytes)) {
      more = true;
      return Status::Ok();
    }
    store::RawEntry r = ToRaw(se);
    bytes += b;
    ++kept;
    cursor.after_seq = se.entry.header.seq;
    cursor.after_row = se.row;
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  cursor.done = !more;
  return Status::Ok();
}

// ---- the session ------------------------------------------------------------------------

Reconciler::Reconciler(Local local, ReconcileLimits limits)
    : local_(std::move(local)), limits_(limits) {
  limits_.batch_entries = std::clamp<size_t>(limits_.batch_entries, 1, kMaxBatchEntries);
}

Status Reconciler::Start() {
  if (started_) return Status::Ok();
  started_ = true;
  return StartPhase(Phase::kOrgLog);
}

Status Reconciler::StartPhase(Phase phase) {
  phase_ = phase;
  mine_.clear();
  theirs_.clear();
  chains_.clear();
  probing_.clear();
  answered_.clear();
  probes_answered_ = 0;
  have_peer_digest_ = have_peer_heads_ = false;
  sent_done_ = received_done_ = false;
  FC_ASSIGN_OR_RETURN(auto heads, local_.log->Heads());
  nothing_new_ = false;
  if (phase == Phase::kOrgLog) {
    my_all_digest_ = HeadsDigest(heads);
    const auto authors = local_.org_authors();
    const std::set<PublicKey> org(authors.begin(), authors.end());
    for (auto& h : heads) {
      if (org.count(h.author)) mine_.push_back(h);
    }
  } else if (phase == Phase::kReceipts) {
    const auto authors = local_.receipt_authors ? local_.receipt_authors() : std::vector<PublicKey>{};
    const std::set<PublicKey> hubs(authors.begin(), authors.end());
    for (auto& h : heads) {
      if (hubs.count(h.author)) mine_.push_back(h);
    }
  } else {
    mine_ = std::move(heads);
  }
  my_digest_ = HeadsDigest(mine_);
  Message m;
  m.type = Message::Type::kDigest;
  m.phase = phase_;
  m.digest = my_digest_;
  m.all_digest = my_all_digest_;
  control_.push_back(std::move(m));
  return Status::Ok();
}

Status Reconciler::Queue(const SendPlan& plan) {
  if (plan.probe_from) {
    Message m;
    m.type = Message::Type::kProbe;
    m.phase = phase_;
    m.author = plan.author;
    FC_ASSIGN_OR_RETURN(m.ids, local_.log->IdsDown(plan.author, *plan.probe_from, kMaxProbeIds));
    if (!m.ids.empty()) {
      probing_[plan.author] = {m.ids.back().first, m.ids.front().first};
      control_.push_back(std::move(m));
      return Status::Ok();
    }
  }
  FC_ASSIGN_OR_RETURN(auto forks, LowestForks(*local_.log));
  const uint64_t after = BelowFork(forks, plan.author, plan.after_seq);
  // One cursor per author: a second plan for it only lowers where a queued one starts.
  for (auto& c : chains_) {
    if (c.author == plan.author && c.after_row == INT64_MAX) {
      c.after_seq = std::min(c.after_seq, after);
      return Status::Ok();
    }
  }
  chains_.push_back({plan.author, after, INT64_MAX, false});
  return Status::Ok();
}

Status Reconciler::Plan() {
  FC_ASSIGN_OR_RETURN(auto plans, PlanSend(*local_.log, mine_, theirs_));
  for (const auto& p : plans) {
    if (p.probe_from) {
      FC_RETURN_IF_ERROR(Queue(p));
    } else {
      chains_.push_back({p.author, p.after_seq, INT64_MAX, false});  // already below forks
    }
  }
  if (phase_ == Phase::kAll) {
    // Entries of header versions this build cannot read travel on (bounded by the pending
    // bound); duplicates are no-ops at the other end.
    std::vector<store::RawEntry> opaque;
    FC_RETURN_IF_ERROR(local_.log->ForEachOpaque([&](store::RawEntry& e) {
      opaque.push_back(std::move(e));
      return Status::Ok();
    }));
    for (size_t at = 0; at < opaque.size();) {
      Message m;
      m.type = Message::Type::kEntries;
      m.phase = phase_;
      size_t bytes = 0;
      while (at < opaque.size() && m.entries.size() < limits_.batch_entries &&
             (m.entries.empty() || bytes + RawBytes(opaque[at]) <= limits_.batch_bytes)) {
        bytes += RawBytes(opaque[at]);
        m.entries.push_back(std::move(opaque[at++]));
      }
      totals_.entries_sent += m.entries.size();
      control_.push_back(std::move(m));
    }
  }
  return Status::Ok();
}

bool Reconciler::Quiet() const {
  return have_peer_digest_ && have_peer_heads_ && control_.empty() &&
         chains_.empty() && probing_.empty();
}

Status Reconciler::StoreArrived() {
  if (arrived_.empty()) return Status::Ok();
  FC_ASSIGN_OR_RETURN(auto rep, local_.ingest(arrived_, arrived_ms_));
  AddReport(totals_.imported, std::move(rep));
  arrived_.clear();
  arrived_bytes_ = 0;
  return Status::Ok();
}

Status Reconciler::MaybeFinishPhase() {
  if (!(sent_done_ && received_done_ && Quiet())) return Status::Ok();
  FC_RETURN_IF_ERROR(StoreArrived());
  if (local_.phase_done) FC_RETURN_IF_ERROR(local_.phase_done(phase_));
  if (phase_ == Phase::kOrgLog && !nothing_new_) return StartPhase(Phase::kAll);
  if (phase_ == Phase::kAll) return StartPhase(Phase::kReceipts);
  finished_ = true;
  return Status::Ok();
}

Status Reconciler::Receive(const Message& m, int64_t now_ms) {
  if (!started_ || finished_) return OutOfStep("a message after the session ended");
  if (m.phase != phase_) return OutOfStep("a message of another phase");
  ++totals_.messages_received;
  received_done_ = m.type == Message::Type::kDone;
  switch (m.type) {
    case Message::Type::kDigest:
      if (have_peer_digest_) return OutOfStep("a second digest");
      have_peer_digest_ = true;
      if (m.digest == my_digest_) {
        have_peer_heads_ = true;  // the same heads: nothing to plan
        nothing_new_ = phase_ == Phase::kOrgLog && m.all_digest == my_all_digest_;
        break;
      }
      // Send every head, in chunks; an empty set still says "last".
      for (size_t at = 0; at == 0 || at < mine_.size(); at += kMaxHeadsPerMessage) {
        Message h;
        h.type = Message::Type::kHeads;
        h.phase = phase_;
        const size_t end = std::min(mine_.size(), at + kMaxHeadsPerMessage);
        h.heads.assign(mine_.begin() + long(at), mine_.begin() + long(end));
        h.last = end == mine_.size();
        control_.push_back(std::move(h));
      }
      break;
    case Message::Type::kHeads:
      if (!have_peer_digest_ || have_peer_heads_) return OutOfStep("heads out of turn");
      if (theirs_.size() + m.heads.size() > kMaxHeads) return OutOfStep("too many heads");
      theirs_.insert(theirs_.end(), m.heads.begin(), m.heads.end());
      if (m.last) {
        have_peer_heads_ = true;
        FC_RETURN_IF_ERROR(Plan());
      }
      break;
    case Message::Type::kProbe: {
      // Only after heads were exchanged, and once per author per phase: a probe answered
      // with a whole chain is no way to make this side send its history again and again.
      if (!have_peer_heads_ || m.ids.empty() || !answered_.insert(m.author).second ||
          ++probes_answered_ > kMaxProbesPerPhase) {
        return OutOfStep("a probe out of turn");
      }
      Message k;
      k.type = Message::Type::kKnown;
      k.phase = phase_;
      k.author = m.author;
      for (const auto& [seq, id] : m.ids) {
        FC_ASSIGN_OR_RETURN(bool held, local_.log->Contains(id));
        if (held) {
          k.seq = seq;
          k.found = true;
          break;
        }
      }
      if (!k.found && m.ids.back().first <= 1) k.found = true;  // parted at seq 1: all of it
      if (!k.found) {
        k.seq = m.ids.back().first;
        answered_.erase(m.author);  // the prober asks lower next
      }
      control_.push_back(k);
      if (k.found) FC_RETURN_IF_ERROR(Queue({m.author, k.seq, std::nullopt}));
      break;
    }
    case Message::Type::kKnown: {
      auto it = probing_.find(m.author);
      if (it == probing_.end()) return OutOfStep("an answer to no probe");
      const auto [low, high] = it->second;
      // The answer names a seq that was asked about (or 0: all of it); "not found" names the
      // lowest asked, so the next probe starts below it.
      if (m.found ? (m.seq != 0 && (m.seq < low || m.seq > high)) : m.seq != low) {
        return OutOfStep("an answer about seqs that were not asked");
      }
      probing_.erase(it);
      if (m.found || m.seq <= 1) {
        FC_RETURN_IF_ERROR(Queue({m.author, m.found ? m.seq : 0, std::nullopt}));
      } else {
        FC_RETURN_IF_ERROR(Queue({m.author, 0, m.seq - 1}));  // the next ids down
      }
      break;
    }
    case Message::Type::kEntries: {
      totals_.entries_received += m.entries.size();
      for (const auto& e : m.entries) {
        arrived_bytes_ += RawBytes(e);
        arrived_.push_back(e);
      }
      arrived_ms_ = now_ms;
      if (arrived_.size() >= limits_.store_entries || arrived_bytes_ >= limits_.store_bytes) {
        FC_RETURN_IF_ERROR(StoreArrived());
      }
      break;
    }
    case Message::Type::kDone:
      return MaybeFinishPhase();
  }
  return Status::Ok();
}

Result<std::optional<Message>> Reconciler::Next() {
  if (!started_ || finished_) return std::optional<Message>();
  if (!control_.empty()) {
    Message m = std::move(control_.front());
    control_.pop_front();
    sent_done_ = false;
    ++totals_.messages_sent;
    return std::optional<Message>(std::move(m));
  }
  if (!chains_.empty()) {
    Message m;
    m.type = Message::Type::kEntries;
    m.phase = phase_;
    size_t bytes = 0;
    while (!chains_.empty() && m.entries.size() < limits_.batch_entries &&
           bytes < limits_.batch_bytes) {
      const size_t before = m.entries.size();
      FC_RETURN_IF_ERROR(ReadChain(*local_.log, chains_.front(),
                                   limits_.batch_entries - m.entries.size(),
                                   limits_.batch_bytes - bytes, m.entries));
      for (size_t i = before; i < m.entries.size(); ++i) bytes += RawBytes(m.entries[i]);
      if (!chains_.front().done) break;  // this batch is full
      chains_.pop_front();
    }
    if (!m.entries.empty()) {
      sent_done_ = false;
      ++totals_.messages_sent;
      totals_.entries_sent += m.entries.size();
      return std::optional<Message>(std::move(m));
    }
  }
  if (Quiet() && !sent_done_) {
    Message m;
    m.type = Message::Type::kDone;
    m.phase = phase_;
    sent_done_ = true;
    ++totals_.messages_sent;
    FC_RETURN_IF_ERROR(MaybeFinishPhase());
    return std::optional<Message>(std::move(m));
  }
  return std::optional<Message>();
}

}  // namespace fieldcase::sync
