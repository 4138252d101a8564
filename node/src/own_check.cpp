// The checks `verify --device` adds to the keyless verify: they need the keystore to know
// which keys are this device's.
#include "fieldcase/node/node.h"
#include "parts.h"

namespace fieldcase::node {

Result<std::vector<store::VerifyProblem>> Node::CheckOwnEntries() {
  std::vector<store::VerifyProblem> problems;
  for (const auto& [role, key] : own_keys()) {
    store::EntryFilter mine;
    mine.author = key;
    int64_t written = 0;
    FC_RETURN_IF_ERROR(p_->log->ForEach(mine, [&](store::StoredEntry& se) {
      ++written;
      if (!se.entry.payload) {
        problems.push_back({se.entry.id, key, se.entry.header.seq,
                            "written by this device's " + std::string(org::ToString(role)) +
                                " key, but its payload is gone from the database (deleted "
                                "by hand or by a tool); restore the folder from a backup"});
      }
      return Status::Ok();
    }));
    if (written == 0 && !p_->members.members().count(key)) {
      problems.push_back({{}, key, 0,
                          "this device's " + std::string(org::ToString(role)) +
                              " key has neither written an entry here nor is enrolled by one: "
                              "the database was emptied or replaced; restore the folder from a "
                              "backup"});
    }
  }
  return problems;
}

}  // namespace fieldcase::node
