// Keyless verification of a whole store, for officers, hubs and auditors alike: every
// signature, chain link, id, payload hash and hlc, re-derived from the stored bytes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"

namespace fieldcase::store {

struct VerifyProblem {
  Id id{};  // zero when the row is too damaged to name
  PublicKey author{};
  uint64_t seq = 0;
  std::string what;  // one line: "bad signature", "payload hash mismatch", …
};

// Two validly signed entries for one (author, seq): the proof is both headers with their
// signatures. Not a fault of this store; a fault of the device that signed both.
struct ForkProof {
  PublicKey author{};
  uint64_t seq = 0;
  std::vector<Id> ids;
  std::vector<Bytes> headers;  // header ‖ signature of each branch
};

struct VerifyReport {
  int64_t entries = 0;
  int64_t payloads = 0;
  int64_t authors = 0;
  int64_t accepted = 0, pending = 0, needs_upgrade = 0, quarantined = 0;
  std::vector<VerifyProblem> problems;
  // What this store lacks without being at fault: key and control entries held without
  // their payloads. Named, so an auditor sees them; `ok()` does not depend on them.
  std::vector<VerifyProblem> missing;
  std::vector<ForkProof> forks;
  // Proof that a hub kept two histories (sync/receipts.h), filled in beside the store's
  // own checks; like forks, not a fault of this store.
  std::vector<VerifyProblem> equivocations;
  int64_t receipts = 0, receipts_complete = 0;
  bool ok() const { return problems.empty(); }
};

// Opens the database read-only; needs no keys and no passphrase. `validator` (sync/'s
// strict decoder) re-checks every key and control payload held.
Result<VerifyReport> VerifyStore(const std::filesystem::path& db_path,
                                 const PayloadValidator& validator);

}  // namespace fieldcase::store
