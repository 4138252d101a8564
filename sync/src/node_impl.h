// Node's private state and the mechanisms shared by its commands (signing drafts,
// learning keys and members from the log). Private to sync/.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/sync/data_payload.h"
#include "fieldcase/sync/hlc.h"
#include "fieldcase/sync/key_payload.h"
#include "fieldcase/sync/node.h"
#include "fieldcase/sync/org_log.h"
#include "fieldcase/sync/validity.h"

namespace fieldcase::sync {

namespace node_detail {

inline constexpr char kRecoveryMagic[5] = {'F', 'C', 'R', 'C', 1};
inline constexpr uint64_t kCertificateLifeMs = 2ull * 365 * 24 * 3600 * 1000;

inline std::string SignLabel(Role r) { return std::string("sign:") + ToString(r); }
inline constexpr const char* kDeviceBoxLabel = "box:device";
// A device made by plain `init`: its one signing key, whose role its certificate names.
inline constexpr const char* kDeviceSignLabel = "sign:device";
inline constexpr const char* kDirectoryLabel = "key:directory";

struct CaseKey {
  Id128 key_id{};
  uint32_t generation = 0;
};

}  // namespace node_detail

using namespace node_detail;

class Node::Impl {
 public:
  store::DataDir dir;
  std::unique_ptr<store::DirLock> lock;
  std::unique_ptr<store::Store> log;
  Id org_id{};
  std::string org_name;
  std::map<Role, crypto::SigningKey> signing;
  std::optional<crypto::BoxKeyPair> device;
  std::optional<crypto::SecretBytes> directory_key;
  std::map<PublicKey, Member> members;
  // Symmetric keys this node can use, by key_id (team and case keys alike).
  std::map<Id128, crypto::SecretBytes> keys;
  std::optional<CaseKey> preferred_team_key;
  std::map<Id128, CaseKey> preferred_case_key;  // by case_id
  std::vector<Id128> case_order;
  HybridClock clock;
  Role writer_role = Role::kSupervisor;
  std::vector<CutOff> cut_offs;               // accepted revocations and accept-up-tos
  std::optional<crypto::SigningKey> device_key;  // a joined device's key before its role is known
  std::optional<store::Keystore> keystore;    // kept to add secrets (join)
  crypto::KdfCost keystore_cost = crypto::KdfCost::kModerate;

  // Derives every entry's status from the set held (sync/validity.h), writes the ones
  // that changed, and reloads members and keys from what now counts.
  Status RecomputeStatuses() {
    std::vector<ValidityInput> inputs;
    std::map<Id, store::EntryStatus> before;
    store::EntryFilter headers;
    headers.payloads = false;
    FC_RETURN_IF_ERROR(log->ForEach(headers, [&](const store::StoredEntry& se) {
      if (se.entry.header.kind != uint8_t(store::Kind::kKey) &&
          se.entry.header.kind != uint8_t(store::Kind::kControl)) {
        store::StoredEntry with = se;
        with.entry.payload = Bytes{};  // data payloads are not read; held is what matters
        inputs.push_back(MakeValidityInput(with));
      }
      before[se.entry.id] = se.status;
      return Status::Ok();
    }));
    for (uint8_t kind : {uint8_t(store::Kind::kKey), uint8_t(store::Kind::kControl)}) {
      store::EntryFilter f;
      f.kind = kind;
      FC_RETURN_IF_ERROR(log->ForEach(f, [&](const store::StoredEntry& se) {
        inputs.push_back(MakeValidityInput(se));
        return Status::Ok();
      }));
    }
    ValidityResult v = ComputeValidity(org_id, inputs);
    std::vector<std::pair<Id, store::EntryStatus>> changed;
    for (const auto& [id, st] : v.status) {
      if (before[id] != st) changed.emplace_back(id, st);
    }
    FC_RETURN_IF_ERROR(log->SetStatuses(changed));
    return LoadState();
  }

  // Refuses to sign when this node's key may not, and says why.
  Status CheckMayWrite(Role role) {
    if (!signing.count(role)) {
      if (device_key) {
        return Status::NotPermitted(
            "this device is not enrolled yet: send `fieldcase enrol-request` to an "
            "administrator, then run `fieldcase join RESPONSE`");
      }
      return Status::NotPermitted(std::string("this device holds no ") + ToString(role) +
                                  " key, so it cannot write this");
    }
    const PublicKey& pk = signing.at(role).public_key();
    for (const auto& c : cut_offs) {
      if (c.device == pk) {
        return Status::NotPermitted(
            "this device's key was revoked; its later entries would be quarantined. Ask an "
            "administrator for a new enrolment");
      }
    }
    FC_ASSIGN_OR_RETURN(auto halted, log->GetMeta("halted"));
    if (halted) return Status::NotPermitted(std::string(AsChars(*halted)));
    return Status::Ok();
  }

  const crypto::SigningKey& Writer() const { return signing.at(writer_role); }

  // Signs and appends entries of this node's own keys in one transaction.
  struct Draft {
    Role role;
    store::Header header;  // kind, case_id, key_id set by the caller
    std::function<Bytes(const store::Header&)> make_payload;  // sees author/seq/hlc
  };

  Result<std::vector<store::Entry>> SignAll(std::vector<Draft>& drafts, int64_t now_ms) {
    std::map<PublicKey, std::pair<uint64_t, Id>> next;  // author → (last seq, last id)
    std::vector<store::Entry> out;
    out.reserve(drafts.size());
    for (Draft& d : drafts) {
      const crypto::SigningKey& key = signing.at(d.role);
      auto it = next.find(key.public_key());
      if (it == next.end()) {
        FC_ASSIGN_OR_RETURN(auto head, log->HeadOf(key.public_key()));
        std::pair<uint64_t, Id> last{0, Id{}};
        if (head) last = {head->seq, head->id};
        it = next.emplace(key.public_key(), last).first;
      }
      store::Header& h = d.header;
      h.version = store::kVersion1;
      h.author = key.public_key();
      h.seq = it->second.first + 1;
      h.prev = it->second.second;
      FC_ASSIGN_OR_RETURN(h.hlc, clock.Tick(uint64_t(now_ms)));
      Bytes payload = d.make_payload(h);
      out.push_back(store::SignEntry(h, std::move(payload), org_id, key));
      it->second = {h.seq, out.back().id};
    }
    return out;
  }

  Result<std::vector<Id>> Commit(std::vector<Draft>& drafts, int64_t now_ms) {
    std::set<Role> roles;
    for (const auto& d : drafts) roles.insert(d.role);
    for (Role r : roles) FC_RETURN_IF_ERROR(CheckMayWrite(r));
    FC_ASSIGN_OR_RETURN(auto entries, SignAll(drafts, now_ms));
    FC_ASSIGN_OR_RETURN(auto results, log->AppendBatch(entries, /*locally_signed=*/true, now_ms));
    std::vector<Id> ids;
    for (auto& r : results) {
      if (!r.status.ok()) return r.status.Prefixed("writing");
      ids.push_back(r.id);
    }
    // Reflect what was just written in the key ring.
    for (const auto& e : entries) {
      if (e.header.kind == uint8_t(store::Kind::kKey)) (void)LearnKeyEntry(e);
    }
    return ids;
  }

  Result<Id> CurrentOrgLogDigest() {
    std::vector<PublicKey> org_authors;
    for (const auto& [key, m] : members) {
      if (m.role == Role::kRoot || m.role == Role::kAdmin) org_authors.push_back(key);
    }
    FC_ASSIGN_OR_RETURN(auto heads, log->Heads());
    return OrgLogDigest(heads, org_authors);
  }

  // Only entries whose derived status is accepted count (sync/validity.h).
  Status LearnControl(const store::StoredEntry& se) {
    const store::Entry& e = se.entry;
    if (!e.payload || se.status != store::EntryStatus::kAccepted) return Status::Ok();
    auto p = DecodeControlPayload(*e.payload);
    if (!p.ok()) return Status::Ok();  // needs upgrade; structural checks passed at insert
    if (const auto* c = std::get_if<CutOff>(&*p)) {
      cut_offs.push_back(*c);
      return Status::Ok();
    }
    if (auto* f = std::get_if<Founding>(&*p)) {
      org_name = f->org_name;
      Member root;
      root.key = e.header.author;
      root.role = Role::kRoot;
      members[root.key] = std::move(root);
    } else {
      const auto& en = std::get<Enrolment>(*p);
      Member m;
      m.key = en.subject;
      m.role = en.role;
      m.person_id = en.person_id;
      m.expiry_ms = en.expiry_ms;
      if (directory_key && !en.sealed_personal.empty()) {
        auto personal = OpenPersonal(en.sealed_personal, *directory_key, org_id, en.subject);
        if (personal.ok()) m.personal = *personal;
      }
      members.emplace(m.key, std::move(m));  // the first certificate of a key counts
    }
    return Status::Ok();
  }

  // Opens whatever wrap of a key entry this node can open and records the key.
  Status LearnKeyEntry(const store::Entry& e) {
    if (!e.payload) return Status::Ok();
    const bool team_scope = IsZero(e.header.case_id);
    auto p = DecodeKeyPayload(*e.payload);
    if (!p.ok()) return Status::Ok();
    const Id128& case_id = e.header.case_id;
    if (!keys.count(p->key_id)) {
      for (const Wrap& w : p->wraps) {
        Result<crypto::SecretBytes> k = Status::NotFound("no wrap for this node");
        if (w.type == WrapType::kSealed && device && w.recipient == device->public_key()) {
          k = UnwrapSealed(w, *device, org_id, case_id, p->key_id);
        } else if (w.type == WrapType::kUnderTeamKey) {
          Id128 team_id;
          std::memcpy(team_id.data(), w.recipient.data(), 16);
          auto tk = keys.find(team_id);
          if (tk != keys.end()) k = UnwrapUnderTeamKey(w, tk->second, org_id, case_id, p->key_id);
        }
        if (k.ok() && crypto::ConstantTimeEqual(KeyCheck(*k), p->check)) {
          keys.emplace(p->key_id, std::move(k).value());
          break;
        }
      }
    }
    CaseKey ck{p->key_id, p->generation};
    auto better = [](const CaseKey& a, const std::optional<CaseKey>& b) {
      return !b || a.generation > b->generation ||
             (a.generation == b->generation && a.key_id < b->key_id);
    };
    if (team_scope) {
      if (keys.count(ck.key_id) && better(ck, preferred_team_key)) preferred_team_key = ck;
    } else {
      if (std::find(case_order.begin(), case_order.end(), case_id) == case_order.end()) {
        case_order.push_back(case_id);
      }
      auto it = preferred_case_key.find(case_id);
      std::optional<CaseKey> cur;
      if (it != preferred_case_key.end()) cur = it->second;
      if (keys.count(ck.key_id) && better(ck, cur)) preferred_case_key[case_id] = ck;
    }
    return Status::Ok();
  }

  Status LoadState() {
    members.clear();
    cut_offs.clear();
    keys.clear();
    preferred_team_key.reset();
    preferred_case_key.clear();
    case_order.clear();
    store::EntryFilter control;
    control.kind = uint8_t(store::Kind::kControl);
    FC_RETURN_IF_ERROR(log->ForEach(control, [&](const store::StoredEntry& se) {
      return LearnControl(se);
    }));
    // A joined device learns the role of its key from its certificate.
    if (device_key && members.count(device_key->public_key())) {
      Role r = members.at(device_key->public_key()).role;
      signing.emplace(r, std::move(*device_key));
      device_key.reset();
    }
    writer_role = signing.count(Role::kOfficer) ? Role::kOfficer : Role::kSupervisor;
    // Team keys before case keys: a case key opens only under a team key held.
    store::EntryFilter key_entries;
    key_entries.kind = uint8_t(store::Kind::kKey);
    for (int pass = 0; pass < 2; ++pass) {
      FC_RETURN_IF_ERROR(log->ForEach(key_entries, [&](const store::StoredEntry& se) {
        bool team = IsZero(se.entry.header.case_id);
        if (se.status != store::EntryStatus::kAccepted) return Status::Ok();
        if ((pass == 0) == team) return LearnKeyEntry(se.entry);
        return Status::Ok();
      }));
    }
    // The clock never runs behind what this node's keys already wrote.
    for (auto& [role, key] : signing) {
      FC_ASSIGN_OR_RETURN(auto head, log->HeadOf(key.public_key()));
      if (head) clock.Observe(head->hlc, HlcMillis(head->hlc));
    }
    return Status::Ok();
  }

  Result<RecordEntry> Decrypt(const store::StoredEntry& se) const {
    const store::Header& h = se.entry.header;
    auto k = keys.find(h.key_id);
    if (k == keys.end() || !se.entry.payload) return Status::NotFound("no key");
    FC_ASSIGN_OR_RETURN(Op op, OpenDataOp(k->second, org_id, h, *se.entry.payload));
    return RecordEntry{se.entry.id, h.author, h.seq, h.hlc, std::move(op)};
  }

  Status CollectCase(const Id128& case_id, std::vector<store::StoredEntry>& out) {
    store::EntryFilter f;
    f.case_id = case_id;
    f.kind = uint8_t(store::Kind::kData);
    return log->ForEach(f, [&](const store::StoredEntry& se) {
      if (se.status == store::EntryStatus::kAccepted) out.push_back(se);
      return Status::Ok();
    });
  }
};

}  // namespace fieldcase::sync
