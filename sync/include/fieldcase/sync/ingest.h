// The one ingest path: every entry that arrives from elsewhere — an enrolment response,
// a bundle, a network session — enters the store here, whichever way its bytes came.
//
//   1. v1 headers are decoded strictly; other versions are kept opaque (needs upgrade), in
//      batches, counted in the pending bound and forwarded.
//   2. v1 entries are sorted by (author, seq), so chains arrive parent first, and
//      appended kIngestTransaction to a transaction through the store's structural checks
//      (store/store.h), their signatures checked on worker threads ahead of the writer: a
//      bad entry is rejected with a reason and the rest go on.
//   3. Gaps (a predecessor not held yet) are re-offered while a pass makes progress.
//   4. The hybrid clock observes what was added (DESIGN §6), and remembers it across
//      restarts (meta "clock").
//   5. Statuses are recomputed (sync/statuses.h).
// An entry of one of this node's own keys that it did not write stops writing ("halted"):
// writing on would fork the chain.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/record/hlc.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

// Entries read per batch (bundles, sync messages).
inline constexpr size_t kIngestBatch = 1000;
// Entries stored per transaction. A transaction's cost is mostly the pages of the
// random-keyed id indexes it dirties, each written whole to the WAL at commit: 10,000 a
// transaction write each such page about once per transaction instead of once per 1,000
// entries (docs/benchmarks.md).
inline constexpr size_t kIngestTransaction = 10000;
// A streamed import (a bundle) hands the Ingester pieces of at most this many entries or
// bytes of headers and payloads: memory stays bounded whatever the file's size, and each piece is long
// enough that the signature workers rarely wait for the next (each piece starts them
// afresh; at 10,000 a piece the import ran ~10 % slower).
inline constexpr size_t kIngestPieceEntries = 2 * kIngestTransaction;
inline constexpr size_t kIngestPieceBytes = 64u << 20;
// The bounds of one piece (smaller in tests, to cross piece boundaries with few entries).
struct PieceBounds {
  size_t entries = kIngestPieceEntries;
  size_t bytes = kIngestPieceBytes;
};

// What one ingest keeps in memory that its input chooses: entries waiting for a
// predecessor (a later piece may bring it; beyond these bounds they are counted as gaps and
// not kept: a peer offers them again once their predecessor is here), and reasons.
inline constexpr size_t kMaxHeldGaps = kIngestPieceEntries;
inline constexpr size_t kMaxHeldGapBytes = kIngestPieceBytes;
inline constexpr size_t kMaxImportReasons = 100;

struct ImportReport {
  size_t added = 0, duplicates = 0, rejected = 0, gaps = 0;
  // Of the added entries, after statuses were recomputed: waiting for a dependency (an
  // enrolment or key not here yet), quarantined (past a cut-off, or a fork), needing a
  // newer fieldcase.
  size_t pending = 0, quarantined = 0, needs_upgrade = 0;
  std::vector<std::string> reasons;  // one line per rejected entry, the first kMaxImportReasons
};

// Called after each batch with (entries handled, entries in all).
using IngestProgress = std::function<void(size_t done, size_t total)>;

// Entries ingested as they arrive, piece by piece (a bundle, a bounded piece at a time, so it
// never sits in memory whole): Begin reads the stale mark an earlier cut ingest left, each
// Add marks its authors stale and stores its entries (gaps are kept and re-offered by
// Finish, which also remembers the clock and settles). Ingest below is the three at once;
// both are the one ingest path.
class Ingester {
 public:
  Ingester(store::Store& log, record::HybridClock& clock, const std::set<PublicKey>& own_keys,
           int64_t now_ms);
  ~Ingester();
  Ingester(const Ingester&) = delete;
  Ingester& operator=(const Ingester&) = delete;

  Status Begin();
  // `total`: entries in all, for `progress` (done counts what was stored or refused).
  Status Add(std::vector<store::RawEntry> entries, const IngestProgress& progress = {},
             size_t total = 0);
  Result<ImportReport> Finish(bool settle = true);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// `own_keys`: the signing keys of this node. `clock` observes what is added.
// `settle` false: statuses are marked stale instead of recomputed (a session settles them
// once per phase; sync/statuses.h), and pending/quarantined are not counted.
Result<ImportReport> Ingest(store::Store& log, record::HybridClock& clock,
                            const std::set<PublicKey>& own_keys,
                            const std::vector<store::RawEntry>& entries, int64_t now_ms,
                            bool settle = true, const IngestProgress& progress = {});

}  // namespace fieldcase::sync
