#include "fieldcase/node/node.h"

#include <algorithm>
#include <set>
#include <atomic>
#include <thread>

#include "node_impl.h"

namespace fieldcase::node {

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

const Id& Node::org_id() const { return impl_->org_id; }
const std::string& Node::org_name() const { return impl_->org_name; }
store::Store& Node::log() { return *impl_->log; }
const std::map<PublicKey, Member>& Node::members() const { return impl_->members; }
const PublicKey& Node::writer() const { return impl_->Writer().public_key(); }

std::vector<std::pair<Role, PublicKey>> Node::own_keys() const {
  std::vector<std::pair<Role, PublicKey>> out;
  for (auto& [role, key] : impl_->signing) out.emplace_back(role, key.public_key());
  return out;
}


namespace {

void CleanUpFailedFound(const store::DataDir& dir, const std::filesystem::path& recovery) {
  std::error_code ec;
  for (const auto& p : {dir.db(), std::filesystem::path(dir.db().string() + "-wal"),
                        std::filesystem::path(dir.db().string() + "-shm"), dir.keystore(),
                        recovery}) {
    std::filesystem::remove(p, ec);
  }
}

Result<std::unique_ptr<store::Store>> OpenLog(const store::DataDir& dir) {
  return store::Store::Open(dir.db(), org::ValidateKeyOrControl);
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Found(const store::DataDir& dir, const FoundOptions& options,
                                          const crypto::SecretBytes& passphrase,
                                          const crypto::SecretBytes& recovery_passphrase,
                                          int64_t now_ms) {
  if (options.org_name.empty() || options.org_name.size() > kMaxOrgNameBytes) {
    return Status::InvalidArgument("organisation name must be 1 to 256 bytes");
  }
  FC_ASSIGN_OR_RETURN(auto impl, Impl::ForEmptyFolder(dir));
  if (std::filesystem::exists(options.recovery_out)) {
    return Status::NotPermitted("recovery file " + options.recovery_out.string() +
                                   " already exists; move it away or choose --recovery-out");
  }

  // Keys, one role per key, each with its own chain.
  for (Role r : {Role::kRoot, Role::kAdmin, Role::kSupervisor}) {
    impl->signing.emplace(r, crypto::SigningKey::Generate());
  }
  impl->device = crypto::BoxKeyPair::Generate();
  impl->directory_key = crypto::SecretBytes::Random(32);
  crypto::BoxKeyPair recovery = crypto::BoxKeyPair::Generate();
  impl->org_id = store::OrgId(impl->signing.at(Role::kRoot).public_key());
  impl->org_name = options.org_name;
  impl->writer_role = Role::kSupervisor;

  // The keystore and the recovery file go first: if the log failed after them we clean
  // up; the reverse order could leave signed entries whose keys were never saved.
  store::Keystore ks;
  for (auto& [role, key] : impl->signing) ks.Put(SignLabel(role), crypto::SecretBytes::CopyFrom(key.seed()));
  ks.Put(kDeviceBoxLabel, crypto::SecretBytes::CopyFrom(impl->device->secret()));
  ks.Put(kDirectoryLabel, impl->directory_key->Clone());
  Status s = store::WriteKeystore(dir.keystore(), ks, passphrase, options.cost);
  if (s.ok()) {
    Bytes file(kRecoveryMagic, kRecoveryMagic + 5);
    Append(file, crypto::SealWithPassphrase(recovery_passphrase, recovery.secret(), options.cost));
    s = store::WriteFileAtomic(options.recovery_out, file);
  }
  Result<std::vector<Id>> written = Status::IOError("not written");
  if (s.ok()) {
    auto log = OpenLog(dir);
    if (!log.ok()) s = log.status();
    else impl->log = std::move(log).value();
  }
  if (s.ok()) s = impl->log->SetOrgId(impl->org_id);
  if (s.ok()) {
    const Id& org = impl->org_id;
    const PublicKey& device_pk = impl->device->public_key();
    Id128 person_id = crypto::RandomArray<16>();
    auto certificate = [&](Role role) {
      return [&, role](const store::Header&) {
        Enrolment e;
        e.subject = impl->signing.at(role).public_key();
        e.box_key = device_pk;
        e.role = role;
        e.person_id = person_id;
        e.expiry_ms = uint64_t(now_ms) + kCertificateLifeMs;
        if (!options.person_name.empty() || !options.badge.empty()) {
          e.sealed_personal = SealPersonal({options.person_name, options.badge},
                                           *impl->directory_key, org, e.subject);
        }
        return EncodeControlPayload(e);
      };
    };
    std::vector<Impl::Draft> drafts;
    store::Header control;
    control.kind = uint8_t(store::Kind::kControl);
    drafts.push_back({Role::kRoot, control, [&](const store::Header&) {
                        return EncodeControlPayload(Founding{options.org_name, recovery.public_key()});
                      }});
    drafts.push_back({Role::kRoot, control, certificate(Role::kAdmin)});
    drafts.push_back({Role::kAdmin, control, certificate(Role::kSupervisor)});
    written = impl->Commit(drafts, now_ms);
    if (!written.ok()) s = written.status();
  }
  if (s.ok()) s = impl->LoadState();
  Result<Id> orglog = s.ok() ? impl->CurrentOrgLogDigest() : Result<Id>(s);
  if (!orglog.ok()) s = orglog.status();
  if (s.ok()) {
    const Id& org = impl->org_id;
    const PublicKey& device_pk = impl->device->public_key();
    std::vector<Impl::Draft> drafts;
    store::Header team;
    team.kind = uint8_t(store::Kind::kKey);
    auto team_key = crypto::SecretBytes::Random(kSymmetricKeyBytes);
    drafts.push_back({Role::kSupervisor, team, [&](const store::Header& h) {
                        KeyPayload p;
                        p.op = KeyOpCode::kTeamKey;
                        p.key_id = store::KeyIdFor(h.author, h.seq);
                        p.generation = 1;
                        p.check = KeyCheck(team_key);
                        p.orglog_digest = *orglog;
                        p.wraps.push_back(WrapSealed(team_key, device_pk, org, h.case_id, p.key_id));
                        return EncodeKeyPayload(p);
                      }});
    written = impl->Commit(drafts, now_ms);
    if (!written.ok()) s = written.status();
  }
  if (s.ok()) s = impl->RecomputeStatuses();
  if (!s.ok()) {
    impl->log.reset();
    CleanUpFailedFound(dir, options.recovery_out);
    return s.Prefixed("founding the organisation");
  }
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<std::unique_ptr<Node>> Node::Unlock(const store::DataDir& dir,
                                           const crypto::SecretBytes& passphrase) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  if (!std::filesystem::exists(dir.keystore())) {
    return Status::NotFound("no fieldcase store in " + dir.root.string() +
                            "; run `fieldcase init --org NAME` or pass --data");
  }
  FC_ASSIGN_OR_RETURN(impl->lock, store::DirLock::Acquire(dir));
  FC_ASSIGN_OR_RETURN(store::Keystore ks, store::ReadKeystore(dir.keystore(), passphrase));
  for (uint8_t r = 1; r <= 6; ++r) {
    if (const auto* seed = ks.Find(SignLabel(Role(r)))) {
      FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(seed->view()));
      impl->signing.emplace(Role(r), std::move(key));
    }
  }
  if (const auto* box = ks.Find(kDeviceBoxLabel)) {
    FC_ASSIGN_OR_RETURN(auto kp, crypto::BoxKeyPair::FromSecret(box->view()));
    impl->device = std::move(kp);
  }
  if (const auto* d = ks.Find(kDirectoryLabel)) impl->directory_key = d->Clone();
  if (const auto* dk = ks.Find(kDeviceSignLabel)) {
    FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(dk->view()));
    impl->device_key = std::move(key);
  }
  if (const auto* sk = ks.Find(kSuccessorSignLabel)) {
    FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(sk->view()));
    impl->successor_key = std::move(key);
  }
  FC_ASSIGN_OR_RETURN(impl->keystore_cost, store::KeystoreCost(dir.keystore()));
  impl->keystore = std::move(ks);
  FC_ASSIGN_OR_RETURN(impl->log, OpenLog(dir));
  if (impl->log->org_id()) {
    impl->org_id = *impl->log->org_id();
    FC_RETURN_IF_ERROR(impl->LoadState());
  } else if (!impl->device_key) {
    return Status::Corruption("the store has no organisation id");
  }
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<Id128> Node::OpenCase(const record::OpenCase& op, int64_t now_ms,
                             const std::vector<Id128>& restricted_to) {
  Impl& im = *impl_;
  FC_RETURN_IF_ERROR(im.CheckMayWrite(im.writer_role));
  const bool restricted = !restricted_to.empty();
  if (!restricted && !im.preferred_team_key) {
    return Status::NotPermitted("this node holds no team key yet; sync with a supervisor first");
  }
  FC_RETURN_IF_ERROR(CheckOp(op));
  std::set<Id128> persons(restricted_to.begin(), restricted_to.end());
  if (restricted) {
    auto me = im.members.find(im.Writer().public_key());
    if (me != im.members.end()) persons.insert(me->second.person_id);  // the opener is named
  }
  FC_ASSIGN_OR_RETURN(Id orglog, im.CurrentOrgLogDigest());
  auto case_key = crypto::SecretBytes::Random(kSymmetricKeyBytes);
  // The case id derives from the key entry's (author, seq), which SignAll assigns; the
  // header's case_id must be set before signing, so compute it from the next seq here.
  FC_ASSIGN_OR_RETURN(auto head, im.log->HeadOf(im.Writer().public_key()));
  uint64_t seq = head ? head->seq + 1 : 1;
  const Id128 case_id = store::CaseIdFor(im.Writer().public_key(), seq);
  const Id128 key_id = store::KeyIdFor(im.Writer().public_key(), seq);
  std::vector<Impl::Draft> drafts;
  store::Header kh;
  kh.kind = uint8_t(store::Kind::kKey);
  kh.case_id = case_id;
  drafts.push_back({im.writer_role, kh, [&](const store::Header&) {
                      KeyPayload p;
                      p.op = KeyOpCode::kCaseKey;
                      p.key_id = key_id;
                      p.generation = 1;
                      p.check = KeyCheck(case_key);
                      p.orglog_digest = orglog;
                      p.wraps = im.CaseKeyWraps(case_key, case_id, key_id,
                                                restricted ? &persons : nullptr);
                      return EncodeKeyPayload(p);
                    }});
  store::Header dh;
  dh.kind = uint8_t(store::Kind::kData);
  dh.case_id = case_id;
  dh.key_id = key_id;
  Bytes op_bytes = EncodeOp(op);
  drafts.push_back({im.writer_role, dh, [&](const store::Header& h) {
                      return SealData(case_key, im.org_id, h, op_bytes);
                    }});
  FC_ASSIGN_OR_RETURN(auto ids, im.Commit(drafts, now_ms));
  crypto::Wipe(op_bytes.data(), op_bytes.size());
  return case_id;
}

Result<std::vector<Id>> Node::WriteBatch(const std::vector<std::pair<Id128, Op>>& ops,
                                         int64_t now_ms) {
  Impl& im = *impl_;
  FC_RETURN_IF_ERROR(im.CheckMayWrite(im.writer_role));
  std::vector<Impl::Draft> drafts;
  drafts.reserve(ops.size());
  // Lazy rotation: never encrypt under a key a revoked device could read.
  std::set<Id128> cases;
  for (const auto& [case_id, op] : ops) cases.insert(case_id);
  for (const Id128& c : cases) FC_RETURN_IF_ERROR(im.RotateCaseKeyIfExposed(c, now_ms));
  for (const auto& [case_id, op] : ops) {
    FC_RETURN_IF_ERROR(CheckOp(op));
    auto ck = im.preferred_case_key.find(case_id);
    if (ck == im.preferred_case_key.end()) {
      return Status::NotFound("no case " + ToHex(case_id) + " readable here; see `fieldcase case list`");
    }
    store::Header h;
    h.kind = uint8_t(store::Kind::kData);
    h.case_id = case_id;
    h.key_id = ck->second.key_id;
    const crypto::SecretBytes& key = im.keys.at(ck->second.key_id);
    const Op* opp = &op;
    drafts.push_back({im.writer_role, h, [&im, &key, opp](const store::Header& hh) {
                        Bytes b = EncodeOp(*opp);
                        Bytes out = SealData(key, im.org_id, hh, b);
                        crypto::Wipe(b.data(), b.size());
                        return out;
                      }});
  }
  return im.Commit(drafts, now_ms);
}

Result<Id> Node::Write(const Id128& case_id, const Op& op, int64_t now_ms) {
  FC_ASSIGN_OR_RETURN(auto ids, WriteBatch({{case_id, op}}, now_ms));
  return ids.front();
}

Result<std::vector<Id128>> Node::CaseIds() { return impl_->case_order; }

Result<Id128> Node::ResolveCase(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t.size() < 6 || t.size() > 32 || t.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a case id (6 to 32 hex digits); see `fieldcase case list`");
  }
  std::optional<Id128> match;
  for (const Id128& c : impl_->case_order) {
    if (ToHex(c).compare(0, t.size(), t) == 0) {
      if (match) return Status::InvalidArgument("case id prefix '" + t + "' is ambiguous; give more digits");
      match = c;
    }
  }
  if (!match) return Status::NotFound("no case " + t + " on this node; see `fieldcase case list`");
  return *match;
}

Result<CaseView> Node::LoadCase(const Id128& case_id) {
  std::vector<store::StoredEntry> entries;
  FC_RETURN_IF_ERROR(impl_->CollectCase(case_id, entries));
  CaseState state;
  for (const auto& se : entries) {
    auto r = impl_->Decrypt(se);
    if (r.ok()) state.Apply(*r);
    else state.AddUndecryptable(se.entry.id);
  }
  return state.View();
}

Result<std::vector<CaseRecord>> Node::LoadAllCases(int threads) {
  Impl& im = *impl_;
  // Group while scanning, then give whole cases to threads: each decrypts, applies and
  // builds its cases' views and frees their entries as it goes.
  std::map<Id128, size_t> index;
  for (const Id128& c : im.case_order) index.emplace(c, index.size());
  std::vector<std::vector<store::StoredEntry>> by_case(index.size());
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kData);
  FC_RETURN_IF_ERROR(im.log->ForEach(f, [&](store::StoredEntry& se) {
    if (se.status != store::EntryStatus::kAccepted) return Status::Ok();
    auto it = index.find(se.entry.header.case_id);
    if (it != index.end()) by_case[it->second].push_back(std::move(se));
    return Status::Ok();
  }));
  std::vector<CaseRecord> out(index.size());
  for (const auto& [c, i] : index) out[i].case_id = c;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < by_case.size(); i = next++) {
      CaseState st;
      for (const auto& se : by_case[i]) {
        auto r = im.Decrypt(se);
        if (r.ok()) st.Apply(*r);
        else st.AddUndecryptable(se.entry.id);
      }
      std::vector<store::StoredEntry>().swap(by_case[i]);
      out[i].view = st.View();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  return out;
}

Result<std::vector<HistoryLine>> Node::CaseHistory(const Id128& case_id) {
  Impl& im = *impl_;
  std::vector<HistoryLine> lines;
  store::EntryFilter f;
  f.case_id = case_id;
  CaseState state;
  FC_RETURN_IF_ERROR(im.log->ForEach(f, [&](const store::StoredEntry& se) {
    HistoryLine l;
    const store::Header& h = se.entry.header;
    l.id = se.entry.id;
    l.author = h.author;
    l.seq = h.seq;
    l.hlc = h.hlc;
    l.kind = h.kind;
    l.future_dated = IsFutureDated(h.hlc, uint64_t(se.received_ms));
    l.status = se.status;
    // Only accepted entries are in views (and supersede anything); the others are listed
    // with their status.
    if (h.kind == uint8_t(store::Kind::kData)) {
      auto r = im.Decrypt(se);
      if (r.ok()) {
        l.op = r->op;
        if (se.status == store::EntryStatus::kAccepted) state.Apply(*r);
      }
    }
    lines.push_back(std::move(l));
    return Status::Ok();
  }));
  // Who superseded what comes from the view's history, so it follows the merge rules.
  CaseView v = state.View();
  std::map<Id, std::vector<Id>> superseded;
  for (auto& [name, field] : v.fields)
    for (auto& item : field.history) superseded[item.set.id] = item.superseded_by;
  for (auto& item : v.status.history) superseded[item.set.id] = item.superseded_by;
  for (auto& l : lines) {
    auto it = superseded.find(l.id);
    if (it != superseded.end()) l.superseded_by = it->second;
  }
  std::sort(lines.begin(), lines.end(), [](const HistoryLine& a, const HistoryLine& b) {
    return std::tie(a.hlc, a.author, a.seq) < std::tie(b.hlc, b.author, b.seq);
  });
  return lines;
}

Result<std::vector<Id>> Node::LiveTagAdds(const Id128& case_id, const std::string& tag) {
  std::vector<store::StoredEntry> entries;
  FC_RETURN_IF_ERROR(impl_->CollectCase(case_id, entries));
  std::set<Id> adds, removed;
  for (const auto& se : entries) {
    auto r = impl_->Decrypt(se);
    if (!r.ok()) continue;
    if (const auto* t = std::get_if<Tag>(&r->op); t && t->tag == tag) adds.insert(r->id);
    if (const auto* u = std::get_if<Untag>(&r->op); u && u->tag == tag) {
      removed.insert(u->removes.begin(), u->removes.end());
    }
  }
  std::vector<Id> live;
  for (const Id& id : adds)
    if (!removed.count(id)) live.push_back(id);
  return live;
}

Result<crypto::BoxKeyPair> OpenRecoveryFile(const std::filesystem::path& path,
                                            const crypto::SecretBytes& passphrase) {
  FC_ASSIGN_OR_RETURN(Bytes file, store::ReadFileBounded(path, 4096));
  if (file.size() < 5 || std::memcmp(file.data(), kRecoveryMagic, 5) != 0) {
    return Status::Corruption(path.string() + " is not a fieldcase recovery file");
  }
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes secret,
                      crypto::OpenWithPassphrase(passphrase, ByteView(file).subspan(5)));
  return crypto::BoxKeyPair::FromSecret(secret.view());
}

}  // namespace fieldcase::node
