// The signer: this device's signing keys, one role each, and the hybrid clock; it turns
// drafts into signed, chained entries and commits them in one transaction. Private to node/.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/record/hlc.h"
#include "fieldcase/store/store.h"

namespace fieldcase::node {

// An entry to sign: the caller sets kind, case_id and key_id; the signer sets author, seq,
// prev and hlc, then asks for the payload (which may depend on them). A payload that cannot
// be made (a recipient no one can open) fails the whole commit: nothing is written.
struct Draft {
  org::Role role;
  store::Header header;
  std::function<Result<Bytes>(const store::Header&)> make_payload;

  static Draft Of(org::Role role, store::Kind kind, const Id128& case_id,
                  std::function<Result<Bytes>(const store::Header&)> make_payload) {
    store::Header h;
    h.kind = uint8_t(kind);
    h.case_id = case_id;
    return Draft{role, h, std::move(make_payload)};
  }
};

class Signer {
 public:
  // A certified key of this role (from the keystore).
  void Add(org::Role role, crypto::SigningKey key) { keys_.insert_or_assign(role, std::move(key)); }
  // A key waiting for its certificate: a new device's (`init`), or a successor key.
  void SetPending(crypto::SigningKey key) { pending_ = std::move(key); }
  void SetSuccessor(crypto::SigningKey key) { successor_ = std::move(key); }
  // Moves a waiting key into place once its certificate counts: a joined device learns the
  // role of its key from its certificate; a successor takes over its predecessor's role.
  void AdoptCertified(const org::Membership& members);
  // Undoes AdoptCertified for `key` (a join that failed after the certificate counted).
  void Unadopt(const PublicKey& key);

  bool Has(org::Role role) const { return keys_.count(role) > 0; }
  const crypto::SigningKey& Key(org::Role role) const { return keys_.at(role); }
  // The role this node writes data with: officer if it has one, else supervisor.
  org::Role writer_role() const {
    return keys_.count(org::Role::kOfficer) ? org::Role::kOfficer : org::Role::kSupervisor;
  }
  bool has_writer() const { return Has(writer_role()); }
  const crypto::SigningKey& writer() const { return keys_.at(writer_role()); }
  const crypto::SigningKey* pending() const { return pending_ ? &*pending_ : nullptr; }
  const crypto::SigningKey* successor() const { return successor_ ? &*successor_ : nullptr; }
  bool empty() const { return keys_.empty(); }
  std::vector<std::pair<org::Role, PublicKey>> Roles() const;
  // Every key of this node, certified or waiting.
  std::set<PublicKey> OwnKeys() const;

  record::HybridClock& clock() { return clock_; }
  // The clock never runs behind what this node has seen: the clock imports raised (meta
  // "clock") and what its own keys wrote.
  Status SeedClock(store::Store& log);

  // Refuses to sign when this node's key may not, and says why.
  Status CheckMayWrite(org::Role role, const org::Membership& members, store::Store& log) const;
  // Checks every role, signs the drafts in order (chaining each key's entries), and
  // appends them in one transaction. Returns the ids.
  Result<std::vector<Id>> Commit(std::vector<Draft>& drafts, const Id& org_id,
                                 const org::Membership& members, store::Store& log, int64_t now_ms);

 private:
  Result<std::vector<store::Entry>> SignAll(std::vector<Draft>& drafts, const Id& org_id,
                                            store::Store& log, int64_t now_ms);

  std::map<org::Role, crypto::SigningKey> keys_;
  std::optional<crypto::SigningKey> pending_;
  std::optional<crypto::SigningKey> successor_;
  record::HybridClock clock_;
};

}  // namespace fieldcase::node
