// Node: key generations — team-key rotation, lazy case-key rotation after a revocation,
// grants of the team key, restricted cases and recovery grants (DESIGN §5).
#include "fieldcase/node/node.h"
#include "parts.h"

namespace fieldcase::node {

using org::KeyOpCode;
using org::Role;

namespace {

Bytes PreviousWrap(const crypto::SecretBytes& previous, const Id128& previous_id,
                   const crypto::SecretBytes& key, const Id128& key_id, const Id& org_id,
                   const Id128& case_id) {
  return org::WrapUnderTeamKey(previous, key, key_id, org_id, case_id, previous_id).blob;
}

// A grant of an existing key: sealed to each of `devices`.
Draft GrantDraft(Role role, const Id128& case_id, const org::KeyRef& ref,
                 const crypto::SecretBytes& key, const Id& org_id, std::vector<PublicKey> devices) {
  return KeyDraft(role, case_id,
                  [&key, ref, org_id, devices = std::move(devices)](org::KeyPayload& k,
                                                                    const store::Header& h) {
                    k.op = KeyOpCode::kGrant;
                    k.key_id = ref.key_id;
                    k.generation = ref.generation;
                    k.check = org::KeyCheck(key);
                    for (const auto& d : devices) {
                      FC_ASSIGN_OR_RETURN(auto wrap,
                                          org::WrapSealed(key, d, org_id, h.case_id, ref.key_id));
                      k.wraps.push_back(std::move(wrap));
                    }
                    return Status::Ok();
                  });
}

}  // namespace

bool Node::Parts::ExposedToRevoked(const Id128& key_id) const {
  const std::set<PublicKey> revoked_boxes = members.RevokedBoxKeys();
  // A revoked device could know a key it was sealed to, and one it wrote or granted itself
  // (issue 7 #3: a revoked introducer must not read what is written after).
  auto known_to_revoked = [&](const org::KeyInfo& i) {
    if (members.IsRevoked(i.introducer)) return true;
    for (const auto& g : i.granters)
      if (members.IsRevoked(g)) return true;
    for (const auto& r : i.recipients)
      if (revoked_boxes.count(r)) return true;
    return false;
  };
  const org::KeyInfo* info = ring.Info(key_id);
  if (info == nullptr) return false;
  if (known_to_revoked(*info)) return true;
  // A key wrapped under a team key is known to whoever knows that team key, or any later
  // generation (which carries the earlier ones).
  for (const Id128& team : info->wrapped_under) {
    const org::KeyInfo* t = ring.Info(team);
    const uint32_t gen = t == nullptr ? 0 : t->generation;
    for (const Id128& id : ring.team_keys()) {
      const org::KeyInfo* other = ring.Info(id);
      if (other && other->generation >= gen && known_to_revoked(*other)) return true;
    }
  }
  return false;
}

Result<std::vector<org::Wrap>> Node::Parts::CaseKeyWraps(const crypto::SecretBytes& key,
                                                         const Id128& case_id, const Id128& key_id,
                                                         const std::set<Id128>* persons) const {
  std::vector<org::Wrap> wraps;
  auto seal_to = [&](const PublicKey& r) -> Status {
    FC_ASSIGN_OR_RETURN(auto wrap, org::WrapSealed(key, r, org_id, case_id, key_id));
    wraps.push_back(std::move(wrap));
    return Status::Ok();
  };
  if (persons) {
    std::set<PublicKey> to;
    for (const auto& d : members.ReaderDevices(persons)) to.insert(d);
    if (device) to.insert(device->public_key());
    if (!IsZero(members.recovery_public())) to.insert(members.recovery_public());
    for (const auto& r : to) FC_RETURN_IF_ERROR(seal_to(r));
    return wraps;
  }
  const auto& team = ring.preferred_team_key();
  if (team && !ExposedToRevoked(team->key_id)) {
    wraps.push_back(
        org::WrapUnderTeamKey(key, *ring.Key(team->key_id), team->key_id, org_id, case_id, key_id));
    return wraps;
  }
  for (const auto& r : members.ReaderDevices()) FC_RETURN_IF_ERROR(seal_to(r));
  return wraps;
}

Status Node::Parts::RotateCaseKeyIfExposed(const Id128& case_id, int64_t now_ms) {
  const auto old = ring.PreferredCaseKey(case_id);
  if (!old || !ExposedToRevoked(old->key_id)) return Status::Ok();
  const org::KeyInfo info = *ring.Info(old->key_id);
  const std::set<Id128> persons = members.PersonsOf(info.recipients);
  FC_ASSIGN_OR_RETURN(Id orglog, CurrentOrgLogDigest());
  auto key = crypto::SecretBytes::Random(org::kSymmetricKeyBytes);
  const crypto::SecretBytes& old_key = *ring.Key(old->key_id);
  std::vector<Draft> drafts;
  drafts.push_back(
      KeyDraft(signer.writer_role(), case_id, [&](org::KeyPayload& k, const store::Header& h) {
        k.op = KeyOpCode::kCaseKey;
        k.key_id = store::KeyIdFor(h.author, h.seq);
        k.generation = old->generation + 1;
        k.previous_key_id = old->key_id;
        k.orglog_digest = orglog;
        k.check = org::KeyCheck(key);
        FC_ASSIGN_OR_RETURN(
            k.wraps, CaseKeyWraps(key, case_id, k.key_id, info.restricted ? &persons : nullptr));
        k.previous_wrap = PreviousWrap(old_key, old->key_id, key, k.key_id, org_id, case_id);
        return Status::Ok();
      }));
  return Commit(std::move(drafts), now_ms).status();
}

Status Node::Parts::GrantMissingTeamKeys(int64_t now_ms) {
  const auto team = ring.preferred_team_key();
  if (!signer.Has(Role::kSupervisor) || !team) return Status::Ok();
  if (!signer.CheckMayWrite(Role::kSupervisor, members, *log).ok())
    return Status::Ok();  // revoked or stopped
  const org::KeyInfo& info = *ring.Info(team->key_id);
  std::vector<PublicKey> missing;
  for (const auto& d : members.ReaderDevices()) {
    if (!info.recipients.count(d)) missing.push_back(d);
  }
  if (missing.empty()) return Status::Ok();
  std::vector<Draft> drafts;
  drafts.push_back(GrantDraft(Role::kSupervisor, Id128{}, *team, *ring.Key(team->key_id), org_id,
                              std::move(missing)));
  return Commit(std::move(drafts), now_ms).status();
}

Result<Id128> Node::RotateTeamKey(int64_t now_ms) {
  Parts& p = *p_;
  FC_RETURN_IF_ERROR(p.signer.CheckMayWrite(Role::kSupervisor, p.members, *p.log));
  const std::optional<org::KeyRef> prev = p.ring.preferred_team_key();
  FC_ASSIGN_OR_RETURN(Id orglog, p.CurrentOrgLogDigest());
  auto key = crypto::SecretBytes::Random(org::kSymmetricKeyBytes);
  std::set<PublicKey> to;
  for (const auto& d : p.members.ReaderDevices()) to.insert(d);
  if (p.device) to.insert(p.device->public_key());
  Id128 key_id{};
  std::vector<Draft> drafts;
  drafts.push_back(
      KeyDraft(Role::kSupervisor, Id128{}, [&](org::KeyPayload& k, const store::Header& h) {
        k.op = KeyOpCode::kTeamKey;
        k.key_id = key_id = store::KeyIdFor(h.author, h.seq);
        k.generation = prev ? prev->generation + 1 : 1;
        k.orglog_digest = orglog;
        k.check = org::KeyCheck(key);
        for (const auto& r : to) {
          FC_ASSIGN_OR_RETURN(auto wrap, org::WrapSealed(key, r, p.org_id, h.case_id, k.key_id));
          k.wraps.push_back(std::move(wrap));
        }
        if (prev) {
          k.previous_key_id = prev->key_id;
          k.previous_wrap = PreviousWrap(*p.ring.Key(prev->key_id), prev->key_id, key, k.key_id,
                                         p.org_id, h.case_id);
        }
        return Status::Ok();
      }));
  FC_RETURN_IF_ERROR(p.Commit(std::move(drafts), now_ms).status());
  return key_id;
}

Result<Id> Node::Recover(const Id128& case_id, const std::vector<Id128>& persons,
                         crypto::BoxKeyPair recovery, int64_t now_ms) {
  Parts& p = *p_;
  FC_RETURN_IF_ERROR(p.signer.CheckMayWrite(p.signer.writer_role(), p.members, *p.log));
  // The recovery secret opens the case's key only while this call runs.
  p.recovery = std::move(recovery);
  auto grant = [&]() -> Result<Id> {
    FC_RETURN_IF_ERROR(p.Reload());
    const auto key = p.ring.PreferredCaseKey(case_id);
    if (!key) {
      return Status::NotFound(
          "the recovery key opens no key of this case; only restricted cases are "
          "sealed to it");
    }
    std::set<Id128> to_persons(persons.begin(), persons.end());
    std::vector<PublicKey> devices = p.members.ReaderDevices(&to_persons);
    if (devices.empty())
      return Status::NotFound("those persons have no current officer or supervisor device");
    std::vector<Draft> drafts;
    drafts.push_back(GrantDraft(p.signer.writer_role(), case_id, *key, *p.ring.Key(key->key_id),
                                p.org_id, std::move(devices)));
    FC_ASSIGN_OR_RETURN(auto ids, p.Commit(std::move(drafts), now_ms));
    return ids.front();
  };
  Result<Id> granted = grant();
  p.ring = org::KeyRing{};  // it points at the recovery key pair: dropped before the pair
  p.recovery.reset();
  FC_RETURN_IF_ERROR(p.Reload());
  return granted;
}

}  // namespace fieldcase::node
