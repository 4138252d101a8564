#include "fieldcase/sync/statuses.h"

#include <vector>

namespace fieldcase::sync {

namespace {
constexpr std::string_view kStaleMark = "statuses-stale";
}  // namespace

using store::Kind;

Result<DerivedStatuses> DeriveStatuses(store::Store& log) {
  if (!log.org_id()) return Status::Corruption("the store has no organisation id");
  DerivedStatuses out;
  std::vector<org::ValidityInput> inputs;
  store::EntryFilter headers;
  headers.payloads = false;
  FC_RETURN_IF_ERROR(log.ForEach(headers, [&](store::StoredEntry& se) {
    out.stored[se.entry.id] = se.status;
    if (se.entry.header.kind != uint8_t(Kind::kKey) &&
        se.entry.header.kind != uint8_t(Kind::kControl)) {
      se.entry.payload = Bytes{};  // a data payload is not read: no rule depends on it
      inputs.push_back(org::MakeValidityInput(se));
    }
    return Status::Ok();
  }));
  for (uint8_t kind : {uint8_t(Kind::kKey), uint8_t(Kind::kControl)}) {
    store::EntryFilter f;
    f.kind = kind;
    FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
      inputs.push_back(org::MakeValidityInput(se));
      return Status::Ok();
    }));
  }
  out.validity = org::ComputeValidity(*log.org_id(), inputs);
  return out;
}

Result<size_t> RecomputeStatuses(store::Store& log) {
  FC_ASSIGN_OR_RETURN(DerivedStatuses d, DeriveStatuses(log));
  std::vector<std::pair<Id, store::EntryStatus>> changed;
  for (const auto& [id, st] : d.validity.status) {
    if (d.stored[id] != st) changed.emplace_back(id, st);
  }
  FC_RETURN_IF_ERROR(log.SetStatuses(changed));
  FC_ASSIGN_OR_RETURN(int64_t dropped, log.DropOldestPending());
  (void)dropped;
  FC_RETURN_IF_ERROR(log.DeleteMeta(kStaleMark));
  return changed.size();
}

Status MarkStatusesStale(store::Store& log) { return log.PutMeta(kStaleMark, AsBytes("1")); }

Result<bool> RecomputeIfStale(store::Store& log) {
  FC_ASSIGN_OR_RETURN(auto mark, log.GetMeta(kStaleMark));
  if (!mark) return false;
  FC_RETURN_IF_ERROR(RecomputeStatuses(log).status());
  return true;
}

}  // namespace fieldcase::sync
