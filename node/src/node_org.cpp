// Node: joining an organisation, enrolling and revoking devices, moving entries in.
#include <algorithm>

#include "fieldcase/crypto/box.h"
#include "fieldcase/store/keystore.h"
#include "node_impl.h"

namespace fieldcase::node {

Result<std::unique_ptr<Node>> Node::InitDevice(const store::DataDir& dir,
                                               const crypto::SecretBytes& passphrase,
                                               crypto::KdfCost cost) {
  FC_ASSIGN_OR_RETURN(auto impl, Impl::ForEmptyFolder(dir));
  auto key = crypto::SigningKey::Generate();
  auto box = crypto::BoxKeyPair::Generate();
  store::Keystore ks;
  ks.Put(kDeviceSignLabel, crypto::SecretBytes::CopyFrom(key.seed()));
  ks.Put(kDeviceBoxLabel, crypto::SecretBytes::CopyFrom(box.secret()));
  FC_RETURN_IF_ERROR(store::WriteKeystore(dir.keystore(), ks, passphrase, cost));
  auto log = store::Store::Open(dir.db(), org::ValidateKeyOrControl);
  if (!log.ok()) {
    std::error_code ec;
    std::filesystem::remove(dir.keystore(), ec);
    return log.status();
  }
  impl->log = std::move(log).value();
  impl->device_key = std::move(key);
  impl->device = std::move(box);
  impl->keystore = std::move(ks);
  impl->keystore_cost = cost;
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

bool Node::is_member() const { return impl_->log->org_id().has_value() && !impl_->signing.empty(); }

std::optional<PublicKey> Node::device_key() const {
  if (impl_->device_key) return impl_->device_key->public_key();
  if (impl_->successor_key) return impl_->successor_key->public_key();
  return std::nullopt;
}

Result<Bytes> Node::MakeEnrolRequest(const std::string& name, const std::string& badge) const {
  const Impl& im = *impl_;
  if (!im.device_key || !im.device) {
    return Status::NotPermitted(
        "this device already belongs to an organisation (or was founded with --org); a new "
        "device needs its own data folder made with plain `fieldcase init`");
  }
  EnrolRequest r{im.device_key->public_key(), im.device->public_key(), name, badge, std::nullopt};
  return EncodeEnrolRequest(r, *im.device_key);
}

Result<Bytes> Node::MakeSuccessorRequest(const std::string& name, const std::string& badge,
                                         const crypto::SecretBytes& passphrase) {
  Impl& im = *impl_;
  if (!is_member() || !im.signing.count(im.writer_role) || !im.device) {
    return Status::NotPermitted("only an enrolled officer or supervisor device can ask for a successor key");
  }
  const PublicKey old = im.Writer().public_key();
  // The new key waits under its own label: the old one stays until the successor
  // certificate is accepted, so a failed request loses nothing.
  auto fresh = crypto::SigningKey::Generate();
  im.keystore->Put(kSuccessorSignLabel, crypto::SecretBytes::CopyFrom(fresh.seed()));
  FC_RETURN_IF_ERROR(store::WriteKeystore(im.dir.keystore(), *im.keystore, passphrase, im.keystore_cost));
  EnrolRequest r{fresh.public_key(), im.device->public_key(), name, badge, old};
  Bytes out = EncodeEnrolRequest(r, fresh);
  im.successor_key = std::move(fresh);
  return out;
}

Result<std::vector<RawEntry>> Node::ExportAll() {
  std::vector<RawEntry> out;
  FC_RETURN_IF_ERROR(impl_->log->ForEach({}, [&](const store::StoredEntry& se) {
    RawEntry r;
    r.header.assign(se.entry.header_bytes.begin(), se.entry.header_bytes.end());
    r.signature = se.entry.signature;
    r.payload = se.entry.payload;
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  return out;
}

Result<EnrolOutcome> Node::Enrol(const EnrolRequest& request, Role role, int64_t now_ms) {
  Impl& im = *impl_;
  if (role == Role::kRoot) return Status::NotPermitted("a root key is made by `init --org`, not enrolled");
  if (im.members.count(request.signing_key)) {
    return Status::NotPermitted("this device is already enrolled");
  }
  std::optional<store::Head> old_head;
  if (request.successor_of) {
    auto old = im.members.find(*request.successor_of);
    if (old == im.members.end()) {
      return Status::NotFound("the key this request succeeds is not an enrolled member");
    }
    if (old->second.role != role) {
      return Status::NotPermitted(std::string("a successor keeps the role of the key it replaces (") +
                                     ToString(old->second.role) + ")");
    }
    FC_ASSIGN_OR_RETURN(old_head, im.log->HeadOf(*request.successor_of));
  }
  Role signer = role == Role::kAdmin ? Role::kRoot : Role::kAdmin;
  if (!im.signing.count(signer)) {
    return Status::NotPermitted(std::string("enrolling a") + (role == Role::kAdmin ? "n admin" : " device") +
                                " needs this node's " + ToString(signer) + " key");
  }
  EnrolOutcome out;
  std::vector<Impl::Draft> drafts;
  store::Header control;
  control.kind = uint8_t(store::Kind::kControl);
  drafts.push_back({signer, control, [&](const store::Header&) {
                      Enrolment e;
                      e.subject = request.signing_key;
                      e.box_key = request.box_key;
                      e.role = role;
                      e.person_id = crypto::RandomArray<16>();
                      e.expiry_ms = uint64_t(now_ms) + kCertificateLifeMs;
                      if (request.successor_of) {
                        e.predecessor = *request.successor_of;
                        e.predecessor_last_seq = old_head ? old_head->seq : 0;
                        e.predecessor_last_id = old_head ? old_head->id : Id{};
                        e.person_id = im.members.at(*request.successor_of).person_id;
                      }
                      if (im.directory_key && (!request.name.empty() || !request.badge.empty())) {
                        e.sealed_personal = SealPersonal({request.name, request.badge},
                                                         *im.directory_key, im.org_id, e.subject);
                      }
                      return EncodeControlPayload(e);
                    }});
  bool reads_cases = role == Role::kOfficer || role == Role::kSupervisor;
  if (reads_cases && im.signing.count(Role::kSupervisor) && im.preferred_team_key) {
    const CaseKey team = *im.preferred_team_key;
    store::Header kh;
    kh.kind = uint8_t(store::Kind::kKey);
    drafts.push_back({Role::kSupervisor, kh, [&, team](const store::Header& h) {
                        KeyPayload p;
                        p.op = KeyOpCode::kGrant;
                        p.key_id = team.key_id;
                        p.generation = team.generation;
                        const auto& key = im.keys.at(team.key_id);
                        p.check = KeyCheck(key);
                        p.wraps.push_back(WrapSealed(key, request.box_key, im.org_id, h.case_id, team.key_id));
                        return EncodeKeyPayload(p);
                      }});
    out.team_key_granted = true;
  }
  FC_ASSIGN_OR_RETURN(auto ids, im.Commit(drafts, now_ms));
  out.certificate = ids.front();
  FC_RETURN_IF_ERROR(im.RecomputeStatuses());

  EnrolResponse resp;
  resp.org_id = im.org_id;
  resp.device = request.signing_key;
  if (im.directory_key && (reads_cases || role == Role::kAdmin)) {
    resp.sealed_directory_key = crypto::SealTo(
        request.box_key, DirectoryKeyContext(im.org_id, request.box_key), im.directory_key->view());
    out.directory_key_sealed = true;
  }
  FC_ASSIGN_OR_RETURN(resp.entries, ExportAll());
  out.response = EncodeEnrolResponse(resp);
  return out;
}

Result<ImportReport> Node::Import(const std::vector<RawEntry>& entries, int64_t now_ms) {
  Impl& im = *impl_;
  std::set<PublicKey> own;
  for (const auto& [role, key] : im.signing) own.insert(key.public_key());
  if (im.device_key) own.insert(im.device_key->public_key());
  FC_ASSIGN_OR_RETURN(ImportReport rep, sync::Ingest(*im.log, im.clock, own, entries, now_ms));
  FC_RETURN_IF_ERROR(im.LoadState());
  if (rep.added > 0) FC_RETURN_IF_ERROR(im.GrantMissingTeamKeys(now_ms));
  return rep;
}

Status Node::Join(const EnrolResponse& response, const crypto::SecretBytes& passphrase,
                  int64_t now_ms) {
  Impl& im = *impl_;
  const crypto::SigningKey* joining = im.device_key ? &*im.device_key
                                      : im.successor_key ? &*im.successor_key : nullptr;
  if (joining == nullptr) {
    return Status::NotPermitted(
        "this device already belongs to an organisation (a restored device first asks for a "
        "new key: `fieldcase enrol-request --successor`)");
  }
  if (response.device != joining->public_key()) {
    return Status::NotPermitted(
        "this response enrols another device; ask for the response made from this device's request");
  }
  const PublicKey new_key = joining->public_key();
  if (im.successor_key) {
    if (*im.log->org_id() != response.org_id) {
      return Status::NotPermitted("this response is for another organisation");
    }
    FC_RETURN_IF_ERROR(Import(response.entries, now_ms).status());
    if (!im.members.count(new_key)) {
      return Status::Corruption("the response holds no valid certificate for this device's new key");
    }
    // The successor certificate names where the old key stops: writing may resume.
    return im.log->DeleteMeta("halted");
  }
  // The org id must be that of a founding entry in the response, or every signature fails.
  auto first_join = [&]() -> Status {
    FC_RETURN_IF_ERROR(im.log->SetOrgId(response.org_id));
    im.org_id = response.org_id;
    FC_ASSIGN_OR_RETURN(ImportReport rep, Import(response.entries, now_ms));
    if (!is_member()) {
      return Status::Corruption("the response holds no valid certificate for this device (" +
                                std::to_string(rep.rejected) + " entries rejected); nothing to join");
    }
    if (!response.sealed_directory_key.empty()) {
      FC_ASSIGN_OR_RETURN(crypto::SecretBytes dk,
                          crypto::OpenSealed(*im.device,
                                             DirectoryKeyContext(im.org_id, im.device->public_key()),
                                             response.sealed_directory_key));
      im.keystore->Put(kDirectoryLabel, dk.Clone());
      FC_RETURN_IF_ERROR(store::WriteKeystore(im.dir.keystore(), *im.keystore, passphrase, im.keystore_cost));
      im.directory_key = std::move(dk);
      FC_RETURN_IF_ERROR(im.LoadState());  // names open now
    }
    return Status::Ok();
  };
  Status joined = first_join();
  if (!joined.ok()) {
    // Nothing of a failed join stays: the folder must be free to join again. The log of
    // a device that never joined holds nothing of its own, so it is made anew.
    im.log.reset();
    std::error_code ec;
    for (const auto& f : {im.dir.db(), std::filesystem::path(im.dir.db().string() + "-wal"),
                          std::filesystem::path(im.dir.db().string() + "-shm")}) {
      std::filesystem::remove(f, ec);
    }
    auto log = store::Store::Open(im.dir.db(), org::ValidateKeyOrControl);
    if (log.ok()) im.log = std::move(log).value();
    im.org_id = Id{};
    im.members.clear();
    if (!im.device_key) {
      // LoadState moved the key into `signing` when a certificate briefly counted.
      for (auto it = im.signing.begin(); it != im.signing.end();) {
        if (it->second.public_key() == new_key) {
          im.device_key = std::move(it->second);
          it = im.signing.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  return joined;
}

std::vector<MemberView> Node::Members() const {
  const Impl& im = *impl_;
  std::vector<MemberView> out;
  std::set<PublicKey> own;
  for (const auto& [role, key] : im.signing) own.insert(key.public_key());
  for (const auto& [key, m] : im.members) {
    MemberView v{m, false, own.count(key) > 0};
    for (const auto& c : im.cut_offs) v.revoked |= c.device == key && c.op == ControlOpCode::kRevoke;
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const MemberView& a, const MemberView& b) {
    return std::tie(a.member.role, a.member.key) < std::tie(b.member.role, b.member.key);
  });
  return out;
}

Result<PublicKey> Node::ResolveMember(std::string_view text) const {
  std::optional<PublicKey> match;
  std::string t(text);
  for (const auto& [key, m] : impl_->members) {
    bool hit = (t.size() >= 6 && ToHex(key).rfind(t, 0) == 0) ||
               (m.personal && (m.personal->name == t || m.personal->badge == t));
    if (!hit) continue;
    if (match) return Status::InvalidArgument("'" + t + "' names more than one device; give more of its key");
    match = key;
  }
  if (!match) return Status::NotFound("no member '" + t + "'; see `fieldcase org members`");
  return *match;
}

namespace {
Result<Id> WriteCutOff(Node::Impl& im, ControlOpCode op, const PublicKey& device, uint64_t seq,
                       const Id& id, int64_t now_ms) {
  auto m = im.members.find(device);
  if (m == im.members.end()) return Status::NotFound("that key is not an enrolled member");
  if (m->second.role == Role::kRoot) return Status::NotPermitted("the root key cannot be revoked");
  Role signer = m->second.role == Role::kAdmin ? Role::kRoot : Role::kAdmin;
  std::vector<Node::Impl::Draft> drafts;
  store::Header control;
  control.kind = uint8_t(store::Kind::kControl);
  drafts.push_back({signer, control, [&](const store::Header&) {
                      return EncodeControlPayload(CutOff{op, device, seq, id});
                    }});
  FC_ASSIGN_OR_RETURN(auto ids, im.Commit(drafts, now_ms));
  FC_RETURN_IF_ERROR(im.RecomputeStatuses());
  return ids.front();
}
}  // namespace

Result<Id> Node::Revoke(const PublicKey& device, int64_t now_ms) {
  FC_ASSIGN_OR_RETURN(auto head, impl_->log->HeadOf(device));
  uint64_t seq = head ? head->seq : 0;
  Id id = head ? head->id : Id{};
  return WriteCutOff(*impl_, ControlOpCode::kRevoke, device, seq, id, now_ms);
}

Result<Id> Node::AcceptUpTo(const PublicKey& device, uint64_t seq, int64_t now_ms) {
  std::optional<Id> at;
  store::EntryFilter f;
  f.author = device;
  f.payloads = false;
  FC_RETURN_IF_ERROR(impl_->log->ForEach(f, [&](const store::StoredEntry& se) {
    if (se.entry.header.seq == seq) at = se.entry.id;
    return Status::Ok();
  }));
  if (!at) return Status::NotFound("no entry at seq " + std::to_string(seq) + " of that device here");
  return WriteCutOff(*impl_, ControlOpCode::kAcceptUpTo, device, seq, *at, now_ms);
}

Status Node::Backup(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  auto target = dir / "fieldcase.db";
  if (std::filesystem::exists(target)) {
    return Status::NotPermitted(target.string() + " already exists; choose an empty folder");
  }
  FC_RETURN_IF_ERROR(impl_->log->BackupTo(target));
  // A restored copy must not write with the old keys: they may have written since.
  auto copy = store::Store::Open(target, org::ValidateKeyOrControl);
  if (!copy.ok()) return copy.status();
  return (*copy)->PutMeta("halted",
                          AsBytes("this store was restored from a backup; its keys may have "
                                  "written entries since. Writing is stopped until an "
                                  "administrator enrols a successor key"));
}

}  // namespace fieldcase::node
