// Node: opening a device's folder, and the facade's plain accessors and reads.
#include "fieldcase/node/node.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "fieldcase/sync/statuses.h"
#include "parts.h"
#include "recovery_file.h"

namespace fieldcase::node {

Node::Node(std::unique_ptr<Parts> parts) : p_(std::move(parts)) {}
Node::~Node() = default;

const Id& Node::org_id() const { return p_->org_id; }
const std::string& Node::org_name() const { return p_->members.org_name(); }
store::Store& Node::log() { return *p_->log; }
const std::map<PublicKey, org::Member>& Node::members() const { return p_->members.members(); }
const PublicKey& Node::writer() const { return p_->signer.writer().public_key(); }
std::vector<std::pair<org::Role, PublicKey>> Node::own_keys() const { return p_->signer.Roles(); }
bool Node::is_member() const { return p_->log->org_id().has_value() && !p_->signer.empty(); }

std::optional<PublicKey> Node::device_key() const {
  if (const auto* k = p_->signer.pending()) return k->public_key();
  if (const auto* k = p_->signer.successor()) return k->public_key();
  return std::nullopt;
}

CaseReader Node::Reader() const { return CaseReader(p_->org_id, *p_->log, p_->ring); }

Result<std::unique_ptr<Node>> Node::Unlock(const store::DataDir& dir,
                                           const crypto::SecretBytes& passphrase) {
  auto p = std::make_unique<Parts>();
  p->dir = dir;
  if (!std::filesystem::exists(dir.keystore())) {
    return Status::NotFound("no fieldcase store in " + dir.root.string() +
                            "; run `fieldcase init` to make this device and join an organisation (or `fieldcase init --org NAME` to found one), or pass --data DIR");
  }
  FC_ASSIGN_OR_RETURN(p->lock, store::DirLock::Acquire(dir));
  FC_RETURN_IF_ERROR(RefuseHalfMade(dir));
  FC_ASSIGN_OR_RETURN(store::Keystore ks, store::ReadKeystore(dir.keystore(), passphrase));
  return Open(std::move(p), std::move(ks));
}

Result<std::unique_ptr<Node>> Node::Unlock(const store::DataDir& dir, store::Keystore ks) {
  auto p = std::make_unique<Parts>();
  p->dir = dir;
  FC_ASSIGN_OR_RETURN(p->lock, store::DirLock::Acquire(dir));
  FC_RETURN_IF_ERROR(RefuseHalfMade(dir));
  return Open(std::move(p), std::move(ks));
}

Result<std::unique_ptr<Node>> Node::Open(std::unique_ptr<Parts> p, store::Keystore ks) {
  const store::DataDir& dir = p->dir;
  for (org::Role r : org::kAllRoles) {
    if (const auto* seed = ks.Find(SignLabel(r))) {
      FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(seed->view()));
      p->signer.Add(r, std::move(key));
    }
  }
  if (const auto* box = ks.Find(kDeviceBoxLabel)) {
    FC_ASSIGN_OR_RETURN(auto kp, crypto::BoxKeyPair::FromSecret(box->view()));
    p->device = std::move(kp);
  }
  if (const auto* id = ks.Find(kBoxIdentityLabel)) {
    FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(id->view()));
    p->box_identity = std::move(key);
  }
  if (const auto* d = ks.Find(kDirectoryLabel)) p->directory_key = d->Clone();
  if (const auto* dk = ks.Find(kDeviceSignLabel)) {
    FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(dk->view()));
    p->signer.SetPending(std::move(key));
  }
  if (const auto* sk = ks.Find(kSuccessorSignLabel)) {
    FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(sk->view()));
    p->signer.SetSuccessor(std::move(key));
  }
  FC_ASSIGN_OR_RETURN(p->keystore_cost, store::KeystoreCost(dir.keystore()));
  p->keystore = std::move(ks);
  FC_ASSIGN_OR_RETURN(p->log, OpenLog(dir));
  if (p->log->org_id()) {
    p->org_id = *p->log->org_id();
    // A sync session cut between its batches and its settling: statuses first.
    FC_RETURN_IF_ERROR(sync::RecomputeIfStale(*p->log).status());
    FC_RETURN_IF_ERROR(p->Reload());
  } else if (!p->signer.pending()) {
    return Status::Corruption("the store has no organisation id");
  }
  return std::unique_ptr<Node>(new Node(std::move(p)));
}

Result<std::vector<Id128>> Node::CaseIds() {
  FC_RETURN_IF_ERROR(p_->ring.EnsureAll());
  return p_->ring.case_order();
}

Result<Id128> Node::ResolveCase(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (t.size() < 6 || t.size() > 32 ||
      t.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument(
        "'" + std::string(text) +
        "' is not a case id (6 to 32 hex digits); see `fieldcase case list`");
  }
  // The ids the prefix spans, found through the case index: every case is not read.
  Id128 lo{}, hi{};
  FromHex(t + std::string(32 - t.size(), '0'), lo);
  FromHex(t + std::string(32 - t.size(), 'f'), hi);
  FC_ASSIGN_OR_RETURN(auto candidates, p_->log->CaseIdsBetween(lo, hi));
  std::optional<Id128> match;
  for (const Id128& c : candidates) {
    FC_RETURN_IF_ERROR(p_->ring.EnsureCase(c));
    if (!p_->ring.Knows(c)) continue;
    if (match)
      return Status::InvalidArgument("case id prefix '" + t + "' is ambiguous; give more digits");
    match = c;
  }
  if (!match) return Status::NotFound("no case " + t + " on this node; see `fieldcase case list`");
  return *match;
}

Result<record::CaseView> Node::LoadCase(const Id128& case_id) { return Reader().LoadCase(case_id); }
Result<std::vector<CaseRecord>> Node::LoadAllCases(int threads) {
  return Reader().LoadAll(threads);
}
Result<std::vector<HistoryLine>> Node::CaseHistory(const Id128& case_id) {
  return Reader().History(case_id);
}
Result<std::vector<Id>> Node::LiveTagAdds(const Id128& case_id, const std::string& tag) {
  return Reader().LiveTagAdds(case_id, tag);
}

std::vector<org::MemberView> Node::Members() const {
  std::set<PublicKey> own;
  for (const auto& [role, key] : p_->signer.Roles()) own.insert(key);
  return p_->members.Views(own);
}

Result<PublicKey> Node::ResolveMember(std::string_view text) const {
  return p_->members.ResolveDevice(text);
}
Result<Id128> Node::ResolvePerson(std::string_view text) const {
  return p_->members.ResolvePerson(text);
}
bool Node::IsRestricted(const Id128& case_id) const { return p_->ring.IsRestricted(case_id); }

Result<crypto::BoxKeyPair> OpenRecoveryFile(const std::filesystem::path& path,
                                            const crypto::SecretBytes& passphrase) {
  FC_ASSIGN_OR_RETURN(Bytes file, store::ReadFileBounded(path, 4096));
  if (file.size() < sizeof(kRecoveryMagic) ||
      std::memcmp(file.data(), kRecoveryMagic, sizeof(kRecoveryMagic)) != 0) {
    return Status::Corruption(path.string() + " is not a fieldcase recovery file");
  }
  FC_ASSIGN_OR_RETURN(
      crypto::SecretBytes secret,
      crypto::OpenWithPassphrase(passphrase, ByteView(file).subspan(sizeof(kRecoveryMagic))));
  return crypto::BoxKeyPair::FromSecret(secret.view());
}

}  // namespace fieldcase::node
