#include "fieldcase/sync/receipts.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/org/receipt_payload.h"

namespace fieldcase::sync {

namespace {

constexpr std::string_view kCursorMark = "receipts-cursor";
constexpr std::string_view kWaitingMark = "receipts-waiting";

std::string Short(ByteView b) { return ToHex(b).substr(0, 16); }

struct HeldReceipt {
  Id id{};
  PublicKey hub{};
  uint64_t hub_seq = 0;
  int64_t row = 0;
  org::Receipt receipt;
};

// Every receipt held with its payload, decoded, in (hub, hub seq, id) order. A receipt
// whose payload is not held or does not decode proves nothing and is skipped (verify names
// a malformed payload on its own).
Result<std::vector<HeldReceipt>> ReadReceipts(store::Store& log) {
  std::vector<HeldReceipt> out;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kReceipt);
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    if (!se.entry.payload) return Status::Ok();
    auto r = org::DecodeReceipt(*se.entry.payload);
    if (!r.ok()) return Status::Ok();
    out.push_back({se.entry.id, se.entry.header.author, se.entry.header.seq, se.row,
                   std::move(r).value()});
    return Status::Ok();
  }));
  std::sort(out.begin(), out.end(), [](const HeldReceipt& a, const HeldReceipt& b) {
    return std::tie(a.hub, a.hub_seq, a.id) < std::tie(b.hub, b.hub_seq, b.id);
  });
  return out;
}

struct Marks {
  int64_t cursor = 0;        // receipts at rows up to here were examined
  std::vector<Id> waiting;   // of those, the ones not complete yet, oldest first
  bool Complete(const Id& id, int64_t row) const {
    return row <= cursor && std::find(waiting.begin(), waiting.end(), id) == waiting.end();
  }
};

Result<Marks> ReadMarks(store::Store& log) {
  Marks m;
  FC_ASSIGN_OR_RETURN(auto cursor, log.GetMeta(kCursorMark));
  if (cursor && cursor->size() == 8) {
    ByteReader r(*cursor);
    uint64_t v = 0;
    FC_RETURN_IF_ERROR(r.U64(v, "receipts cursor"));
    m.cursor = int64_t(std::min<uint64_t>(v, uint64_t(INT64_MAX)));
  }
  FC_ASSIGN_OR_RETURN(auto waiting, log.GetMeta(kWaitingMark));
  if (waiting) {
    for (size_t at = 0; at + 32 <= waiting->size() && m.waiting.size() < kMaxWaitingReceipts; at += 32) {
      Id id{};
      std::copy(waiting->begin() + long(at), waiting->begin() + long(at + 32), id.begin());
      m.waiting.push_back(id);
    }
  }
  return m;
}

// Whether the store holds every head a receipt covers.
Result<bool> HoldsAll(store::Store& log, const org::Receipt& r) {
  for (const auto& h : r.heads) {
    FC_ASSIGN_OR_RETURN(bool held, log.Contains(h.id));
    if (!held) return false;
  }
  return true;
}

// The id of the entry at `seq` on the chain that ends at `from` (seq from_seq), walking
// prev links; nullopt when the store does not hold the chain down to there.
Result<std::optional<Id>> AncestorAt(store::Store& log, const Id& from, uint64_t from_seq,
                                     uint64_t seq) {
  Id at = from;
  for (uint64_t s = from_seq; s > seq; --s) {
    FC_ASSIGN_OR_RETURN(auto e, log.Get(at));
    if (!e) return std::optional<Id>();
    at = e->entry.header.prev;
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

}  // namespace

Status NoteCompleteReceipts(store::Store& log) {
  FC_ASSIGN_OR_RETURN(Marks m, ReadMarks(log));
  std::vector<Id> waiting;
  bool changed = false;
  for (const Id& id : m.waiting) {
    FC_ASSIGN_OR_RETURN(auto e, log.Get(id));
    bool done = false;
    if (e && e->entry.payload) {
      auto r = org::DecodeReceipt(*e->entry.payload);
      if (r.ok()) {
        FC_ASSIGN_OR_RETURN(done, HoldsAll(log, *r));
      }
    }
    if (done) {
      changed = true;
    } else {
      waiting.push_back(id);
    }
  }
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kReceipt);
  f.after_rowid = m.cursor;
  int64_t cursor = m.cursor;
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    cursor = std::max(cursor, se.row);
    bool done = false;
    if (se.entry.payload) {
      auto r = org::DecodeReceipt(*se.entry.payload);
      if (r.ok()) {
        FC_ASSIGN_OR_RETURN(done, HoldsAll(log, *r));
      }
    }
    if (!done) waiting.push_back(se.entry.id);
    return Status::Ok();
  }));
  if (cursor == m.cursor && !changed) return Status::Ok();
  if (waiting.size() > kMaxWaitingReceipts) {
    waiting.erase(waiting.begin(), waiting.end() - long(kMaxWaitingReceipts));
  }
  ByteWriter c;
  c.U64(uint64_t(cursor));
  FC_RETURN_IF_ERROR(log.PutMeta(kCursorMark, c.Take()));
  if (waiting.empty()) return log.DeleteMeta(kWaitingMark);
  Bytes w;
  for (const Id& id : waiting) Append(w, id);
  return log.PutMeta(kWaitingMark, w);
}

Result<ReceiptFindings> CheckReceipts(store::Store& log, ReceiptCheck depth) {
  ReceiptFindings out;
  FC_ASSIGN_OR_RETURN(Marks marks, ReadMarks(log));
  if (depth == ReceiptCheck::kQuick) {
    // Headers only: counts, and two receipts at one seq of a hub's chain.
    std::map<std::pair<PublicKey, uint64_t>, Id> at_seq;
    std::optional<Id> newest;
    int64_t newest_row = 0;
    store::EntryFilter f;
    f.kind = uint8_t(store::Kind::kReceipt);
    f.payloads = false;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      ++out.receipts;
      if (marks.Complete(se.entry.id, se.row)) {
        ++out.complete;
        if (se.row > newest_row) {
          newest_row = se.row;
          newest = se.entry.id;
        }
      }
      const auto& h = se.entry.header;
      auto [it, fresh] = at_seq.emplace(std::make_pair(h.author, h.seq), se.entry.id);
      if (!fresh) {
        out.equivocations.push_back(
            {h.author, it->second, se.entry.id,
             "hub equivocation: hub " + Short(h.author) + " signed two receipts at its seq " +
                 std::to_string(h.seq) + " (" + Short(it->second) + " and " + Short(se.entry.id) +
                 "): it kept two histories"});
      }
      return Status::Ok();
    }));
    if (newest) {
      FC_ASSIGN_OR_RETURN(auto e, log.Get(*newest));
      if (e && e->entry.payload) {
        if (auto r = org::DecodeReceipt(*e->entry.payload); r.ok()) {
          out.newest_complete_ms = r->hub_time_ms;
        }
      }
    }
    return out;
  }
  FC_ASSIGN_OR_RETURN(std::vector<HeldReceipt> receipts, ReadReceipts(log));
  out.receipts = receipts.size();

  for (const auto& r : receipts) {
    if (!marks.Complete(r.id, r.row)) continue;
    ++out.complete;
    out.newest_complete_ms = std::max(out.newest_complete_ms, r.receipt.hub_time_ms);
    for (const auto& h : r.receipt.heads) {
      FC_ASSIGN_OR_RETURN(bool held, log.Contains(h.id));
      if (held) continue;
      ReceiptLoss loss;
      loss.receipt = r.id;
      loss.hub = r.hub;
      loss.hub_seq = r.hub_seq;
      loss.hub_time_ms = r.receipt.hub_time_ms;
      loss.author = h.author;
      loss.covered_seq = h.seq;
      std::set<uint64_t> seqs;
      store::EntryFilter f;
      f.author = h.author;
      f.payloads = false;
      FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
        seqs.insert(se.entry.header.seq);
        return Status::Ok();
      }));
      for (uint64_t s = 1; s <= h.seq; ++s) {
        if (!seqs.count(s)) loss.missing_seqs.push_back(s);
        if (loss.missing_seqs.size() > 100000) break;  // named in ranges; bounded
      }
      if (loss.missing_seqs.empty()) loss.missing_seqs.push_back(h.seq);  // another branch
      loss.what = "missing after receipt: author " + Short(h.author) + " seqs " +
                  Ranges(loss.missing_seqs) + " (of the chain to seq " + std::to_string(h.seq) +
                  ", entry " + Short(h.id) + ") are not held, though receipt " + Short(r.id) +
                  " (hub " + Short(r.hub) + ", its seq " + std::to_string(r.hub_seq) +
                  ") shows this store held them";
      out.lost.push_back(std::move(loss));
    }
  }

  // Equivocation, per hub: receipts in the order of its chain.
  std::map<std::pair<PublicKey, uint64_t>, const HeldReceipt*> at_seq;
  std::map<std::pair<PublicKey, PublicKey>, const HeldReceipt*> last_naming;  // (hub, author)
  for (const auto& r : receipts) {
    auto [it, fresh] = at_seq.emplace(std::make_pair(r.hub, r.hub_seq), &r);
    if (!fresh) {
      out.equivocations.push_back(
          {r.hub, it->second->id, r.id,
           "hub equivocation: hub " + Short(r.hub) + " signed two receipts at its seq " +
               std::to_string(r.hub_seq) + " (" + Short(it->second->id) + " and " + Short(r.id) +
               "): it kept two histories"});
      continue;
    }
    std::set<PublicKey> authors;
    for (const auto& h : r.receipt.heads) authors.insert(h.author);
    for (const PublicKey& author : authors) {
      auto prev = last_naming.find({r.hub, author});
      if (prev != last_naming.end()) {
        // Each head the earlier receipt named must lie on some chain this one names.
        for (const auto& old : prev->second->receipt.heads) {
          if (old.author != author) continue;
          bool passes = false, unknown = false;
          for (const auto& now : r.receipt.heads) {
            if (now.author != author || now.seq < old.seq) continue;
            FC_ASSIGN_OR_RETURN(auto anc, AncestorAt(log, now.id, now.seq, old.seq));
            if (!anc) {
              unknown = true;
            } else if (*anc == old.id) {
              passes = true;
            }
          }
          if (!passes && !unknown) {
            out.equivocations.push_back(
                {r.hub, prev->second->id, r.id,
                 "hub equivocation: receipt " + Short(r.id) + " (hub " + Short(r.hub) +
                     ", its seq " + std::to_string(r.hub_seq) + ") shows author " + Short(author) +
                     " without entry " + Short(old.id) + " at seq " + std::to_string(old.seq) +
                     " that its receipt " + Short(prev->second->id) + " showed"});
          }
        }
      }
      last_naming[{r.hub, author}] = &r;
    }
  }
  return out;
}

}  // namespace fieldcase::sync
