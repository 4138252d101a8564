// Keyless looks at a data folder — no passphrase, no keys — for `fieldcase verify` and
// `fieldcase status`, and for hubs and auditors, who hold no case key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/store/data_dir.h"
#include "fieldcase/store/store.h"
#include "fieldcase/store/verify.h"

namespace fieldcase::node {

// Every structural check of store::VerifyStore with the organisation's payload rules; then
// the statuses derived again from the set of entries and compared with the status column,
// so a status changed by hand (quarantined made accepted) is found too; then the hub
// receipts held: an entry a complete receipt covers and the store lacks is a problem
// ("missing after receipt"), and a hub's contradicting receipts are named as equivocation.
Result<store::VerifyReport> VerifyFolder(const store::DataDir& dir);

struct FolderSummary {
  std::string org_name;
  std::optional<Id> org_id;
  std::map<PublicKey, org::Role> roles;  // from accepted certificates (plaintext)
  std::vector<store::Head> heads;
  int64_t entries = 0;
  std::vector<store::ForkSeq> forks;
  std::vector<std::string> equivocations;  // hub equivocations (sync/receipts.h)
  int64_t receipts = 0, receipts_complete = 0;
  int64_t newest_receipt_ms = 0;  // hub time of the newest complete receipt
  std::optional<std::string> halted;  // why writing is stopped, when it is
};
Result<FolderSummary> Summarize(const store::DataDir& dir);

}  // namespace fieldcase::node
