// Node: enrolment — a device's request, the administrator's response, joining — and
// moving entries in and out.
#include <filesystem>

#include "fieldcase/base/cleanup.h"
#include "fieldcase/base/text.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/node/node.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/ingest.h"
#include "fieldcase/sync/receipts.h"
#include "fieldcase/sync/statuses.h"
#include "parts.h"

namespace fieldcase::node {

using org::Role;

namespace {

Status CheckPersonalText(const std::string& name, const std::string& badge) {
  for (const std::string* s : {&name, &badge}) {
    if (s->size() > org::kMaxPersonalFieldBytes) {
      return Status::InvalidArgument("a name or badge is at most 256 bytes");
    }
    if (!IsPrintableText(*s)) {
      return Status::InvalidArgument(
          "a name or badge must be printable text (no control characters)");
    }
  }
  return Status::Ok();
}

// Stores made before box identities existed cannot prove their X25519 key.
Status NoBoxIdentity() {
  return Status::NotPermitted(
      "this device's keys were made by an older fieldcase and cannot prove its X25519 key; make "
      "a new data folder with `fieldcase init` and enrol that");
}

}  // namespace

Result<Bytes> Node::MakeEnrolRequest(const std::string& name, const std::string& badge,
                                     std::optional<PublicKey> replaces) const {
  const crypto::SigningKey* key = p_->signer.pending();
  if (key == nullptr || !p_->device) {
    return Status::NotPermitted(
        "this device already belongs to an organisation (or was founded with --org); a new "
        "device needs its own data folder made with plain `fieldcase init`");
  }
  FC_RETURN_IF_ERROR(CheckPersonalText(name, badge));
  if (!p_->box_identity) return NoBoxIdentity();
  org::EnrolRequest r{key->public_key(), p_->device->public_key(), {}, name, badge, replaces};
  return org::EncodeEnrolRequest(r, *key, *p_->box_identity);
}

Result<Bytes> Node::MakeSuccessorRequest(const std::string& name, const std::string& badge,
                                         const crypto::SecretBytes& passphrase) {
  Parts& p = *p_;
  if (!is_member() || !p.signer.has_writer() || !p.device) {
    return Status::NotPermitted(
        "only an enrolled officer or supervisor device can ask for a successor key");
  }
  FC_RETURN_IF_ERROR(CheckPersonalText(name, badge));
  if (!p.box_identity) return NoBoxIdentity();
  const PublicKey old = p.signer.writer().public_key();
  // The new key waits under its own label: the old one stays until the successor
  // certificate is accepted, so a failed request loses nothing.
  auto fresh = crypto::SigningKey::Generate();
  p.keystore->Put(kSuccessorSignLabel, crypto::SecretBytes::CopyFrom(fresh.seed()));
  FC_RETURN_IF_ERROR(p.SaveKeystore(passphrase));
  org::EnrolRequest r{fresh.public_key(), p.device->public_key(), {}, name, badge, old};
  // The old key vouches for its successor and says where its chain ends here.
  FC_ASSIGN_OR_RETURN(auto head, p.log->HeadOf(old));
  if (head) {
    r.predecessor_last_seq = head->seq;
    r.predecessor_last_id = head->id;
  }
  Bytes out = org::EncodeEnrolRequest(r, fresh, *p.box_identity, &p.signer.writer());
  p.signer.SetSuccessor(std::move(fresh));
  return out;
}

Result<std::vector<store::RawEntry>> Node::ExportAll() {
  std::vector<store::RawEntry> out;
  FC_RETURN_IF_ERROR(p_->log->ForEach({}, [&](store::StoredEntry& se) {
    store::RawEntry r;
    r.header.assign(se.entry.header_bytes.begin(), se.entry.header_bytes.end());
    r.signature = se.entry.signature;
    r.payload = std::move(se.entry.payload);
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  // Entries of versions this build cannot read travel on too (DESIGN §4).
  FC_RETURN_IF_ERROR(p_->log->ForEachOpaque([&](store::RawEntry& r) {
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  return out;
}

Result<EnrolOutcome> Node::Enrol(const org::EnrolRequest& request, Role role, int64_t now_ms,
                                 std::optional<PublicKey> confirmed_replaces) {
  Parts& p = *p_;
  if (role == Role::kRoot)
    return Status::NotPermitted("a root key is made by `init --org`, not enrolled");
  if (p.members.Find(request.signing_key))
    return Status::NotPermitted("this device is already enrolled");
  std::optional<store::Head> old_head;
  const org::Member* predecessor = nullptr;
  if (request.successor_of) {
    predecessor = p.members.Find(*request.successor_of);
    if (predecessor == nullptr) {
      return Status::NotFound("the key this request succeeds is not an enrolled member");
    }
    if (predecessor->role != role) {
      return Status::NotPermitted(
          std::string("a successor keeps the role of the key it replaces (") +
          ToString(predecessor->role) + ")");
    }
    // Only the old key may name its successor; a lost device's successor needs the
    // administrator to confirm exactly which device it replaces.
    if (!request.vouched && confirmed_replaces != request.successor_of) {
      return Status::NotPermitted(
          "this request asks to replace the device key " +
          ToHex(*request.successor_of).substr(0, 16) +
          " but that device did not sign it; if the device is lost, confirm with "
          "--replaces " +
          ToHex(*request.successor_of).substr(0, 16));
    }
    FC_ASSIGN_OR_RETURN(old_head, p.log->HeadOf(*request.successor_of));
    // The cut-off is the later of where the device says its chain ends and what this node
    // holds: a restore must not quarantine entries this node has not seen yet.
    if (request.vouched && (!old_head || request.predecessor_last_seq > old_head->seq)) {
      old_head = store::Head{*request.successor_of, request.predecessor_last_seq,
                             request.predecessor_last_id, 0};
    }
  }
  // The box key names the person in restricted cases (org/validity.h): it must be one a
  // sealed box can be made for, never the recovery key, and no other member's.
  if (!crypto::IsUsableBoxKey(request.box_key)) {
    return Status::NotPermitted(
        "the request's X25519 key is unusable (all zero or of low order); "
        "make a new request");
  }
  if (request.box_key == p.members.recovery_public()) {
    return Status::NotPermitted(
        "the request's X25519 key is the organisation's recovery key; refused");
  }
  for (const auto& [key, m] : p.members.members()) {
    if (m.box_key != request.box_key) continue;
    if (predecessor && key == predecessor->key) continue;  // a successor on the same device
    return Status::NotPermitted(
        "the request's X25519 key already belongs to another member's "
        "device; refused");
  }
  const Role signer = role == Role::kAdmin ? Role::kRoot : Role::kAdmin;
  if (!p.signer.Has(signer)) {
    return Status::NotPermitted(std::string("enrolling a") +
                                (role == Role::kAdmin ? "n admin" : " device") +
                                " needs this node's " + ToString(signer) + " key");
  }
  EnrolOutcome out;
  std::vector<Draft> drafts;
  drafts.push_back(ControlDraft(signer, [&] {
    org::Enrolment e;
    e.subject = request.signing_key;
    e.box_key = request.box_key;
    e.role = role;
    e.person_id = crypto::RandomArray<16>();
    e.expiry_ms = uint64_t(now_ms) + kCertificateLifeMs;
    if (predecessor) {
      e.predecessor = predecessor->key;
      e.predecessor_last_seq = old_head ? old_head->seq : 0;
      e.predecessor_last_id = old_head ? old_head->id : Id{};
      e.person_id = predecessor->person_id;
    }
    if (p.directory_key && (!request.name.empty() || !request.badge.empty())) {
      e.sealed_personal =
          org::SealPersonal({request.name, request.badge}, *p.directory_key, p.org_id, e.subject);
    }
    return org::ControlPayload(e);
  }));
  if (predecessor && !request.vouched) {
    // A lost device: its keys are in unknown hands. Revoked at what this node holds, so
    // every key it could read is rotated before anyone writes under it again.
    const org::CutOff lost{org::ControlOpCode::kRevoke, predecessor->key,
                           old_head ? old_head->seq : 0, old_head ? old_head->id : Id{}};
    drafts.push_back(ControlDraft(signer, [lost] { return org::ControlPayload(lost); }));
  }
  const bool reads_cases = role == Role::kOfficer || role == Role::kSupervisor;
  const auto team = p.ring.preferred_team_key();
  if (reads_cases && p.signer.Has(Role::kSupervisor) && team) {
    const crypto::SecretBytes& key = *p.ring.Key(team->key_id);
    drafts.push_back(
        KeyDraft(Role::kSupervisor, Id128{}, [&](org::KeyPayload& k, const store::Header& h) {
          k.op = org::KeyOpCode::kGrant;
          k.key_id = team->key_id;
          k.generation = team->generation;
          k.check = org::KeyCheck(key);
          FC_ASSIGN_OR_RETURN(
              auto wrap, org::WrapSealed(key, request.box_key, p.org_id, h.case_id, team->key_id));
          k.wraps.push_back(std::move(wrap));
          return Status::Ok();
        }));
    out.team_key_granted = true;
  }
  FC_ASSIGN_OR_RETURN(auto ids, p.Commit(std::move(drafts), now_ms));
  out.certificate = ids.front();
  FC_RETURN_IF_ERROR(p.Recompute());
  FC_RETURN_IF_ERROR(Respond(request.signing_key, request.box_key, role, now_ms, out));
  return out;
}

// The response for an enrolled device: every entry this node holds, as a bundle sealed to
// the device's X25519 key alone; the directory key sealed to the same key (for roles that
// see names); all signed by the key that governs the role. Made again the same way by
// `--reissue`.
Status Node::Respond(const PublicKey& device, const PublicKey& box_key, Role role,
                     int64_t now_ms, EnrolOutcome& out) {
  Parts& p = *p_;
  const Role signer = role == Role::kAdmin ? Role::kRoot : Role::kAdmin;
  if (!p.signer.Has(signer)) {
    return Status::NotPermitted(std::string("this needs this node's ") + ToString(signer) +
                                " key");
  }
  const bool reads_cases = role == Role::kOfficer || role == Role::kSupervisor;
  org::EnrolResponse resp;
  resp.org_id = p.org_id;
  resp.device = device;
  // Auditors read names (their reports name people) but no case: the directory key opens
  // names and badges only (docs/keys.md).
  if (p.directory_key && (reads_cases || role == Role::kAdmin || role == Role::kAuditor)) {
    FC_ASSIGN_OR_RETURN(resp.sealed_directory_key,
                        crypto::SealTo(box_key, org::DirectoryKeyContext(p.org_id, box_key),
                                       p.directory_key->view()));
    resp.directory_key_check = org::KeyCheck(*p.directory_key);
    out.directory_key_sealed = true;
  }
  // The bundle's manifest is signed by the same key as the response (Join checks it).
  FC_ASSIGN_OR_RETURN(auto entries, ExportAll());
  FC_ASSIGN_OR_RETURN(auto heads, p.log->Heads());
  FC_ASSIGN_OR_RETURN(sync::SealedBundle bundle,
                      sync::SealBundle(p.org_id, p.signer.Key(signer), {box_key}, entries,
                                       sync::HeadsDigest(std::move(heads)), now_ms));
  resp.bundle = std::move(bundle.file);
  out.response = org::EncodeEnrolResponse(resp, p.signer.Key(signer));
  out.administrator = p.signer.Key(signer).public_key();
  return Status::Ok();
}

Result<EnrolOutcome> Node::ReissueEnrolment(const org::EnrolRequest& request, int64_t now_ms) {
  Parts& p = *p_;
  const org::Member* m = p.members.Find(request.signing_key);
  if (m == nullptr) {
    return Status::NotFound("this device is not enrolled; enrol it with `fieldcase org enrol` "
                            "(without --reissue)");
  }
  if (p.members.IsRevoked(m->key) || p.members.IsRetired(m->key)) {
    return Status::NotPermitted("this device's key is revoked or succeeded; a response would "
                                "not let it write");
  }
  // The request must be the device's own: the same X25519 key the certificate names.
  if (m->box_key != request.box_key) {
    return Status::NotPermitted("this request's X25519 key is not the one enrolled for that "
                                "device; refused");
  }
  EnrolOutcome out;
  FC_RETURN_IF_ERROR(Respond(m->key, m->box_key, m->role, now_ms, out));
  return out;
}

Result<sync::ImportReport> Node::Import(const std::vector<store::RawEntry>& entries,
                                        int64_t now_ms, bool settle,
                                        const sync::IngestProgress& progress) {
  Parts& p = *p_;
  FC_ASSIGN_OR_RETURN(auto rep, sync::Ingest(*p.log, p.signer.clock(), p.signer.OwnKeys(),
                                             entries, now_ms, settle, progress));
  if (!settle) return rep;
  FC_RETURN_IF_ERROR(Imported(rep.added, now_ms));
  return rep;
}

Status Node::Imported(size_t added, int64_t now_ms) {
  Parts& p = *p_;
  FC_RETURN_IF_ERROR(sync::NoteCompleteReceipts(*p.log));
  FC_RETURN_IF_ERROR(p.Reload());
  if (added > 0) FC_RETURN_IF_ERROR(p.GrantMissingTeamKeys(now_ms));
  return Status::Ok();
}

Status Node::Settle(int64_t now_ms) {
  Parts& p = *p_;
  FC_ASSIGN_OR_RETURN(bool stale, sync::RecomputeIfStale(*p.log));
  FC_RETURN_IF_ERROR(sync::NoteCompleteReceipts(*p.log));
  if (!stale) return Status::Ok();
  FC_RETURN_IF_ERROR(p.Reload());
  return p.GrantMissingTeamKeys(now_ms);
}

// The directory key a response seals to this device, checked against the value the
// administrator signed: a key sealed by anyone else (or of the wrong size) is refused before
// it is kept. None when the response carries none (roles that see no names).
Result<std::optional<crypto::SecretBytes>> Node::OpenDirectoryKey(
    const org::EnrolResponse& response, const Id& org_id) {
  Parts& p = *p_;
  if (response.sealed_directory_key.empty()) return std::optional<crypto::SecretBytes>();
  FC_ASSIGN_OR_RETURN(
      crypto::SecretBytes dk,
      crypto::OpenSealed(*p.device, org::DirectoryKeyContext(org_id, p.device->public_key()),
                         response.sealed_directory_key));
  if (dk.size() != 32 ||
      !crypto::ConstantTimeEqual(org::KeyCheck(dk), response.directory_key_check)) {
    return Status::Corruption(
        "the directory key in the response does not match the administrator's check; "
        "nothing was joined");
  }
  return std::optional<crypto::SecretBytes>(std::move(dk));
}

// The entries a response carries: its bundle, opened with this device's X25519 key by the
// one bundle reader (every check a bundle gets), made by the key that signed the response.
Result<std::vector<store::RawEntry>> Node::ResponseEntries(const org::EnrolResponse& response) {
  Parts& p = *p_;
  if (!p.device) return NoBoxIdentity();
  auto opened = sync::OpenBundle(response.bundle, response.org_id, *p.device);
  if (!opened.ok()) {
    if (opened.status().code() == Status::Code::kNotPermitted) {
      return Status::NotPermitted(
          "this response's entries are not encrypted to this device: it was made from "
          "another device's request; nothing was joined");
    }
    return Status::Corruption("the response's bundle: " + opened.status().message());
  }
  if (opened->manifest.exporter != response.signer) {
    return Status::Corruption(
        "the response's bundle was made by another key than the one that signed the "
        "response; nothing was joined");
  }
  return std::move(opened->entries);
}

// A member whose join was cut: the response's entries again (already held ones are
// skipped) and the directory key if the keystore lacks it.
Status Node::ResumeJoin(const org::EnrolResponse& response, const crypto::SecretBytes& passphrase,
                        int64_t now_ms) {
  Parts& p = *p_;
  // Entries verify on their own (each is signed by its author), whoever carried them: a
  // member may import them like any bundle's. What the response adds beyond them — the
  // directory key — is believed only from a current administrator, for a role that reads
  // names.
  FC_ASSIGN_OR_RETURN(auto entries, ResponseEntries(response));
  FC_ASSIGN_OR_RETURN(sync::ImportReport rep, Import(entries, now_ms));
  if (rep.rejected > 0 || rep.gaps > 0) {
    return Status::Corruption("the response's entries do not all verify; its directory key "
                              "was not taken");
  }
  const org::Member* admin = p.members.Find(response.signer);
  if (admin == nullptr || (admin->role != Role::kAdmin && admin->role != Role::kRoot) ||
      p.members.IsRevoked(response.signer)) {
    return Status::NotPermitted("the response is not signed by a current administrator of this "
                                "organisation");
  }
  const org::Member* me = p.members.Find(response.device);
  const bool reads_names = me != nullptr && me->role != Role::kHub;
  if (!p.directory_key && reads_names) {
    FC_ASSIGN_OR_RETURN(auto dk, OpenDirectoryKey(response, p.org_id));
    if (dk) {
      p.keystore->Put(kDirectoryLabel, dk->Clone());
      FC_RETURN_IF_ERROR(p.SaveKeystore(passphrase));
      p.directory_key = std::move(*dk);
    }
  }
  return p.Reload();
}

Status Node::Join(const org::EnrolResponse& response, const crypto::SecretBytes& passphrase,
                  int64_t now_ms) {
  Parts& p = *p_;
  const crypto::SigningKey* joining =
      p.signer.pending() ? p.signer.pending() : p.signer.successor();
  if (joining == nullptr) {
    // A join killed after its certificate was stored: the same response finishes it.
    bool own = false;
    for (const auto& [role, key] : p.signer.Roles()) own |= key == response.device;
    if (own && p.log->org_id() && *p.log->org_id() == response.org_id) {
      return ResumeJoin(response, passphrase, now_ms);
    }
    return Status::NotPermitted(
        "this device already belongs to an organisation (a restored device first asks for a "
        "new key: `fieldcase enrol-request --successor`)");
  }
  if (response.device != joining->public_key()) {
    return Status::NotPermitted(
        "this response enrols another device; ask for the response made from this device's "
        "request");
  }
  const PublicKey new_key = joining->public_key();
  // What the administrator signed must all be here, from an administrator of this org.
  auto check_whole = [&](const sync::ImportReport& rep) -> Status {
    if (rep.rejected > 0 || rep.gaps > 0) {
      return Status::Corruption("the response's entries do not all verify (" +
                                std::to_string(rep.rejected) + " rejected, " +
                                std::to_string(rep.gaps) + " out of order); nothing was joined");
    }
    const org::Member* admin = p.members.Find(response.signer);
    if (admin == nullptr || (admin->role != Role::kAdmin && admin->role != Role::kRoot) ||
        p.members.IsRevoked(response.signer)) {
      return Status::NotPermitted(
          "the response is not signed by an administrator of the organisation it holds; "
          "nothing was joined");
    }
    if (!p.members.Find(new_key)) {
      return Status::Corruption("the response holds no valid certificate for this device's key");
    }
    return Status::Ok();
  };
  if (p.signer.successor()) {
    if (*p.log->org_id() != response.org_id) {
      return Status::NotPermitted("this response is for another organisation");
    }
    FC_ASSIGN_OR_RETURN(auto entries, ResponseEntries(response));
    FC_ASSIGN_OR_RETURN(sync::ImportReport rep, Import(entries, now_ms));
    FC_RETURN_IF_ERROR(check_whole(rep));
    // The successor certificate names where the old key stops: writing may resume.
    return p.log->DeleteMeta("halted");
  }
  // The org id must be that of a founding entry in the response, or every signature fails.
  // The directory key is checked first and saved last (below).
  auto first_join = [&]() -> Status {
    FC_ASSIGN_OR_RETURN(auto dk, OpenDirectoryKey(response, response.org_id));
    FC_ASSIGN_OR_RETURN(auto entries, ResponseEntries(response));
    FC_RETURN_IF_ERROR(p.log->SetOrgId(response.org_id));
    p.org_id = response.org_id;
    FC_ASSIGN_OR_RETURN(sync::ImportReport rep, Import(entries, now_ms));
    FC_RETURN_IF_ERROR(check_whole(rep));
    if (!is_member()) {
      return Status::Corruption(
          "the response holds no valid certificate for this device; "
          "nothing to join");
    }
    // Saved only once the whole response is verified. A process killed before this line
    // leaves a member without it: the same response finishes the join (ResumeJoin).
    if (dk) {
      p.keystore->Put(kDirectoryLabel, dk->Clone());
      FC_RETURN_IF_ERROR(p.SaveKeystore(passphrase));
      p.directory_key = std::move(*dk);
      FC_RETURN_IF_ERROR(p.Reload());  // names open now
    }
    return Status::Ok();
  };
  // Nothing of a failed join stays: the folder must be free to join again. The log of a
  // device that never joined holds nothing of its own, so it is made anew.
  Cleanup undo([&] {
    p.log.reset();
    RemoveLogFiles(p.dir);
    auto log = OpenLog(p.dir);
    if (log.ok()) p.log = std::move(log).value();
    p.org_id = Id{};
    p.members = org::Membership{};
    p.signer.Unadopt(new_key);
    p.directory_key.reset();
    if (p.keystore->Erase(kDirectoryLabel)) (void)p.SaveKeystore(passphrase);
  });
  FC_RETURN_IF_ERROR(first_join());
  undo.Cancel();
  return Status::Ok();
}

}  // namespace fieldcase::node
