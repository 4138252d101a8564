// The key ring: every team and case key this device can open, and what the key entries say
// about every key, opened or not. Built from the accepted key entries by one function
// (statuses already tie grants and generations to the entries that introduce their keys,
// org/validity.h):
//   1. every introducing entry (not a grant) describes its key — scope, generation,
//      previous, check value, restricted or not — under key_id = KeyIdFor(author, seq),
//      derived from the signed header, never read from a payload;
//   2. grants add recipients to a key whose introducer is known and whose check agrees;
//   3. every wrap of a key (sealed to this device, under a team key, or the previous
//      generation carried by a later key) is a way to open it; a key is opened when it is
//      first asked for, by the first way that yields a key whose check value matches its
//      introducer's — so a wrap cannot plant a key — and kept.
// Preferred keys (DESIGN §5): highest generation, then lowest key_id, among keys held.
//
// Read when needed (issue 8 #6): the team keys at unlock, one case's key entries when that
// case is first touched, every case's only for what lists them all (`case list`). Accepted
// key entries of a case never name another case's keys (a later generation's previous key
// is of the same case, org/validity.cpp), so a case read alone is described exactly as it is
// in the whole ring; a key asked for by id that nothing read yet makes the ring read all.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

// A key by id and generation: what a writer names in a header and a payload.
struct KeyRef {
  Id128 key_id{};
  uint32_t generation = 0;
};

// What the key entries say about one key, whether or not this node can open it.
struct KeyInfo {
  Id128 case_id{};  // zero for team keys
  Id check{};       // the introducer's key-check value
  uint32_t generation = 0;
  Id128 previous{};
  PublicKey introducer{};            // the signing key that wrote its introducing entry
  std::set<PublicKey> granters;      // signing keys that wrote grants of it
  std::set<PublicKey> recipients;    // X25519 keys it was sealed to (entry and grants)
  std::vector<Id128> wrapped_under;  // team keys it was wrapped under
  bool restricted = false;           // a case key with no team-key wrap
};

// The X25519 key pairs that may open sealed wraps: the device's, and the recovery
// recipient's while `fieldcase recover` runs.
struct Openers {
  const crypto::BoxKeyPair* device = nullptr;
  const crypto::BoxKeyPair* recovery = nullptr;
};

// Where the ring reads accepted key entries from: those of one case (zero: the team keys
// and their grants), or all of them in the order they were stored.
struct KeySource {
  std::function<Result<std::vector<store::StoredEntry>>(const Id128& case_id)> of_case;
  std::function<Result<std::vector<store::StoredEntry>>()> all;
};

class KeyRing {
 public:
  KeyRing() = default;
  // Reads the team keys now, the rest from `source` when asked.
  static Result<KeyRing> Load(const Id& org_id, KeySource source, Openers openers);
  // Adds key entries written by this node a moment ago, without reading the others again: a
  // node writes only keys it holds, wrapped under keys it holds, so they can teach it no
  // key but their own (whatever else arrives is loaded whole). The same steps as Load; an
  // entry of a case not read yet is left for that case's read.
  void Learn(std::vector<store::StoredEntry> entries);

  // Read a case's key entries (or every case's) now, so that the getters below see them and
  // a read error is reported; the getters read on their own too, and treat an error as absent.
  Status EnsureCase(const Id128& case_id) const;
  Status EnsureAll() const;

  // A key is opened when first asked for, then kept: a command that touches one case opens
  // that case's key (and the team key), not every case's — the cost of a write does not grow
  // with the store (issue 8 #6). What counts as held is the same as opening everything:
  // a key is held when one of its wraps opens to a key whose check matches its introducer's.
  // Safe to call from several threads.
  const crypto::SecretBytes* Key(const Id128& key_id) const;
  // What the key entries say about a key; null for a key no accepted entry introduces.
  const KeyInfo* Info(const Id128& key_id) const;
  std::vector<Id128> team_keys() const;
  std::optional<KeyRef> preferred_team_key() const;
  std::optional<KeyRef> PreferredCaseKey(const Id128& case_id) const;
  // Every case id seen in a case-key entry, oldest first (reads every case).
  std::vector<Id128> case_order() const;
  // Whether a case-key entry names this case (it is in case_order()); reads that case only.
  bool Knows(const Id128& case_id) const;
  // Whether a case's key is sealed to named persons rather than wrapped under the team key.
  bool IsRestricted(const Id128& case_id) const;

 private:
  // One way a key may be opened: a wrap sealed to this node, a wrap under a team key, or the
  // previous-generation wrap carried by a later key (`via`).
  struct Way {
    Wrap wrap;
    Id128 via{};     // the key whose entry carries the wrap (for previous-generation wraps)
    Id128 scope{};   // the case id the wrap context binds (zero: team)
    Id128 key_id{};  // the key_id the wrap context binds
    bool previous = false;
  };
  // An accepted key entry decoded: the key it is about, its header, its payload.
  struct KeyEntry;
  static std::vector<KeyEntry> Decode(std::vector<store::StoredEntry> stored);
  void ApplyLocked(const std::vector<KeyEntry>& entries) const;
  Status EnsureCaseLocked(const Id128& case_id) const;
  Status EnsureAllLocked() const;
  const KeyInfo* InfoLocked(const Id128& key_id) const;
  const crypto::SecretBytes* OpenLocked(const Id128& key_id) const;
  std::optional<KeyRef> BestHeldLocked(const std::vector<Id128>& candidates) const;

  Id org_id_{};
  Openers openers_;
  KeySource source_;
  // Everything below is filled as entries are read and guarded by mu_; a KeyInfo once made
  // stays where it is (std::map), so a pointer to it stays valid.
  mutable std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
  mutable std::map<Id128, KeyInfo> info_;  // by key_id
  mutable std::map<Id128, std::vector<Way>> ways_;
  mutable std::map<Id128, std::vector<Id128>> case_keys_;  // case id → its keys' ids
  mutable std::vector<Id128> team_keys_;
  mutable std::set<Id128> read_cases_;  // cases whose entries were read
  mutable bool read_all_ = false;
  mutable std::vector<Id128> case_order_;  // complete once read_all_
  mutable std::set<Id128> case_seen_;
  // Opened (or found unopenable) so far.
  mutable std::map<Id128, crypto::SecretBytes> keys_;
  mutable std::set<Id128> unopenable_, opening_;
};

}  // namespace fieldcase::org
