// Reading cases: the data entries of a case, decrypted with the key ring and merged into
// a view (record/case_state.h). Only accepted entries are in views.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/org/key_ring.h"
#include "fieldcase/record/case_state.h"
#include "fieldcase/record/entry_stamp.h"
#include "fieldcase/store/store.h"

namespace fieldcase::node {

// One entry of a case as `case history` shows it.
struct HistoryLine : record::EntryStamp {
  uint8_t kind = 0;
  std::optional<record::Op> op;  // absent when this node cannot decrypt it
  std::vector<Id> superseded_by;
  store::EntryStatus status = store::EntryStatus::kAccepted;
  // Local, never in a digest: the hlc claims a time more than 5 min after this node
  // received the entry.
  bool future_dated = false;
};

struct CaseRecord {
  Id128 case_id{};
  record::CaseView view;
};

class CaseReader {
 public:
  CaseReader(const Id& org_id, store::Store& log, const org::KeyRing& ring)
      : org_id_(org_id), log_(log), ring_(ring) {}

  Result<record::CaseView> LoadCase(const Id128& case_id) const;
  // Materialises every case the key ring knows, on `threads` threads: the scan of the log
  // overlaps with decryption (chunks of kScanChunk entries), then whole cases are merged.
  Result<std::vector<CaseRecord>> LoadAll(int threads) const;
  Result<std::vector<HistoryLine>> History(const Id128& case_id) const;
  // The adds of `tag` this node sees and no untag has removed: what an untag must name.
  Result<std::vector<Id>> LiveTagAdds(const Id128& case_id, const std::string& tag) const;

  static constexpr size_t kScanChunk = 512;

 private:
  Result<record::RecordEntry> Decrypt(const store::StoredEntry& se) const;
  Status Collect(const Id128& case_id, std::vector<store::StoredEntry>& out) const;

  const Id& org_id_;
  store::Store& log_;
  const org::KeyRing& ring_;
};

}  // namespace fieldcase::node
