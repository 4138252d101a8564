#include "signer.h"

#include "fieldcase/base/byte_io.h"

namespace fieldcase::node {

using org::Role;

void Signer::AdoptCertified(const org::Membership& members) {
  if (pending_) {
    if (const org::Member* m = members.Find(pending_->public_key())) {
      keys_.insert_or_assign(m->role, std::move(*pending_));
      pending_.reset();
    }
  }
  if (successor_) {
    if (const org::Member* m = members.Find(successor_->public_key())) {
      keys_.insert_or_assign(m->role, std::move(*successor_));
      successor_.reset();
    }
  }
}

void Signer::Unadopt(const PublicKey& key) {
  if (pending_) return;
  for (auto it = keys_.begin(); it != keys_.end(); ++it) {
    if (it->second.public_key() == key) {
      pending_ = std::move(it->second);
      keys_.erase(it);
      return;
    }
  }
}

std::vector<std::pair<Role, PublicKey>> Signer::Roles() const {
  std::vector<std::pair<Role, PublicKey>> out;
  for (const auto& [role, key] : keys_) out.emplace_back(role, key.public_key());
  return out;
}

std::set<PublicKey> Signer::OwnKeys() const {
  std::set<PublicKey> own;
  for (const auto& [role, key] : keys_) own.insert(key.public_key());
  if (pending_) own.insert(pending_->public_key());
  return own;
}

Status Signer::SeedClock(store::Store& log) {
  FC_ASSIGN_OR_RETURN(auto seen, log.GetMeta("clock"));
  if (seen) {
    // Not exactly a u64: a damaged value, and the heads below still seed the clock.
    ByteReader r(*seen);
    uint64_t v = 0;
    if (r.U64(v, "clock").ok() && r.End("clock").ok()) clock_.Observe(v, record::HlcMillis(v));
  }
  for (const auto& [role, key] : keys_) {
    FC_ASSIGN_OR_RETURN(auto head, log.HeadOf(key.public_key()));
    if (head) clock_.Observe(head->hlc, record::HlcMillis(head->hlc));
  }
  return Status::Ok();
}

Status Signer::CheckMayWrite(Role role, const org::Membership& members, store::Store& log) const {
  if (!keys_.count(role)) {
    if (pending_) {
      return Status::NotPermitted(
          "this device is not enrolled yet: send `fieldcase enrol-request` to an "
          "administrator, then run `fieldcase join RESPONSE`");
    }
    return Status::NotPermitted(std::string("this device holds no ") + ToString(role) +
                                " key, so it cannot write this");
  }
  const PublicKey& pk = keys_.at(role).public_key();
  if (members.IsRetired(pk)) {
    return Status::NotPermitted(
        "this key was replaced by a successor enrolment; it writes no more");
  }
  FC_ASSIGN_OR_RETURN(bool forked, log.HasForkEvidence(pk));
  if (forked) {
    return Status::NotPermitted(
        "this device's key has two different entries at one place in its chain (a clone or "
        "a restore): its entries from there on are quarantined. Ask an administrator to "
        "revoke it and enrol a successor");
  }
  if (members.HasCutOff(pk)) {
    return Status::NotPermitted(
        "this device's key was revoked; its later entries would be quarantined. Ask an "
        "administrator for a new enrolment");
  }
  FC_ASSIGN_OR_RETURN(auto halted, log.GetMeta("halted"));
  if (halted) return Status::NotPermitted(std::string(AsChars(*halted)));
  return Status::Ok();
}

Result<std::vector<store::Entry>> Signer::SignAll(std::vector<Draft>& drafts, const Id& org_id,
                                                  store::Store& log, int64_t now_ms) {
  std::map<PublicKey, std::pair<uint64_t, Id>> next;  // author → (last seq, last id)
  std::vector<store::Entry> out;
  out.reserve(drafts.size());
  for (Draft& d : drafts) {
    const crypto::SigningKey& key = keys_.at(d.role);
    auto it = next.find(key.public_key());
    if (it == next.end()) {
      FC_ASSIGN_OR_RETURN(auto head, log.HeadOf(key.public_key()));
      std::pair<uint64_t, Id> last{0, Id{}};
      if (head) last = {head->seq, head->id};
      it = next.emplace(key.public_key(), last).first;
    }
    store::Header& h = d.header;
    h.version = store::kVersion1;
    h.author = key.public_key();
    h.seq = it->second.first + 1;
    h.prev = it->second.second;
    FC_ASSIGN_OR_RETURN(h.hlc, clock_.Tick(uint64_t(now_ms)));
    FC_ASSIGN_OR_RETURN(Bytes payload, d.make_payload(h));
    out.push_back(store::SignEntry(h, std::move(payload), org_id, key));
    it->second = {h.seq, out.back().id};
  }
  return out;
}

Result<std::vector<Id>> Signer::Commit(std::vector<Draft>& drafts, const Id& org_id,
                                       const org::Membership& members, store::Store& log,
                                       int64_t now_ms) {
  std::set<Role> roles;
  for (const auto& d : drafts) roles.insert(d.role);
  for (Role r : roles) FC_RETURN_IF_ERROR(CheckMayWrite(r, members, log));
  FC_ASSIGN_OR_RETURN(auto entries, SignAll(drafts, org_id, log, now_ms));
  FC_ASSIGN_OR_RETURN(auto results, log.AppendBatch(entries, /*locally_signed=*/true, now_ms));
  std::vector<Id> ids;
  for (auto& r : results) {
    if (!r.status.ok()) return r.status.Prefixed("writing");
    ids.push_back(r.id);
  }
  return ids;
}

}  // namespace fieldcase::node
