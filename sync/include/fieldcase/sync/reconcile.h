// Reconciliation (DESIGN §7): what two nodes say to each other so that each ends up holding
// every entry either held. Transport-free: a session feeds the peer's messages in with
// Receive (in order) and sends what Next returns; time is a parameter. Bundles use the same
// planning (PlanSend) with the recipient's heads file standing in for its messages.
//
//   phase 1, the org log (root and administrator authors, as each side knows them), then
//   phase 2, every author; then
//   phase 3, the hub keys' chains (as each side knows them): a hub writes a receipt for
//     what it accepted when phase 2 ends (org/receipt_payload.h), and phase 3 carries it
//     back in the same session. Phase 3 runs whenever phase 2 ran, on the same rules:
//     phase 2's rules, restricted to these authors, as phase 1 is to the org log
//     both send  Digest(heads digest)            equal → Done; phase 1's Digest also carries
//                                                the digest of every head: both equal too →
//                                                the session ends after phase 1 (one round
//                                                trip in all when nothing is new)
//     else both  Heads(every head, in chunks)    → each plans what the other lacks:
//                  a peer head this side holds   → Entries past it
//                  a peer head at a held seq with another id (a fork)
//                                                → Probe(this side's ids from that seq down)
//                                                ← Known(highest seq whose id both hold):
//                                                  both send their entries past it
//     Entries in bounded batches, parent first; each batch goes to the one ingest path.
//     Done when nothing is left to send or ask. A phase ends when a side has sent Done,
//     received Done, and waits for nothing.
//
// Message (little-endian), type(1) ‖ phase(1) ‖ body, read whole or refused:
//   1 Digest   digest(32); in phase 1 also the digest of every head(32)
//   2 Heads    u8 last ‖ u32 n (≤ kMaxHeadsPerMessage) ‖ n × (author(32) ‖ seq(8) ‖ id(32))
//   3 Probe    author(32) ‖ u32 n (1..kMaxProbeIds) ‖ n × (seq(8) ‖ id(32)), seq falling
//   4 Known    author(32) ‖ seq(8) ‖ u8 found (0: none of the probe's ids; probe lower)
//   5 Entries  a transit batch (sync/transit.h)
//   6 Done     (empty)
#pragma once

#include <climits>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"
#include "fieldcase/sync/ingest.h"

namespace fieldcase::sync {

inline constexpr uint32_t kMaxHeadsPerMessage = 4096;
inline constexpr uint32_t kMaxProbeIds = 256;
// Entries in one Entries message: a receiver refuses more before it keeps any (a 17 MiB
// frame of header-only entries would otherwise be ~120,000 of them, ~100 MB once decoded).
inline constexpr size_t kMaxBatchEntries = 1000;

enum class Phase : uint8_t { kOrgLog = 1, kAll = 2, kReceipts = 3 };

struct Message {
  enum class Type : uint8_t { kDigest = 1, kHeads, kProbe, kKnown, kEntries, kDone };
  Type type = Type::kDone;
  Phase phase = Phase::kOrgLog;
  Id digest{};                               // Digest
  Id all_digest{};                           // Digest, phase 1: every head
  std::vector<store::Head> heads;            // Heads (hlc does not travel)
  bool last = true;                          // Heads: the last chunk
  PublicKey author{};                        // Probe, Known
  std::vector<std::pair<uint64_t, Id>> ids;  // Probe
  uint64_t seq = 0;                          // Known
  bool found = false;                        // Known
  std::vector<store::RawEntry> entries;      // Entries
};

Bytes EncodeMessage(const Message& m);
Result<Message> DecodeMessage(ByteView bytes);

// What a holder of `theirs` lacks of this store: per author, every entry past after_seq.
// Where one of their heads sits at a seq this store holds with another id (a fork),
// `probe_from` names that seq: a session searches back for the fork point; a bundle, which
// cannot ask, sends from after_seq = 0.
struct SendPlan {
  PublicKey author{};
  uint64_t after_seq = 0;
  std::optional<uint64_t> probe_from;
};
Result<std::vector<SendPlan>> PlanSend(store::Store& log, const std::vector<store::Head>& mine,
                                       const std::vector<store::Head>& theirs);

// Up to `max_entries` / about `max_bytes` (at least one entry) of an author's entries past
// the cursor, parent first (every branch of a seq, in arrival order); the cursor moves past
// what was read and `done` says whether anything is left.
struct ChainCursor {
  PublicKey author{};
  uint64_t after_seq = 0;
  int64_t after_row = INT64_MAX;  // within after_seq: INT64_MAX = none of that seq left
  bool done = false;
};
Status ReadChain(store::Store& log, ChainCursor& cursor, size_t max_entries, size_t max_bytes,
                 std::vector<store::RawEntry>& out);

struct ReconcileLimits {
  size_t batch_entries = kMaxBatchEntries;  // at most kMaxBatchEntries
  size_t batch_bytes = 1u << 20;
  // Batches received are stored together once this many entries or bytes have arrived,
  // and when their phase ends: a store transaction's cost is mostly index pages written
  // whole, so one per batch would write the same pages ten times (docs/benchmarks.md). A
  // session cut before then stores none of them; the next sync sends them again. The bytes
  // bound is what a hub may hold per connection (times --max-connections at worst).
  size_t store_entries = kIngestTransaction;
  size_t store_bytes = 8u << 20;
};

struct ReconcileTotals {
  uint64_t messages_sent = 0, messages_received = 0;
  uint64_t entries_sent = 0, entries_received = 0;
  ImportReport imported;  // summed over batches (reasons capped)
};

class Reconciler {
 public:
  struct Local {
    store::Store* log = nullptr;
    // Root and administrator keys as this node knows them now (it may learn more in phase 1).
    std::function<std::vector<PublicKey>()> org_authors;
    // Hub keys: phase 3 carries their chains (the receipts a hub wrote as phase 2 ended).
    std::function<std::vector<PublicKey>()> receipt_authors;
    // The one ingest path, with whatever the node does after it.
    std::function<Result<ImportReport>(const std::vector<store::RawEntry>&, int64_t now_ms)>
        ingest;
    // After each phase (the network session re-checks its peer after the org log).
    std::function<Status(Phase)> phase_done;
  };

  explicit Reconciler(Local local, ReconcileLimits limits = {});

  // Queues this side's first message.
  Status Start();
  // The peer's next message. A message out of step is a protocol error (Corruption).
  Status Receive(const Message& m, int64_t now_ms);
  // The next message to send now, if any (entries are read from the store lazily).
  Result<std::optional<Message>> Next();

  bool finished() const { return finished_; }
  Phase phase() const { return phase_; }
  const ReconcileTotals& totals() const { return totals_; }

 private:
  Status StartPhase(Phase phase);
  Status Plan();
  Status Queue(const SendPlan& plan);
  bool Quiet() const;
  Status MaybeFinishPhase();
  Status StoreArrived();

  Local local_;
  ReconcileLimits limits_;
  ReconcileTotals totals_;
  Phase phase_ = Phase::kOrgLog;
  bool started_ = false, finished_ = false;
  // This phase.
  std::vector<store::Head> mine_;
  Id my_digest_{}, my_all_digest_{};
  bool nothing_new_ = false;  // phase 1 found both digests equal: no phase 2
  bool have_peer_digest_ = false, have_peer_heads_ = false;
  std::vector<store::Head> theirs_;
  std::deque<Message> control_;
  std::deque<ChainCursor> chains_;
  std::map<PublicKey, std::pair<uint64_t, uint64_t>> probing_;  // lowest, highest seq asked
  std::set<PublicKey> answered_;                                 // probes answered, by author
  size_t probes_answered_ = 0;
  bool sent_done_ = false, received_done_ = false;
  // Received, not stored yet (StoreArrived).
  std::vector<store::RawEntry> arrived_;
  size_t arrived_bytes_ = 0;
  int64_t arrived_ms_ = 0;
};

}  // namespace fieldcase::sync
