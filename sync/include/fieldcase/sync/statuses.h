// Statuses as the store holds them: derived from the whole set of entries by
// org::ComputeValidity (org/validity.h) and written back where they changed — the one
// column of an entry that may change.
#pragma once

#include <map>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/org/validity.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

// What the rules derive, beside what the status column says now.
struct DerivedStatuses {
  org::ValidityResult validity;
  std::map<Id, store::EntryStatus> stored;
};

// Reads every header (and the payloads of key and control entries only) and derives each
// entry's status. Needs the store's org id.
Result<DerivedStatuses> DeriveStatuses(store::Store& log);

// Derives, writes the statuses that changed in one transaction, then applies the pending
// bound (format constant kMaxPendingRows), and clears the stale mark. Returns how many
// statuses changed.
Result<size_t> RecomputeStatuses(store::Store& log);

// A network session ingests batch by batch and settles statuses once per phase: the mark
// says they lag behind the entries, so a process killed in between recomputes them the
// next time the store is opened (RecomputeIfStale).
Status MarkStatusesStale(store::Store& log);
Result<bool> RecomputeIfStale(store::Store& log);

}  // namespace fieldcase::sync
