// Node: key generations — team-key rotation, lazy case-key rotation after a revocation,
// restricted cases and recovery grants (DESIGN §5).
#include "node_impl.h"

namespace fieldcase::node {

namespace {

Bytes PreviousWrap(const crypto::SecretBytes& previous, const Id128& previous_id,
                   const crypto::SecretBytes& key, const Id128& key_id, const Id& org_id,
                   const Id128& case_id) {
  return WrapUnderTeamKey(previous, key, key_id, org_id, case_id, previous_id).blob;
}

}  // namespace

Status Node::Impl::RotateCaseKeyIfExposed(const Id128& case_id, int64_t now_ms) {
  auto ck = preferred_case_key.find(case_id);
  if (ck == preferred_case_key.end() || !ReadableByRevoked(ck->second.key_id)) return Status::Ok();
  const CaseKey old = ck->second;
  const KeyInfo info = key_info.at(old.key_id);
  std::set<Id128> persons = PersonsOf(info);
  FC_ASSIGN_OR_RETURN(Id orglog, CurrentOrgLogDigest());
  auto key = crypto::SecretBytes::Random(kSymmetricKeyBytes);
  std::vector<Draft> drafts;
  store::Header kh;
  kh.kind = uint8_t(store::Kind::kKey);
  kh.case_id = case_id;
  drafts.push_back({writer_role, kh, [&](const store::Header& h) {
                      KeyPayload p;
                      p.op = KeyOpCode::kCaseKey;
                      p.key_id = store::KeyIdFor(h.author, h.seq);
                      p.generation = old.generation + 1;
                      p.previous_key_id = old.key_id;
                      p.orglog_digest = orglog;
                      p.check = KeyCheck(key);
                      p.wraps = CaseKeyWraps(key, case_id, p.key_id,
                                             info.restricted ? &persons : nullptr);
                      p.previous_wrap = PreviousWrap(keys.at(old.key_id), old.key_id, key,
                                                     p.key_id, org_id, case_id);
                      return EncodeKeyPayload(p);
                    }});
  FC_ASSIGN_OR_RETURN(auto ids, Commit(drafts, now_ms));
  return Status::Ok();
}

Status Node::Impl::GrantMissingTeamKeys(int64_t now_ms) {
  if (!signing.count(Role::kSupervisor) || !preferred_team_key) return Status::Ok();
  if (!CheckMayWrite(Role::kSupervisor).ok()) return Status::Ok();  // revoked or stopped
  const CaseKey team = *preferred_team_key;
  const KeyInfo& info = key_info.at(team.key_id);
  std::vector<PublicKey> missing;
  for (const auto& d : ReaderDevices()) {
    if (!info.recipients.count(d)) missing.push_back(d);
  }
  if (missing.empty()) return Status::Ok();
  std::vector<Draft> drafts;
  store::Header kh;
  kh.kind = uint8_t(store::Kind::kKey);
  drafts.push_back({Role::kSupervisor, kh, [&](const store::Header& h) {
                      KeyPayload p;
                      p.op = KeyOpCode::kGrant;
                      p.key_id = team.key_id;
                      p.generation = team.generation;
                      p.check = KeyCheck(keys.at(team.key_id));
                      for (const auto& d : missing) {
                        p.wraps.push_back(WrapSealed(keys.at(team.key_id), d, org_id, h.case_id,
                                                     team.key_id));
                      }
                      return EncodeKeyPayload(p);
                    }});
  FC_ASSIGN_OR_RETURN(auto ids, Commit(drafts, now_ms));
  return Status::Ok();
}

Result<Id128> Node::RotateTeamKey(int64_t now_ms) {
  Impl& im = *impl_;
  FC_RETURN_IF_ERROR(im.CheckMayWrite(Role::kSupervisor));
  const std::optional<CaseKey> prev = im.preferred_team_key;
  FC_ASSIGN_OR_RETURN(Id orglog, im.CurrentOrgLogDigest());
  auto key = crypto::SecretBytes::Random(kSymmetricKeyBytes);
  Id128 key_id{};
  std::vector<Impl::Draft> drafts;
  store::Header kh;
  kh.kind = uint8_t(store::Kind::kKey);
  drafts.push_back({Role::kSupervisor, kh, [&](const store::Header& h) {
                      KeyPayload p;
                      p.op = KeyOpCode::kTeamKey;
                      p.key_id = key_id = store::KeyIdFor(h.author, h.seq);
                      p.generation = prev ? prev->generation + 1 : 1;
                      p.orglog_digest = orglog;
                      p.check = KeyCheck(key);
                      std::set<PublicKey> to;
                      for (const auto& d : im.ReaderDevices()) to.insert(d);
                      if (im.device) to.insert(im.device->public_key());
                      for (const auto& r : to) {
                        p.wraps.push_back(WrapSealed(key, r, im.org_id, h.case_id, p.key_id));
                      }
                      if (prev) {
                        p.previous_key_id = prev->key_id;
                        p.previous_wrap = PreviousWrap(im.keys.at(prev->key_id), prev->key_id, key,
                                                       p.key_id, im.org_id, h.case_id);
                      }
                      return EncodeKeyPayload(p);
                    }});
  FC_ASSIGN_OR_RETURN(auto ids, im.Commit(drafts, now_ms));
  return key_id;
}

Result<Id> Node::Recover(const Id128& case_id, const std::vector<Id128>& persons,
                         crypto::BoxKeyPair recovery, int64_t now_ms) {
  Impl& im = *impl_;
  FC_RETURN_IF_ERROR(im.CheckMayWrite(im.writer_role));
  im.recovery = std::move(recovery);
  Status loaded = im.LoadState();
  auto forget = [&] {
    im.recovery.reset();
    return im.LoadState();
  };
  if (!loaded.ok()) {
    (void)forget();
    return loaded;
  }
  auto ck = im.preferred_case_key.find(case_id);
  if (ck == im.preferred_case_key.end()) {
    FC_RETURN_IF_ERROR(forget());
    return Status::NotFound("the recovery key opens no key of this case; only restricted cases are "
                            "sealed to it");
  }
  const CaseKey key = ck->second;
  std::set<Id128> to_persons(persons.begin(), persons.end());
  std::vector<PublicKey> devices = im.ReaderDevices(&to_persons);
  if (devices.empty()) {
    FC_RETURN_IF_ERROR(forget());
    return Status::NotFound("those persons have no current officer or supervisor device");
  }
  std::vector<Impl::Draft> drafts;
  store::Header kh;
  kh.kind = uint8_t(store::Kind::kKey);
  kh.case_id = case_id;
  drafts.push_back({im.writer_role, kh, [&](const store::Header&) {
                      KeyPayload p;
                      p.op = KeyOpCode::kGrant;
                      p.key_id = key.key_id;
                      p.generation = key.generation;
                      p.check = KeyCheck(im.keys.at(key.key_id));
                      for (const auto& d : devices) {
                        p.wraps.push_back(WrapSealed(im.keys.at(key.key_id), d, im.org_id, case_id,
                                                     key.key_id));
                      }
                      return EncodeKeyPayload(p);
                    }});
  auto ids = im.Commit(drafts, now_ms);
  FC_RETURN_IF_ERROR(forget());
  if (!ids.ok()) return ids.status();
  return ids->front();
}

Result<Id128> Node::ResolvePerson(std::string_view text) const {
  std::optional<Id128> match;
  std::string t(text);
  for (const auto& [key, m] : impl_->members) {
    bool hit = (t.size() >= 6 && ToHex(key).rfind(t, 0) == 0) ||
               (m.personal && (m.personal->name == t || m.personal->badge == t));
    if (!hit) continue;
    if (match && *match != m.person_id) {
      return Status::InvalidArgument("'" + t + "' names more than one person; use a badge number");
    }
    match = m.person_id;
  }
  if (!match) return Status::NotFound("no member '" + t + "'; see `fieldcase org members`");
  return *match;
}

bool Node::IsRestricted(const Id128& case_id) const {
  auto ck = impl_->preferred_case_key.find(case_id);
  if (ck == impl_->preferred_case_key.end()) {
    for (const auto& [id, info] : impl_->key_info)
      if (info.case_id == case_id && info.restricted) return true;
    return false;
  }
  return impl_->key_info.at(ck->second.key_id).restricted;
}

}  // namespace fieldcase::node
