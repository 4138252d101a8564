// Members of the organisation as its accepted control entries describe them: the founding
// entry (org name, recovery recipient), certificates and cut-offs. A value built from the
// entries by one pure function; every question about "who" is asked of it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

struct Member {
  PublicKey key{};
  Role role = Role::kOfficer;
  Id128 person_id{};
  std::optional<Personal> personal;  // when the directory key opens it
  uint64_t expiry_ms = 0;
  PublicKey box_key{};                   // the device's X25519 key, for sealed wraps
  std::optional<PublicKey> predecessor;  // the key this one succeeds
};

struct MemberView {
  Member member;
  bool revoked = false;
  bool is_this_device = false;
};

class Membership {
 public:
  Membership() = default;
  // From the entries whose status is accepted (others are ignored), in any order: they
  // are applied in the canonical order (record/entry_stamp.h), so "the first certificate
  // of a key counts" picks the same one on every node. With the directory key, names and
  // badges are opened.
  static Membership Learn(const Id& org_id, std::vector<store::StoredEntry> control,
                          const crypto::SecretBytes* directory_key);
  // The same from every control entry a store holds, without the directory key (roles
  // and the org name are in clear; names are not): what keyless readers need.
  static Result<Membership> LearnKeyless(store::Store& log);

  const std::string& org_name() const { return org_name_; }
  const PublicKey& recovery_public() const { return recovery_public_; }
  const std::map<PublicKey, Member>& members() const { return members_; }
  const std::vector<CutOff>& cut_offs() const { return cut_offs_; }

  const Member* Find(const PublicKey& key) const;
  bool IsRetired(const PublicKey& key) const { return retired_.count(key) > 0; }
  // Whether a revocation (not an accept-up-to) names the key.
  bool IsRevoked(const PublicKey& key) const;
  bool HasCutOff(const PublicKey& key) const;

  // One lookup for people and devices: a key prefix (6+ hex digits), a name or a badge.
  std::vector<const Member*> Match(std::string_view text) const;
  // Exactly one device, or an error that says how to be precise.
  Result<PublicKey> ResolveDevice(std::string_view text) const;
  // Exactly one person (a person may have several devices).
  Result<Id128> ResolvePerson(std::string_view text) const;

  // X25519 keys of devices whose key has been revoked.
  std::set<PublicKey> RevokedBoxKeys() const;
  // Current devices that read cases: officer and supervisor keys not revoked, optionally
  // only those of the given persons. Sorted, so wraps come out in one order.
  std::vector<PublicKey> ReaderDevices(const std::set<Id128>* persons = nullptr) const;
  // The person an X25519 key names, if any (see box_owner_).
  std::optional<Id128> OwnerOf(const PublicKey& box_key) const;
  // Persons named by these X25519 keys.
  std::set<Id128> PersonsOf(const std::set<PublicKey>& box_keys) const;
  // The root and admin keys: the authors of the org log.
  std::vector<PublicKey> OrgAuthors() const;
  // Every member with its state, sorted by (role, key); `own` marks this device's keys.
  std::vector<MemberView> Views(const std::set<PublicKey>& own) const;

 private:
  void LearnOne(const Id& org_id, const store::StoredEntry& se,
                const crypto::SecretBytes* directory_key);

  std::string org_name_;
  PublicKey recovery_public_{};
  std::map<PublicKey, Member> members_;
  std::vector<CutOff> cut_offs_;  // accepted revocations and accept-up-tos
  std::set<PublicKey> retired_;   // keys replaced by a successor enrolment
  // Box key → the person it names: the first certificate (canonical order) that carries
  // it; never the recovery key or a key no one can seal to (as org/validity.h).
  std::map<PublicKey, Id128> box_owner_;
};

}  // namespace fieldcase::org
