#include "fieldcase/node/inspect.h"

#include <filesystem>
#include <new>
#include <system_error>
#include <thread>

#include "fieldcase/org/membership.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/sync/receipts.h"
#include "fieldcase/sync/statuses.h"
#include "parts.h"

namespace fieldcase::node {

namespace {

// What the entries say every status is, read on its own connection.
struct Derivation {
  std::unique_ptr<store::Store> log;
  Result<sync::DerivedStatuses> derived = Status::IOError("statuses were not derived");
};

void Derive(const store::DataDir& dir, Derivation& out) {
  try {
    auto log = OpenLogReadOnly(dir);
    if (!log.ok()) {
      out.derived = log.status();
      return;
    }
    out.log = std::move(log).value();
    out.derived = sync::DeriveStatuses(*out.log);
  } catch (const std::bad_alloc&) {
    out.derived = Status::IOError("out of memory while deriving statuses; close other programs and run verify again");
  }
}

}  // namespace

Result<store::VerifyReport> VerifyFolder(const store::DataDir& dir) {
  // The statuses are derived beside the signature checks, not after them: on two cores the
  // checks leave little idle, but the two passes are each partly serial (issue 8 #6).
  Derivation derivation;
  std::thread deriving;
  try {
    deriving = std::thread([&] { Derive(dir, derivation); });
  } catch (const std::system_error&) {
    // No thread to spare: derived after the checks, below.
  }
  auto checked = store::VerifyStore(dir.db(), org::ValidateKeyOrControl);
  if (deriving.joinable()) {
    deriving.join();
  } else if (checked.ok() && checked->ok()) {
    Derive(dir, derivation);
  }
  FC_ASSIGN_OR_RETURN(store::VerifyReport rep, std::move(checked));
  if (!rep.ok()) return rep;
  FC_ASSIGN_OR_RETURN(sync::DerivedStatuses derived, std::move(derivation.derived));
  store::Store* log = derivation.log.get();
  FC_ASSIGN_OR_RETURN(sync::ReceiptFindings receipts, sync::CheckReceipts(*log));
  rep.receipts = int64_t(receipts.receipts);
  rep.receipts_complete = int64_t(receipts.complete);
  for (auto& l : receipts.lost) {
    rep.problems.push_back({l.receipt, l.author, l.covered_seq, std::move(l.what)});
  }
  for (auto& e : receipts.equivocations) {
    rep.equivocations.push_back({e.second, e.hub, 0, std::move(e.what)});
  }
  if (!derived.validity.root) {
    rep.problems.push_back({{},
                            {},
                            0,
                            "the organisation's founding entry is not held (or does "
                            "not name this store's organisation)"});
  }
  // A sync in progress (verify takes no lock) or one cut before it settled: the column lags
  // behind the entries until the next settle. Named, not counted as a fault.
  FC_ASSIGN_OR_RETURN(sync::StaleMark stale, sync::ReadStaleMark(*log));
  if (stale.present) {
    rep.missing.push_back({{}, {}, 0,
                           "statuses are still being settled (a sync in progress, or one cut "
                           "short: the next unlock settles them); their comparison is skipped"});
    return rep;
  }
  for (size_t i = 0; i < derived.ids.size(); ++i) {
    const store::EntryStatus stored = derived.stored[i], st = derived.validity.status[i];
    if (stored == st) continue;
    rep.problems.push_back({derived.ids[i],
                            {},
                            0,
                            std::string("status column says ") + store::ToString(stored) +
                                ", the entries say " + store::ToString(st)});
  }
  return rep;
}

Result<FolderSummary> Summarize(const store::DataDir& dir) {
  if (!std::filesystem::exists(dir.db())) {
    return Status::NotFound("no fieldcase store in " + dir.root.string() +
                            "; run `fieldcase init` to make this device and join an organisation (or `fieldcase init --org NAME` to found one), or pass --data DIR");
  }
  FC_RETURN_IF_ERROR(RefuseHalfMade(dir));
  FC_ASSIGN_OR_RETURN(auto log, OpenLogReadOnly(dir));
  FolderSummary out;
  out.org_id = log->org_id();
  // No directory key: roles and the org name are in clear, names are not.
  FC_ASSIGN_OR_RETURN(auto members, org::Membership::LearnKeyless(*log));
  out.org_name = members.org_name();
  for (const auto& [key, m] : members.members()) out.roles.emplace(key, m.role);
  FC_ASSIGN_OR_RETURN(out.heads, log->Heads());
  FC_ASSIGN_OR_RETURN(out.entries, log->CountEntries());
  FC_ASSIGN_OR_RETURN(out.forks, log->Forks());
  // Status stays quick on a store with years of receipts: past kFullCheckReceipts only
  // the headers are read (two receipts at one hub seq); verify always reads them all.
  constexpr size_t kFullCheckReceipts = 2000;
  FC_ASSIGN_OR_RETURN(sync::ReceiptFindings receipts,
                      sync::CheckReceipts(*log, sync::ReceiptCheck::kQuick));
  if (receipts.receipts <= kFullCheckReceipts) {
    FC_ASSIGN_OR_RETURN(receipts, sync::CheckReceipts(*log, sync::ReceiptCheck::kFull));
  }
  for (auto& e : receipts.equivocations) out.equivocations.push_back(std::move(e.what));
  out.receipts = int64_t(receipts.receipts);
  out.receipts_complete = int64_t(receipts.complete);
  out.newest_receipt_ms = int64_t(receipts.newest_complete_ms);
  FC_ASSIGN_OR_RETURN(auto halted, log->GetMeta("halted"));
  if (halted) out.halted = std::string(AsChars(*halted));
  return out;
}

}  // namespace fieldcase::node
