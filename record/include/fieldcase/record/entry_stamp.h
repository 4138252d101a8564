// What orders entries: id, author, seq and hlc from the signed header. One canonical order,
// (hlc, author, seq, id), is used wherever entries are ordered for meaning — merge and views
// (record/case_state.h), "the first certificate of a key counts" (org/validity.h,
// org/membership.h) and history. The id comes last so that even two entries with equal
// (hlc, author, seq), a fork, have one order everywhere.
#pragma once

#include <cstdint>
#include <tuple>

#include "fieldcase/base/bytes.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::record {

struct EntryStamp {
  Id id{};
  PublicKey author{};
  uint64_t seq = 0;
  uint64_t hlc = 0;
  bool operator==(const EntryStamp&) const = default;
};

inline EntryStamp StampOf(const Id& id, const store::Header& h) {
  return EntryStamp{id, h.author, h.seq, h.hlc};
}
inline EntryStamp StampOf(const store::Entry& e) { return StampOf(e.id, e.header); }

// The canonical order: (hlc, author, seq, id).
inline bool CanonicalLess(const EntryStamp& a, const EntryStamp& b) {
  return std::tie(a.hlc, a.author, a.seq, a.id) < std::tie(b.hlc, b.author, b.seq, b.id);
}

}  // namespace fieldcase::record
