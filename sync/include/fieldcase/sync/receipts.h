// Hub receipts held by a device (org/receipt_payload.h): what they prove lost, and what
// proves a hub kept two histories.
//
// Only receipts of keys enrolled as hubs mean anything; a receipt counts against this store
// once it is accepted and the store has held every head it covers ("complete"): from then
// on an entry it covers that the store lacks was lost here, not merely not received yet.
// Each time entries settle, receipts that arrived since are examined once and those not
// yet complete wait (meta "receipt-marks", one value written whole: the last receipt row
// examined with its id, and at most kMaxWaitingReceipts waiting ids). When the waiting list
// is full, newer receipts are not examined until it drains; marks that do not match the
// store (a row reused after the pending bound dropped rows) are started over. Both can hide
// a loss; neither can invent one. An attacker who can edit the database can drop the marks,
// but can as well drop the receipts themselves — what receipts add is that a truncation of
// the entries alone is caught.
//
// A hub equivocates when its receipts cannot all be true of one history:
//   - two receipts by one hub key at one seq of its chain (it kept two receipt chains), or
//   - a later receipt of its chain names a head of an author whose chain, as held here,
//     has another entry at the seq of a head an earlier receipt named, and no head of it
//     passes through that entry (it showed that author's chain without an entry it had
//     shown before). Only positive proof counts: a chain not held, or shorter, proves
//     nothing.
// Either is kept as proof (both receipts, held as entries) and reported like a fork.
#pragma once

#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

struct ReceiptLoss {
  Id receipt{};
  PublicKey hub{};
  uint64_t hub_seq = 0;
  uint64_t hub_time_ms = 0;
  PublicKey author{};
  uint64_t covered_seq = 0;            // the receipt's head of that author
  std::vector<uint64_t> missing_seqs;  // at or below covered_seq, not held here
  std::string what;                    // one line naming all of the above
};

struct HubEquivocation {
  PublicKey hub{};
  Id first{}, second{};  // the two receipts
  std::string what;
};

struct ReceiptFindings {
  size_t receipts = 0, complete = 0;
  uint64_t newest_complete_ms = 0;  // the hub's time in the newest complete receipt
  std::vector<ReceiptLoss> lost;
  std::vector<HubEquivocation> equivocations;
};

inline constexpr size_t kMaxWaitingReceipts = 10000;

// Examines the receipts that arrived since the last call and those still waiting.
Status NoteCompleteReceipts(store::Store& log);
// Reads only. kFull (verify): losses against complete receipts and both kinds of
// equivocation, reading every receipt. kQuick (status): counts and two receipts at one hub
// seq, from the headers alone.
enum class ReceiptCheck { kQuick, kFull };
Result<ReceiptFindings> CheckReceipts(store::Store& log, ReceiptCheck depth = ReceiptCheck::kFull);

}  // namespace fieldcase::sync
