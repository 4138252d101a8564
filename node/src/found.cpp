// Node: making a new device's folder — founding an organisation, or a plain device that
// asks to join one.
#include <filesystem>

#include "fieldcase/base/cleanup.h"
#include "fieldcase/crypto/passphrase.h"
#include "fieldcase/base/text.h"
#include "fieldcase/node/node.h"
#include "parts.h"
#include "recovery_file.h"

namespace fieldcase::node {

using org::Role;

namespace {

void RemoveFoundFiles(const store::DataDir& dir, const std::filesystem::path& recovery) {
  RemoveLogFiles(dir);
  std::error_code ec;
  std::filesystem::remove(dir.keystore(), ec);
  std::filesystem::remove(recovery, ec);
}

// The entries of a new organisation, in the order they must be written.
Status WriteFounding(Node::Parts& p, const FoundOptions& options,
                     const crypto::BoxKeyPair& recovery, int64_t now_ms) {
  const PublicKey device_pk = p.device->public_key();
  const Id128 person_id = crypto::RandomArray<16>();
  auto certificate = [&](Role role) {
    return ControlDraft(role == Role::kAdmin ? Role::kRoot : Role::kAdmin, [&, role] {
      org::Enrolment e;
      e.subject = p.signer.Key(role).public_key();
      e.box_key = device_pk;
      e.role = role;
      e.person_id = person_id;
      e.expiry_ms = uint64_t(now_ms) + kCertificateLifeMs;
      if (!options.person_name.empty() || !options.badge.empty()) {
        e.sealed_personal = org::SealPersonal({options.person_name, options.badge},
                                              *p.directory_key, p.org_id, e.subject);
      }
      return org::ControlPayload(e);
    });
  };
  std::vector<Draft> drafts;
  drafts.push_back(ControlDraft(Role::kRoot, [&] {
    return org::ControlPayload(org::Founding{options.org_name, recovery.public_key()});
  }));
  drafts.push_back(certificate(Role::kAdmin));
  drafts.push_back(certificate(Role::kSupervisor));
  FC_RETURN_IF_ERROR(p.Commit(std::move(drafts), now_ms).status());
  // The team key carries the org-log digest, so the certificates come first.
  FC_RETURN_IF_ERROR(p.Reload());
  FC_ASSIGN_OR_RETURN(Id orglog, p.CurrentOrgLogDigest());
  auto team_key = crypto::SecretBytes::Random(org::kSymmetricKeyBytes);
  std::vector<Draft> team;
  team.push_back(
      KeyDraft(Role::kSupervisor, Id128{}, [&](org::KeyPayload& k, const store::Header& h) {
        k.op = org::KeyOpCode::kTeamKey;
        k.key_id = store::KeyIdFor(h.author, h.seq);
        k.generation = 1;
        k.check = org::KeyCheck(team_key);
        k.orglog_digest = orglog;
        FC_ASSIGN_OR_RETURN(auto wrap,
                            org::WrapSealed(team_key, device_pk, p.org_id, h.case_id, k.key_id));
        k.wraps.push_back(std::move(wrap));
        return Status::Ok();
      }));
  FC_RETURN_IF_ERROR(p.Commit(std::move(team), now_ms).status());
  return p.Recompute();
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Found(const store::DataDir& dir, const FoundOptions& options,
                                          const crypto::SecretBytes& passphrase,
                                          const crypto::SecretBytes& recovery_passphrase,
                                          int64_t now_ms) {
  if (IsBlank(options.org_name) || options.org_name.size() > org::kMaxOrgNameBytes) {
    return Status::InvalidArgument("organisation name must be 1 to 256 bytes");
  }
  // Shown on every device that joins: plain text only, like a request's name and badge.
  for (const std::string* s : {&options.org_name, &options.person_name, &options.badge}) {
    if (!IsPrintableText(*s) || s->size() > org::kMaxPersonalFieldBytes) {
      return Status::InvalidArgument(
          "an organisation name, name or badge must be printable text (no control characters) "
          "of at most 256 bytes");
    }
  }
  FC_ASSIGN_OR_RETURN(auto p, Parts::ForEmptyFolder(dir, std::filesystem::absolute(options.recovery_out)));
  if (std::filesystem::exists(options.recovery_out)) {
    return Status::NotPermitted("recovery file " + options.recovery_out.string() +
                                " already exists; move it away or choose --recovery-out");
  }
  // Keys, one role per key, each with its own chain.
  for (Role r : {Role::kRoot, Role::kAdmin, Role::kSupervisor}) {
    p->signer.Add(r, crypto::SigningKey::Generate());
  }
  p->box_identity = crypto::SigningKey::Generate();
  p->device = crypto::BoxKeyPair::FromIdentity(*p->box_identity);
  p->directory_key = crypto::SecretBytes::Random(32);
  crypto::BoxKeyPair recovery = crypto::BoxKeyPair::Generate();
  p->org_id = store::OrgId(p->signer.Key(Role::kRoot).public_key());

  // The keystore and the recovery file go first: if the log failed after them we clean
  // up; the reverse order could leave signed entries whose keys were never saved.
  store::Keystore ks;
  for (const auto& [role, pk] : p->signer.Roles()) {
    ks.Put(SignLabel(role), crypto::SecretBytes::CopyFrom(p->signer.Key(role).seed()));
  }
  ks.Put(kDeviceBoxLabel, crypto::SecretBytes::CopyFrom(p->device->secret()));
  ks.Put(kBoxIdentityLabel, crypto::SecretBytes::CopyFrom(p->box_identity->seed()));
  ks.Put(kDirectoryLabel, p->directory_key->Clone());
  p->keystore = std::move(ks);
  p->keystore_cost = options.cost;
  Cleanup undo([&] {
    p->log.reset();
    RemoveFoundFiles(dir, options.recovery_out);
    std::error_code ec;
    std::filesystem::remove(InitMark(dir), ec);
  });
  auto found = [&]() -> Status {
    FC_RETURN_IF_ERROR(p->SaveKeystore(passphrase));
    Bytes file(kRecoveryMagic, kRecoveryMagic + sizeof(kRecoveryMagic));
    Append(file, crypto::SealWithPassphrase(recovery_passphrase, recovery.secret(), options.cost));
    FC_RETURN_IF_ERROR(store::WriteFileAtomic(options.recovery_out, file));
    FC_ASSIGN_OR_RETURN(p->log, OpenLog(dir));
    FC_RETURN_IF_ERROR(p->log->SetOrgId(p->org_id));
    FC_RETURN_IF_ERROR(WriteFounding(*p, options, recovery, now_ms));
    return p->FinishInit();
  };
  FC_RETURN_IF_ERROR(found().Prefixed("founding the organisation"));
  undo.Cancel();
  return std::unique_ptr<Node>(new Node(std::move(p)));
}

Result<std::unique_ptr<Node>> Node::InitDevice(const store::DataDir& dir,
                                               const crypto::SecretBytes& passphrase,
                                               crypto::KdfCost cost) {
  FC_ASSIGN_OR_RETURN(auto p, Parts::ForEmptyFolder(dir));
  auto key = crypto::SigningKey::Generate();
  auto identity = crypto::SigningKey::Generate();
  auto box = crypto::BoxKeyPair::FromIdentity(identity);
  store::Keystore ks;
  ks.Put(kDeviceSignLabel, crypto::SecretBytes::CopyFrom(key.seed()));
  ks.Put(kDeviceBoxLabel, crypto::SecretBytes::CopyFrom(box.secret()));
  ks.Put(kBoxIdentityLabel, crypto::SecretBytes::CopyFrom(identity.seed()));
  p->keystore = std::move(ks);
  p->keystore_cost = cost;
  Cleanup undo([&] {
    p->log.reset();
    RemoveLogFiles(dir);
    std::error_code ec;
    std::filesystem::remove(dir.keystore(), ec);
    std::filesystem::remove(InitMark(dir), ec);
  });
  FC_RETURN_IF_ERROR(p->SaveKeystore(passphrase));
  FC_ASSIGN_OR_RETURN(p->log, OpenLog(dir));
  FC_RETURN_IF_ERROR(p->FinishInit());
  undo.Cancel();
  p->signer.SetPending(std::move(key));
  p->device = std::move(box);
  p->box_identity = std::move(identity);
  return std::unique_ptr<Node>(new Node(std::move(p)));
}

}  // namespace fieldcase::node
