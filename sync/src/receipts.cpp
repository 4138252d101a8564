#include "fieldcase/sync/receipts.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "fieldcase/org/receipt_payload.h"

namespace fieldcase::sync {

namespace {

constexpr std::string_view kCompleteMark = "receipts-complete";

std::string Short(ByteView b) { return ToHex(b).substr(0, 16); }

struct HeldReceipt {
  Id id{};
  PublicKey hub{};
  uint64_t hub_seq = 0;
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
    out.push_back({se.entry.id, se.entry.header.author, se.entry.header.seq, std::move(r).value()});
    return Status::Ok();
  }));
  std::sort(out.begin(), out.end(), [](const HeldReceipt& a, const HeldReceipt& b) {
    return std::tie(a.hub, a.hub_seq, a.id) < std::tie(b.hub, b.hub_seq, b.id);
  });
  return out;
}

Result<std::set<Id>> ReadComplete(store::Store& log) {
  std::set<Id> out;
  FC_ASSIGN_OR_RETURN(auto raw, log.GetMeta(kCompleteMark));
  if (!raw) return out;
  for (size_t at = 0; at + 32 <= raw->size(); at += 32) {
    Id id{};
    std::copy(raw->begin() + at, raw->begin() + at + 32, id.begin());
    out.insert(id);
  }
  return out;
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
  FC_ASSIGN_OR_RETURN(std::vector<HeldReceipt> receipts, ReadReceipts(log));
  if (receipts.empty()) return Status::Ok();
  FC_ASSIGN_OR_RETURN(std::set<Id> complete, ReadComplete(log));
  bool changed = false;
  for (const auto& r : receipts) {
    if (complete.count(r.id)) continue;
    bool all = true;
    for (const auto& h : r.receipt.heads) {
      FC_ASSIGN_OR_RETURN(bool held, log.Contains(h.id));
      if (!held) {
        all = false;
        break;
      }
    }
    if (all) changed = complete.insert(r.id).second || changed;
  }
  if (!changed) return Status::Ok();
  Bytes mark;
  for (const Id& id : complete) Append(mark, id);
  return log.PutMeta(kCompleteMark, mark);
}

Result<ReceiptFindings> CheckReceipts(store::Store& log) {
  ReceiptFindings out;
  FC_ASSIGN_OR_RETURN(std::vector<HeldReceipt> receipts, ReadReceipts(log));
  FC_ASSIGN_OR_RETURN(std::set<Id> complete, ReadComplete(log));
  out.receipts = receipts.size();

  for (const auto& r : receipts) {
    if (!complete.count(r.id)) continue;
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
