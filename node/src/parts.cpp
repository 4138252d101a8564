#include "parts.h"
#include "recovery_file.h"

#include <filesystem>

#include "fieldcase/org/org_log.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/sync/statuses.h"

namespace fieldcase::node {

Draft KeyDraft(org::Role role, const Id128& case_id,
               std::function<Status(org::KeyPayload&, const store::Header&)> fill) {
  return Draft::Of(role, store::Kind::kKey, case_id,
                   [fill = std::move(fill)](const store::Header& h) -> Result<Bytes> {
                     org::KeyPayload p;
                     FC_RETURN_IF_ERROR(fill(p, h));
                     return org::EncodeKeyPayload(p);
                   });
}

Draft ControlDraft(org::Role role, std::function<org::ControlPayload()> make) {
  return Draft::Of(role, store::Kind::kControl, Id128{},
                   [make = std::move(make)](const store::Header&) -> Result<Bytes> {
                     return org::EncodeControlPayload(make());
                   });
}

Result<std::unique_ptr<store::Store>> OpenLog(const store::DataDir& dir) {
  return store::Store::Open(dir.db(), org::ValidateKeyOrControl);
}

Result<std::unique_ptr<store::Store>> OpenLogReadOnly(const store::DataDir& dir) {
  return store::Store::Open(dir.db(), org::ValidateKeyOrControl, store::Store::OpenMode::kReadOnly);
}

void RemoveLogFiles(const store::DataDir& dir) {
  std::error_code ec;
  for (const auto& f : {dir.db(), std::filesystem::path(dir.db().string() + "-wal"),
                        std::filesystem::path(dir.db().string() + "-shm")}) {
    std::filesystem::remove(f, ec);
  }
}

std::filesystem::path InitMark(const store::DataDir& dir) { return dir.root / "init-incomplete"; }

Status RefuseHalfMade(const store::DataDir& dir) {
  if (!std::filesystem::exists(InitMark(dir))) return Status::Ok();
  return Status::NotPermitted("an interrupted `fieldcase init` left " + dir.root.string() +
                              " half-made (nothing in it was used); run the same `fieldcase "
                              "init` again: it starts over");
}

Result<std::unique_ptr<Node::Parts>> Node::Parts::ForEmptyFolder(
    const store::DataDir& d, const std::filesystem::path& recovery) {
  auto parts = std::make_unique<Parts>();
  parts->dir = d;
  FC_ASSIGN_OR_RETURN(parts->lock, store::DirLock::Acquire(d));
  const auto mark = InitMark(d);
  if (std::filesystem::exists(mark)) {
    // What a killed init wrote: its keystore and log, and the recovery file it named (only
    // if it is one). No key of it has signed anything anyone else holds.
    FC_ASSIGN_OR_RETURN(Bytes named, store::ReadFileBounded(mark, 8192));
    std::error_code ec;
    const std::filesystem::path old_recovery(std::string(AsChars(named)));
    if (!old_recovery.empty() && IsRecoveryFile(old_recovery)) {
      std::filesystem::remove(old_recovery, ec);
    }
    RemoveLogFiles(d);
    std::filesystem::remove(d.keystore(), ec);
    if (ec) return Status::IOError("cannot remove " + d.keystore().string() + ": " + ec.message());
  } else if (std::filesystem::exists(d.keystore()) || std::filesystem::exists(d.db())) {
    return Status::NotPermitted("data folder " + d.root.string() +
                                " already holds a store; use another --data folder");
  }
  // Before the mark names it: a file already there is someone's, never this init's to remove.
  if (!recovery.empty() && std::filesystem::exists(recovery)) {
    return Status::NotPermitted("recovery file " + recovery.string() +
                                " already exists; move it away or choose --recovery-out");
  }
  FC_RETURN_IF_ERROR(store::WriteFileAtomic(mark, AsBytes(recovery.string())));
  return parts;
}

Status Node::Parts::FinishInit() {
  std::error_code ec;
  std::filesystem::remove(InitMark(dir), ec);
  if (ec) return Status::IOError("cannot remove " + InitMark(dir).string() + ": " + ec.message());
  return store::SyncFolder(dir.root);
}

namespace {

// The rows of this device's own database are trusted only as far as their signatures: an
// entry put into the file by anything but fieldcase (the folder copied, edited and put
// back) would otherwise decide who is a member and which keys new case keys are sealed to.
// The entries that decide trust, control and key entries, are checked as they are loaded,
// once per process each; nothing is used when one fails.
Status CheckSigned(const Id& org_id, const store::StoredEntry& se, std::set<Id>& checked) {
  const store::Entry& e = se.entry;
  if (checked.count(e.id)) return Status::Ok();
  if (store::EntryId(e.header_bytes, e.signature) != e.id ||
      !store::VerifyEntrySignature(org_id, e.header_bytes, e.header.author, e.signature)) {
    return Status::Corruption(
        "the database holds an entry (" + ToHex(e.id).substr(0, 16) +
        ") whose signature does not verify: it was changed outside fieldcase, and nothing "
        "was used. Run `fieldcase verify` to see what else changed, and restore the folder "
        "from a backup (what this device synced is safe on the others)");
  }
  checked.insert(e.id);
  return Status::Ok();
}

Result<std::vector<store::StoredEntry>> AcceptedOfKind(store::Store& log, const Id& org_id,
                                                       store::EntryFilter f,
                                                       std::set<Id>& checked) {
  std::vector<store::StoredEntry> out;
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    if (se.status != store::EntryStatus::kAccepted) return Status::Ok();
    FC_RETURN_IF_ERROR(CheckSigned(org_id, se, checked));
    out.push_back(std::move(se));
    return Status::Ok();
  }));
  return out;
}

store::EntryFilter OfKind(store::Kind kind) {
  store::EntryFilter f;
  f.kind = uint8_t(kind);
  return f;
}

// The ring reads the team keys now and a case's key entries when that case is touched
// (org/key_ring.h): an unlock costs the same at 10 cases and at 10,000.
Status LoadRing(Node::Parts& p) {
  store::Store* log = p.log.get();
  std::set<Id>* checked = &p.signature_checked;  // the ring lives in the same Parts
  const Id org_id = p.org_id;
  org::KeySource source;
  source.of_case = [log, org_id, checked](const Id128& case_id) {
    store::EntryFilter f = OfKind(store::Kind::kKey);
    f.case_id = case_id;
    return AcceptedOfKind(*log, org_id, f, *checked);
  };
  source.all = [log, org_id, checked] {
    return AcceptedOfKind(*log, org_id, OfKind(store::Kind::kKey), *checked);
  };
  org::Openers openers{p.device ? &*p.device : nullptr, p.recovery ? &*p.recovery : nullptr};
  FC_ASSIGN_OR_RETURN(p.ring, org::KeyRing::Load(p.org_id, std::move(source), openers));
  return Status::Ok();
}

}  // namespace

Status Node::Parts::Reload() {
  FC_ASSIGN_OR_RETURN(auto control, AcceptedOfKind(*log, org_id, OfKind(store::Kind::kControl),
                                                   signature_checked));
  members =
      org::Membership::Learn(org_id, std::move(control), directory_key ? &*directory_key : nullptr);
  signer.AdoptCertified(members);
  FC_RETURN_IF_ERROR(LoadRing(*this));
  return signer.SeedClock(*log);
}

Status Node::Parts::Recompute() {
  FC_RETURN_IF_ERROR(sync::RecomputeStatuses(*log).status());
  return Reload();
}

Result<std::vector<Id>> Node::Parts::Commit(std::vector<Draft> drafts, int64_t now_ms) {
  FC_ASSIGN_OR_RETURN(auto ids, signer.Commit(drafts, org_id, members, *log, now_ms));
  // The ring learns this node's new key entries alone: opening a case must not cost a read
  // of every case's key (issue 8 #6).
  std::vector<store::StoredEntry> keys;
  for (size_t i = 0; i < drafts.size() && i < ids.size(); ++i) {
    if (drafts[i].header.kind != uint8_t(store::Kind::kKey)) continue;
    FC_ASSIGN_OR_RETURN(auto held, log->Get(ids[i]));
    if (held) keys.push_back(std::move(*held));
  }
  if (!keys.empty()) ring.Learn(std::move(keys));
  return ids;
}

Result<Id> Node::Parts::CurrentOrgLogDigest() {
  FC_ASSIGN_OR_RETURN(auto heads, log->Heads());
  return org::OrgLogDigest(heads, members.OrgAuthors());
}

Status Node::Parts::SaveKeystore(const crypto::SecretBytes& passphrase) {
  return store::WriteKeystore(dir.keystore(), *keystore, passphrase, keystore_cost);
}

}  // namespace fieldcase::node
