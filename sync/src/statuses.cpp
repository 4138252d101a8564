#include "fieldcase/sync/statuses.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "fieldcase/base/byte_io.h"

namespace fieldcase::sync {

namespace {

constexpr std::string_view kStaleMark = "statuses-stale";
// Mark values: 0x01 (or anything else unknown): everything;
//   0x02 ‖ u32 n ‖ n × author(32)               (earlier builds: whole chains)
//   0x03 ‖ u32 n ‖ n × (author(32) ‖ u64 seq)   each chain settled through seq
constexpr uint8_t kMarkEverything = 1;
constexpr uint8_t kMarkAuthors = 2;
constexpr uint8_t kMarkAuthorsThrough = 3;

using store::Kind;

bool IsKeyOrControl(const store::Header& h) {
  return h.kind == uint8_t(Kind::kKey) || h.kind == uint8_t(Kind::kControl);
}
// Read with its payload (its status depends on it), but only where its own chain is being
// settled: no rule of any other entry reads a receipt.
bool IsReceipt(const store::Header& h) { return h.kind == uint8_t(Kind::kReceipt); }

// The rules' inputs, each beside the status the column holds for it now.
struct Inputs {
  std::vector<org::ValidityInput> in;
  std::vector<store::EntryStatus> stored;

  void Reserve(size_t n) {
    in.reserve(n);
    stored.reserve(n);
  }
  void Add(const store::StoredEntry& se) {
    stored.push_back(se.status);
    in.push_back(org::MakeValidityInput(se));
  }
  // One entry read without its payload: no rule reads a data payload.
  void AddHeaderOnly(store::StoredEntry& se) {
    se.entry.payload = Bytes{};
    Add(se);
  }
};

// Adds the receipts (kind 4) of `author` past seq `through`, or of everyone, with their
// payloads.
Status ReadReceipts(store::Store& log, const std::optional<PublicKey>& author, uint64_t through,
                    Inputs& inputs) {
  store::EntryFilter f;
  f.kind = uint8_t(Kind::kReceipt);
  f.author = author;
  if (author && through > 0) f.after_seq = through;
  return log.ForEach(f, [&](store::StoredEntry& se) {
    inputs.Add(se);
    return Status::Ok();
  });
}

// Reads the key and control entries, with payloads: every rule needs all of them.
Status ReadOrgAndKeys(store::Store& log, Inputs& inputs) {
  for (uint8_t kind : {uint8_t(Kind::kKey), uint8_t(Kind::kControl)}) {
    store::EntryFilter f;
    f.kind = kind;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      inputs.Add(se);
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

// Writes the statuses of `inputs` (only of entries by `only`, when given) that differ.
Result<size_t> WriteChanged(store::Store& log, const Inputs& inputs,
                            const org::ValidityResult& validity,
                            const std::set<PublicKey>* only) {
  std::vector<std::pair<Id, store::EntryStatus>> changed;
  for (size_t i = 0; i < inputs.in.size(); ++i) {
    const org::ValidityInput& e = inputs.in[i];
    if (only && !only->count(e.header.author)) continue;
    if (inputs.stored[i] != validity.status[i]) changed.emplace_back(e.id, validity.status[i]);
  }
  FC_RETURN_IF_ERROR(log.SetStatuses(changed));
  return changed.size();
}

Result<size_t> WriteAll(store::Store& log) {
  FC_ASSIGN_OR_RETURN(DerivedStatuses d, DeriveStatuses(log));
  std::vector<std::pair<Id, store::EntryStatus>> changed;
  for (size_t i = 0; i < d.ids.size(); ++i) {
    if (d.stored[i] != d.validity.status[i]) changed.emplace_back(d.ids[i], d.validity.status[i]);
  }
  FC_RETURN_IF_ERROR(log.SetStatuses(changed));
  return changed.size();
}

// The pending bound, then — when it dropped rows, whose absence others may depend on (a
// data entry whose key entry was dropped waits again) — everything once more.
Result<size_t> BoundAndClear(store::Store& log, size_t changed) {
  // A drop can change statuses of any author: until they are derived again, the mark says
  // everything (a process killed in between settles everything at the next open).
  FC_RETURN_IF_ERROR(log.PutMeta(kStaleMark, Bytes{kMarkEverything}));
  FC_ASSIGN_OR_RETURN(int64_t dropped, log.DropOldestPending());
  if (dropped > 0) {
    FC_ASSIGN_OR_RETURN(size_t again, WriteAll(log));
    changed += again;
  }
  FC_RETURN_IF_ERROR(log.DeleteMeta(kStaleMark));
  return changed;
}

}  // namespace

Result<DerivedStatuses> DeriveStatuses(store::Store& log) {
  if (!log.org_id()) return Status::Corruption("the store has no organisation id");
  Inputs inputs;
  // Sized once: growing it moved every input already read, over and over.
  FC_ASSIGN_OR_RETURN(int64_t held, log.CountEntries());
  inputs.Reserve(size_t(std::max<int64_t>(held, 0)));
  store::EntryFilter headers;
  headers.payloads = false;
  FC_RETURN_IF_ERROR(log.ForEach(headers, [&](store::StoredEntry& se) {
    if (!IsKeyOrControl(se.entry.header) && !IsReceipt(se.entry.header)) inputs.AddHeaderOnly(se);
    return Status::Ok();
  }));
  FC_RETURN_IF_ERROR(ReadOrgAndKeys(log, inputs));
  FC_RETURN_IF_ERROR(ReadReceipts(log, std::nullopt, 0, inputs));
  DerivedStatuses out;
  out.validity = org::ComputeValidity(*log.org_id(), inputs.in);
  out.ids.reserve(inputs.in.size());
  for (const auto& e : inputs.in) out.ids.push_back(e.id);
  out.stored = std::move(inputs.stored);
  return out;
}

Result<size_t> RecomputeStatuses(store::Store& log) {
  FC_ASSIGN_OR_RETURN(size_t changed, WriteAll(log));
  return BoundAndClear(log, changed);
}

Result<size_t> SettleStatuses(store::Store& log, const SettledThrough& added) {
  if (!log.org_id()) return Status::Corruption("the store has no organisation id");
  if (added.empty()) return BoundAndClear(log, 0);
  Inputs inputs;
  FC_RETURN_IF_ERROR(ReadOrgAndKeys(log, inputs));
  // Whose statuses are re-derived, each read past the seq given (0: the whole chain).
  SettledThrough chains;
  for (const auto& e : inputs.in) {
    if (e.header.kind != uint8_t(Kind::kControl)) continue;
    if (added.count(e.header.author)) return RecomputeStatuses(log);  // the org log
    chains[e.header.author] = 0;
  }
  FC_ASSIGN_OR_RETURN(std::set<PublicKey> waiting, log.UnsettledAuthors());
  for (const PublicKey& a : waiting) chains[a] = 0;
  FC_ASSIGN_OR_RETURN(std::vector<store::ForkSeq> forks, log.Forks());
  std::set<PublicKey> forked;
  for (const auto& f : forks) forked.insert(f.author);
  for (const auto& [author, through] : added) {
    if (forked.count(author)) return RecomputeStatuses(log);
    chains.try_emplace(author, through);  // waiting or a writer: already the whole chain
  }
  // Sized once, from the chains' lengths: an input is ~300 bytes, and growing the vector
  // moved every one read so far, over and over (a third of a settle's time at 100,000).
  size_t expected = inputs.in.size();
  for (const auto& [author, through] : chains) {
    FC_ASSIGN_OR_RETURN(auto head, log.HeadOf(author));
    if (head && head->seq > through)
      expected += size_t(std::min<uint64_t>(head->seq - through, uint64_t(1) << 24));
  }
  inputs.Reserve(expected);
  for (const auto& [author, through] : chains) {
    store::EntryFilter f;
    f.payloads = false;
    f.author = author;
    if (through > 0) f.after_seq = through;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      if (!IsKeyOrControl(se.entry.header) && !IsReceipt(se.entry.header)) inputs.AddHeaderOnly(se);
      return Status::Ok();
    }));
    FC_RETURN_IF_ERROR(ReadReceipts(log, author, through, inputs));
  }
  org::ValidityResult validity = org::ComputeValidity(*log.org_id(), inputs.in);
  for (const auto& [author, through] : added) {
    // A forked author may hold two introducers of one key_id: what names it can change.
    if (validity.fork_points.count(author)) return RecomputeStatuses(log);
    // A cut-off (a revocation, a successor) is walked down the author's chain from the entry
    // it names: read from past `through`, the walk would stop at the first entry not read
    // and put the earlier ones outside the chain.
    if (chains.at(author) > 0) {
      const auto en = validity.enrolled.find(author);
      if (en != validity.enrolled.end() && en->second.cut_off) return RecomputeStatuses(log);
    }
  }
  std::set<PublicKey> written;
  for (const auto& [author, through] : chains) written.insert(author);
  FC_ASSIGN_OR_RETURN(size_t changed, WriteChanged(log, inputs, validity, &written));
  return BoundAndClear(log, changed);
}

Result<StaleMark> ReadStaleMark(store::Store& log) {
  StaleMark mark;
  FC_ASSIGN_OR_RETURN(auto raw, log.GetMeta(kStaleMark));
  if (!raw) return mark;
  mark.present = true;
  ByteReader r(*raw);
  uint8_t form = 0;
  uint32_t n = 0;
  if (!r.U8(form, "stale mark").ok() || (form != kMarkAuthors && form != kMarkAuthorsThrough) ||
      !r.U32(n, "stale mark").ok() || n > kMaxMarkedAuthors ||
      r.remaining() != size_t(n) * (sizeof(PublicKey) + (form == kMarkAuthorsThrough ? 8 : 0))) {
    mark.everything = true;  // the safe reading of a mark this version cannot read
    return mark;
  }
  for (uint32_t i = 0; i < n; ++i) {
    PublicKey a{};
    uint64_t through = 0;
    FC_RETURN_IF_ERROR(r.Fixed(a, "stale mark"));
    if (form == kMarkAuthorsThrough) FC_RETURN_IF_ERROR(r.U64(through, "stale mark"));
    mark.authors[a] = through;
  }
  return mark;
}

Status MarkStatusesStale(store::Store& log, const std::set<PublicKey>& authors) {
  FC_ASSIGN_OR_RETURN(StaleMark mark, ReadStaleMark(log));
  if (mark.everything) return Status::Ok();
  bool grew = !mark.present;
  for (const PublicKey& a : authors) {
    if (mark.authors.count(a)) continue;  // named already, with the lower seq
    // Nothing of this author is stored unsettled yet: its chain is settled up to its head.
    FC_ASSIGN_OR_RETURN(auto head, log.HeadOf(a));
    mark.authors.emplace(a, head ? head->seq : 0);
    grew = true;
  }
  if (!grew) return Status::Ok();
  ByteWriter w;
  if (mark.authors.size() > kMaxMarkedAuthors) {
    w.U8(kMarkEverything);
  } else {
    w.U8(kMarkAuthorsThrough);
    w.U32(uint32_t(mark.authors.size()));
    for (const auto& [a, through] : mark.authors) {
      w.Raw(a);
      w.U64(through);
    }
  }
  return log.PutMeta(kStaleMark, w.Take());
}

Result<bool> RecomputeIfStale(store::Store& log) {
  FC_ASSIGN_OR_RETURN(StaleMark mark, ReadStaleMark(log));
  if (!mark.present) return false;
  if (mark.everything) {
    FC_RETURN_IF_ERROR(RecomputeStatuses(log).status());
  } else {
    FC_RETURN_IF_ERROR(SettleStatuses(log, mark.authors).status());
  }
  return true;
}

}  // namespace fieldcase::sync
