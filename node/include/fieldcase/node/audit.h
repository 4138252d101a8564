// What `fieldcase verify --report` states about a data folder: the checks of VerifyFolder,
// and per author key what this store holds of its chain — so a report can be filed, and a
// later look at the same store (`fieldcase report check --store`) can show that nothing it
// covered has gone since.
#pragma once

#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/data_dir.h"
#include "fieldcase/store/store.h"
#include "fieldcase/store/verify.h"

namespace fieldcase::node {

class Node;

struct AuthorAudit {
  PublicKey author{};
  std::string fingerprint;  // org::Fingerprint(org id, author): read aloud to compare keys
  std::string role;         // from the key's certificate; "unenrolled" without one
  bool revoked = false;
  std::string person_id;  // hex; empty when unenrolled
  std::string name, badge;  // only where this device holds the directory key
  store::AuthorCounts counts;
  std::vector<store::Head> heads;  // the chain's newest entry; one per branch when forked
};

struct Audit {
  Id org_id{};
  std::string org_name;
  std::string org_fingerprint;  // org::OrgFingerprint(org id)
  Id heads_digest{};            // sync::HeadsDigest of every head: what a peer compares
  int64_t entries = 0;
  store::VerifyReport verify;
  std::vector<AuthorAudit> authors;  // by author key
};

// Keyless: roles are in clear. With `unlocked` (this folder's node, holding the directory
// key), people are named.
Result<Audit> AuditFolder(const store::DataDir& dir, const Node* unlocked);

// The store still holds what a report covered: for every head the report names, the entry
// with that id at that (author, seq), and every seq of the chain below it. Each loss is
// one line ("author 3f2a…: seq 18 to 20 missing (the report covered up to 20, head …)").
// Empty: everything covered is held. Append-only growth since the report is not a loss.
struct Coverage {
  Id org_id{};
  std::vector<store::Head> heads;
};
Result<std::vector<std::string>> CheckCoverage(const store::DataDir& dir, const Coverage& covered);

}  // namespace fieldcase::node
