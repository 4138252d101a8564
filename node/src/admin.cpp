// Node: revocation, accept-up-to and backup — an administrator's work on the org log.
#include <filesystem>

#include "fieldcase/node/node.h"
#include "parts.h"

namespace fieldcase::node {

using org::Role;

namespace {

Result<Id> WriteCutOff(Node::Parts& p, org::ControlOpCode op, const PublicKey& device, uint64_t seq,
                       const Id& id, int64_t now_ms) {
  const org::Member* m = p.members.Find(device);
  if (m == nullptr) return Status::NotFound("that key is not an enrolled member");
  if (m->role == Role::kRoot) return Status::NotPermitted("the root key cannot be revoked");
  const Role signer = m->role == Role::kAdmin ? Role::kRoot : Role::kAdmin;
  std::vector<Draft> drafts;
  drafts.push_back(ControlDraft(signer, [&] {
    return org::ControlPayload(org::CutOff{op, device, seq, id});
  }));
  FC_ASSIGN_OR_RETURN(auto ids, p.Commit(std::move(drafts), now_ms));
  FC_RETURN_IF_ERROR(p.Recompute());
  return ids.front();
}

}  // namespace

Result<Id> Node::Revoke(const PublicKey& device, int64_t now_ms) {
  const Parts& p = *p_;
  const org::Member* m = p.members.Find(device);
  if (m == nullptr) return Status::NotFound("that key is not an enrolled member");
  if (p.members.IsRevoked(device)) {
    return Status::NotPermitted("that device is already revoked; nothing was written");
  }
  for (const auto& [role, key] : own_keys()) {
    if (key == device) {
      return Status::NotPermitted(std::string("that is this device's own ") + ToString(role) +
                                  " key; revoke it from another administrator's device");
    }
  }
  if (m->role == Role::kAdmin) {
    // Administration must survive the revocation: another admin key must still count.
    bool another = false;
    for (const auto& [key, other] : p.members.members()) {
      another |= key != device && other.role == Role::kAdmin && !p.members.IsRevoked(key) &&
                 !p.members.IsRetired(key);
    }
    if (!another) {
      return Status::NotPermitted(
          "that is the organisation's last administrator key; enrol another administrator "
          "device first (`fieldcase org enrol REQUEST --role admin` where the root key is)");
    }
  }
  FC_ASSIGN_OR_RETURN(auto head, p_->log->HeadOf(device));
  const uint64_t seq = head ? head->seq : 0;
  const Id id = head ? head->id : Id{};
  return WriteCutOff(*p_, org::ControlOpCode::kRevoke, device, seq, id, now_ms);
}

Result<RevokeOutcome> Node::RevokeAndRotate(const PublicKey& device, int64_t now_ms) {
  RevokeOutcome out;
  FC_ASSIGN_OR_RETURN(out.entry, Revoke(device, now_ms));
  if (p_->signer.Has(Role::kSupervisor)) {
    auto t = RotateTeamKey(now_ms);
    if (!t.ok()) return t.status().Prefixed("revoked, but rotating the team key");
    out.team_key_rotated = true;
  }
  return out;
}

Result<Id> Node::AcceptUpTo(const PublicKey& device, uint64_t seq, int64_t now_ms) {
  std::optional<Id> at;
  store::EntryFilter f;
  f.author = device;
  f.payloads = false;
  FC_RETURN_IF_ERROR(p_->log->ForEach(f, [&](const store::StoredEntry& se) {
    if (se.entry.header.seq == seq) at = se.entry.id;
    return Status::Ok();
  }));
  if (!at)
    return Status::NotFound("no entry at seq " + std::to_string(seq) + " of that device here");
  return WriteCutOff(*p_, org::ControlOpCode::kAcceptUpTo, device, seq, *at, now_ms);
}

Status Node::Backup(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  store::DataDir target{dir};
  if (std::filesystem::exists(target.db())) {
    return Status::NotPermitted(target.db().string() + " already exists; choose an empty folder");
  }
  FC_RETURN_IF_ERROR(p_->log->BackupTo(target.db()));
  // A restored copy must not write with the old keys: they may have written since.
  FC_ASSIGN_OR_RETURN(auto copy, OpenLog(target));
  return copy->PutMeta("halted", AsBytes("this store was restored from a backup; its keys may have "
                                         "written entries since. Writing is stopped until an "
                                         "administrator enrols a successor key"));
}

}  // namespace fieldcase::node
