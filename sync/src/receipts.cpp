#include "fieldcase/sync/receipts.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/org/receipt_payload.h"

namespace fieldcase::sync {

namespace {

// One meta value, written whole (a crash leaves the old one or the new one):
//   u64 cursor row ‖ cursor id(32) ‖ u32 n ‖ n × receipt id(32), the waiting ones
constexpr std::string_view kMarks = "receipt-marks";

std::string Short(ByteView b) { return ToHex(b).substr(0, 16); }

// Keys a counting certificate enrols as hubs: only their receipts mean anything.
Result<std::set<PublicKey>> HubKeys(store::Store& log) {
  std::set<PublicKey> out;
  if (!log.org_id()) return out;
  FC_ASSIGN_OR_RETURN(const auto members, org::Membership::LearnKeyless(log));
  for (const auto& [key, m] : members.members())
    if (m.role == org::Role::kHub) out.insert(key);
  return out;
}

struct Marks {
  int64_t cursor = 0;  // every receipt row up to here was examined…
  Id cursor_id{};      // …and this receipt sits at that row (rows are never reused below it)
  std::vector<Id> waiting;   // examined, not complete yet, oldest first
  std::set<Id> waiting_set;  // the same, to look up
  bool Complete(const Id& id, int64_t row) const {
    return row <= cursor && !waiting_set.count(id);
  }
};

// The marks, or none when they do not match the store: a row at or below the cursor
// deleted and reused (the pending bound drops rows) would otherwise count unexamined.
// Starting over can hide a loss; it never invents one.
Result<Marks> ReadMarks(store::Store& log) {
  Marks m;
  FC_ASSIGN_OR_RETURN(auto raw, log.GetMeta(kMarks));
  if (!raw) return m;
  ByteReader r(*raw);
  uint64_t cursor = 0;
  uint32_t n = 0;
  if (!r.U64(cursor, "cursor").ok() || !r.Fixed(m.cursor_id, "cursor id").ok() ||
      !r.U32(n, "waiting").ok() || n > kMaxWaitingReceipts || r.remaining() != size_t(n) * 32) {
    return Marks{};
  }
  for (uint32_t i = 0; i < n; ++i) {
    Id id{};
    FC_RETURN_IF_ERROR(r.Fixed(id, "waiting id"));
    m.waiting.push_back(id);
    m.waiting_set.insert(id);
  }
  m.cursor = int64_t(std::min<uint64_t>(cursor, uint64_t(INT64_MAX)));
  if (m.cursor > 0) {
    bool same = false;
    store::EntryFilter f;
    f.kind = uint8_t(store::Kind::kReceipt);
    f.payloads = false;
    f.after_rowid = m.cursor - 1;
    f.limit = 1;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      same = se.row == m.cursor && se.entry.id == m.cursor_id;
      return Status::Ok();
    }));
    if (!same) return Marks{};
  }
  return m;
}

Status WriteMarks(store::Store& log, const Marks& m) {
  ByteWriter w;
  w.U64(uint64_t(m.cursor));
  w.Fixed(m.cursor_id);
  w.U32(uint32_t(m.waiting.size()));
  for (const Id& id : m.waiting) w.Fixed(id);
  return log.PutMeta(kMarks, w.Take());
}

// Whether a receipt counts here now: accepted (so by a current hub key, DESIGN §5), read,
// and every head it covers held.
Result<bool> CountsNow(store::Store& log, const store::StoredEntry& se) {
  if (se.status != store::EntryStatus::kAccepted || !se.entry.payload) return false;
  auto r = org::DecodeReceipt(*se.entry.payload);
  if (!r.ok()) return false;
  for (const auto& h : r->heads) {
    FC_ASSIGN_OR_RETURN(bool held, log.Contains(h.id));
    if (!held) return false;
  }
  return true;
}

// The id of the entry at `seq` on `author`'s chain that ends at `from` (seq from_seq),
// walking prev links and checking each step's author and seq; nullopt when the store does
// not hold that chain down to there.
Result<std::optional<Id>> AncestorAt(store::Store& log, const PublicKey& author, const Id& from,
                                     uint64_t from_seq, uint64_t seq) {
  Id at = from;
  for (uint64_t s = from_seq; s > seq; --s) {
    FC_ASSIGN_OR_RETURN(auto e, log.Get(at));
    if (!e || e->entry.header.author != author || e->entry.header.seq != s) {
      return std::optional<Id>();
    }
    at = e->entry.header.prev;
  }
  FC_ASSIGN_OR_RETURN(auto last, log.Get(at));
  if (!last || last->entry.header.author != author || last->entry.header.seq != seq) {
    return std::optional<Id>();
  }
  return std::optional<Id>(at);
}

std::string Ranges(const std::vector<uint64_t>& seqs) {
  std::string out;
  for (size_t i = 0; i < seqs.size();) {
    size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(seqs[i]);
    if (j > i) out += " to " + std::to_string(seqs[j]);
    i = j + 1;
  }
  return out;
}

std::string TwoAtOneSeq(const PublicKey& hub, uint64_t seq, const Id& a, const Id& b) {
  return "hub equivocation: hub " + Short(hub) + " signed two receipts at its seq " +
         std::to_string(seq) + " (" + Short(a) + " and " + Short(b) + "): it kept two histories";
}

}  // namespace

Status NoteCompleteReceipts(store::Store& log) {
  FC_ASSIGN_OR_RETURN(Marks m, ReadMarks(log));
  Marks next = m;
  next.waiting.clear();
  next.waiting_set.clear();
  bool changed = false;
  for (const Id& id : m.waiting) {
    FC_ASSIGN_OR_RETURN(auto e, log.Get(id));
    bool done = false;
    if (e) {
      FC_ASSIGN_OR_RETURN(done, CountsNow(log, *e));
    }
    // Gone from the store (the pending bound) or complete: no longer waiting. A receipt
    // that is gone is not complete either: its row is no longer read.
    if (!e || done) {
      changed = true;
      continue;
    }
    next.waiting.push_back(id);
    next.waiting_set.insert(id);
  }
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kReceipt);
  f.after_rowid = m.cursor;
  bool full = false;  // the waiting list is full: the cursor stops before this receipt
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    if (full) return Status::Ok();
    FC_ASSIGN_OR_RETURN(bool done, CountsNow(log, se));
    if (!done) {
      if (next.waiting.size() >= kMaxWaitingReceipts) {
        full = true;
        return Status::Ok();
      }
      next.waiting.push_back(se.entry.id);
      next.waiting_set.insert(se.entry.id);
    }
    next.cursor = se.row;
    next.cursor_id = se.entry.id;
    changed = true;
    return Status::Ok();
  }));
  if (!changed) return Status::Ok();
  return WriteMarks(log, next);
}

Result<ReceiptFindings> CheckReceipts(store::Store& log, ReceiptCheck depth) {
  ReceiptFindings out;
  FC_ASSIGN_OR_RETURN(Marks marks, ReadMarks(log));
  FC_ASSIGN_OR_RETURN(std::set<PublicKey> hubs, HubKeys(log));
  // Two receipts at one seq of a hub's chain, in any status (a fork quarantines both).
  std::map<std::pair<PublicKey, uint64_t>, Id> at_seq;
  auto two_at_one_seq = [&](const store::StoredEntry& se) {
    const auto& h = se.entry.header;
    auto [it, fresh] = at_seq.emplace(std::make_pair(h.author, h.seq), se.entry.id);
    if (!fresh) {
      out.equivocations.push_back(
          {h.author, it->second, se.entry.id, TwoAtOneSeq(h.author, h.seq, it->second, se.entry.id)});
    }
  };
  auto counts = [&](const store::StoredEntry& se) {
    return se.status == store::EntryStatus::kAccepted && marks.Complete(se.entry.id, se.row);
  };

  if (depth == ReceiptCheck::kQuick) {
    std::optional<Id> newest;
    int64_t newest_row = 0;
    store::EntryFilter f;
    f.kind = uint8_t(store::Kind::kReceipt);
    f.payloads = false;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      if (!hubs.count(se.entry.header.author)) return Status::Ok();
      ++out.receipts;
      two_at_one_seq(se);
      if (counts(se)) {
        ++out.complete;
        if (se.row > newest_row) {
          newest_row = se.row;
          newest = se.entry.id;
        }
      }
      return Status::Ok();
    }));
    if (newest) {
      FC_ASSIGN_OR_RETURN(auto e, log.Get(*newest));
      if (e && e->entry.payload) {
        if (auto r = org::DecodeReceipt(*e->entry.payload); r.ok()) out.newest_complete_ms = r->hub_time_ms;
      }
    }
    return out;
  }

  // Full: every receipt streamed in arrival order (a hub's chain arrives parent first),
  // keeping per (hub, author) only the heads the last receipt named.
  std::map<PublicKey, std::set<uint64_t>> seqs_of;  // authors with a loss: their held seqs
  std::map<std::pair<PublicKey, PublicKey>, std::pair<Id, std::vector<store::Head>>> last_naming;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kReceipt);
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) -> Status {
    const PublicKey hub = se.entry.header.author;
    if (!hubs.count(hub)) return Status::Ok();
    ++out.receipts;
    two_at_one_seq(se);
    if (se.status != store::EntryStatus::kAccepted || !se.entry.payload) return Status::Ok();
    auto decoded = org::DecodeReceipt(*se.entry.payload);
    if (!decoded.ok()) return Status::Ok();
    const org::Receipt& r = *decoded;
    const Id& rid = se.entry.id;

    if (counts(se)) {
      ++out.complete;
      out.newest_complete_ms = std::max(out.newest_complete_ms, r.hub_time_ms);
      for (const auto& h : r.heads) {
        FC_ASSIGN_OR_RETURN(bool held, log.Contains(h.id));
        if (held) continue;
        auto cached = seqs_of.find(h.author);
        if (cached == seqs_of.end()) {
          std::set<uint64_t> seqs;
          store::EntryFilter mine;
          mine.author = h.author;
          mine.payloads = false;
          FC_RETURN_IF_ERROR(log.ForEach(mine, [&](store::StoredEntry& e) {
            seqs.insert(e.entry.header.seq);
            return Status::Ok();
          }));
          cached = seqs_of.emplace(h.author, std::move(seqs)).first;
        }
        ReceiptLoss loss;
        loss.receipt = rid;
        loss.hub = hub;
        loss.hub_seq = se.entry.header.seq;
        loss.hub_time_ms = r.hub_time_ms;
        loss.author = h.author;
        loss.covered_seq = h.seq;
        for (uint64_t s = 1; s <= h.seq && loss.missing_seqs.size() < 100000; ++s) {
          if (!cached->second.count(s)) loss.missing_seqs.push_back(s);
        }
        if (loss.missing_seqs.empty()) loss.missing_seqs.push_back(h.seq);  // another branch
        loss.what = "missing after receipt: author " + Short(h.author) + " seqs " +
                    Ranges(loss.missing_seqs) + " (of the chain to seq " + std::to_string(h.seq) +
                    ", entry " + Short(h.id) + ") are not held, though receipt " + Short(rid) +
                    " (hub " + Short(hub) + ", its seq " + std::to_string(loss.hub_seq) +
                    ") shows this store held them";
        out.lost.push_back(std::move(loss));
      }
    }

    // Each head an earlier receipt of this hub named must lie on a chain this one names.
    // Only positive proof counts: a head of this receipt at or past that seq whose chain,
    // as held here, has another entry there — and none that passes through it.
    std::map<PublicKey, std::vector<store::Head>> by_author;
    for (const auto& h : r.heads) by_author[h.author].push_back(h);
    for (auto& [author, now] : by_author) {
      auto prev = last_naming.find({hub, author});
      if (prev != last_naming.end()) {
        for (const auto& old : prev->second.second) {
          bool passes = false, contradicts = false;
          for (const auto& h : now) {
            if (h.seq < old.seq) continue;
            FC_ASSIGN_OR_RETURN(auto anc, AncestorAt(log, author, h.id, h.seq, old.seq));
            if (!anc) continue;
            if (*anc == old.id) passes = true;
            else contradicts = true;
          }
          if (contradicts && !passes) {
            out.equivocations.push_back(
                {hub, prev->second.first, rid,
                 "hub equivocation: receipt " + Short(rid) + " (hub " + Short(hub) + ", its seq " +
                     std::to_string(se.entry.header.seq) + ") shows author " + Short(author) +
                     " without entry " + Short(old.id) + " at seq " + std::to_string(old.seq) +
                     " that its receipt " + Short(prev->second.first) + " showed"});
          }
        }
      }
      last_naming[{hub, author}] = {rid, std::move(now)};
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace fieldcase::sync
