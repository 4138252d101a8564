// Statuses as the store holds them: derived from the set of entries by
// org::ComputeValidity (org/validity.h) and written back where they changed — the one
// column of an entry that may change.
//
// Settling after an import re-derives only what the import can change (SettleStatuses):
// with the entries of a set of authors added, and none of them a writer of the org log,
// no fork among them, a status elsewhere changes only where it was waiting (pending, needs
// upgrade), because
//   - an entry's status depends on its own author's chain (fork, upgrade and cut-off
//     points), on the org log (enrolments, cut-offs, box-key owners) and on which key
//     entries introduce the key_ids it names (held or not, and their case);
//   - the org log changes only by entries of its writers (then: everything is derived);
//   - a key_id is (author, seq): without a fork a new key entry introduces only key_ids
//     that were not held, and what named them was pending.
// So the rules see every key and control entry, the whole chains of the org log's writers
// and of every author with a waiting entry, and only those chains' statuses are written. Of
// an added author with no waiting entry and no fork, only the entries past the seq its
// chain was settled through are read and written: nothing else of its chain can change,
// because
//   - its settled prefix holds no waiting entry, so no upgrade point and no cut-off whose
//     last entry is missing (each would leave a prefix entry pending or needing upgrade);
//   - a suffix without a fork moves no fork point, and an entry past a cut-off is
//     quarantined by its seq alone;
//   - the suffix's own upgrade point, if any, is among the entries read.
// A fork among the added authors, an added author read in part that has a cut-off (which
// entries count below a cut-off is found by walking its chain down from the entry the
// cut-off names, through the prefix that was not read), or a row dropped by the pending
// bound, falls back to the whole set (RecomputeStatuses). Tests compare the two on random histories
// (tests/sync/statuses_test.cpp).
#pragma once

#include <map>
#include <set>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/org/validity.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

// What the rules derive, beside what the status column says now.
// Entry i: ids[i], stored[i], validity.status[i].
struct DerivedStatuses {
  org::ValidityResult validity;
  std::vector<Id> ids;
  std::vector<store::EntryStatus> stored;
};

// Reads every header (and the payloads of key and control entries only) and derives each
// entry's status. Needs the store's org id.
Result<DerivedStatuses> DeriveStatuses(store::Store& log);

// Derives every status, writes those that changed in one transaction, then applies the
// pending bound (format constant kMaxPendingRows), and clears the stale mark. Returns how
// many statuses changed.
Result<size_t> RecomputeStatuses(store::Store& log);

// Author → the seq its chain was settled through before entries were added (0: unknown, or
// nothing held; the whole chain is read).
using SettledThrough = std::map<PublicKey, uint64_t>;

// The same result after entries by the authors of `added` were stored, re-deriving only
// what they can change (above). Clears the stale mark.
Result<size_t> SettleStatuses(store::Store& log, const SettledThrough& added);

// An ingest marks statuses stale before it stores anything, naming the authors it brings
// and the seq each one's chain was settled through (merged with a mark already there: the
// lower seq holds), and clears the mark when it settles. A network session settles once per
// phase; a process killed in between settles the next time the store is opened
// (RecomputeIfStale), for the marked authors only. A mark of more than kMaxMarkedAuthors
// authors, or one this version cannot read, means everything.
inline constexpr size_t kMaxMarkedAuthors = 4096;
struct StaleMark {
  bool present = false;
  bool everything = false;
  SettledThrough authors;
};
Result<StaleMark> ReadStaleMark(store::Store& log);
Status MarkStatusesStale(store::Store& log, const std::set<PublicKey>& authors);
// Settles what the mark names (nothing when there is no mark); true when it did.
Result<bool> RecomputeIfStale(store::Store& log);

}  // namespace fieldcase::sync
