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
#include "fieldcase/record/data_payload.h"
#include "fieldcase/record/hlc.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/org_log.h"
#include "fieldcase/org/validity.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/sync/statuses.h"
#include "fieldcase/sync/ingest.h"

namespace fieldcase::node {

// Names of the modules below, for the node's own sources (not a public header).
using org::ControlOpCode;
using org::CutOff;
using org::DecodeControlPayload;
using org::DecodeKeyPayload;
using org::DirectoryKeyContext;
using org::EncodeControlPayload;
using org::EncodeEnrolResponse;
using org::EncodeEnrolRequest;
using org::EnrolRequest;
using org::EnrolResponse;
using org::Enrolment;
using org::Founding;
using org::KeyCheck;
using org::KeyOpCode;
using org::KeyPayload;
using org::Member;
using org::MemberView;
using org::OpenPersonal;
using org::OrgLogDigest;
using org::Personal;
using org::Role;
using org::SealPersonal;
using org::TeamRecipient;
using org::UnwrapSealed;
using org::UnwrapUnderTeamKey;
using org::Wrap;
using org::WrapSealed;
using org::WrapType;
using org::WrapUnderTeamKey;
using org::kMaxOrgNameBytes;
using org::kSymmetricKeyBytes;
using record::CaseState;
using record::CaseView;
using record::CheckOp;
using record::EncodeOp;
using record::HlcMillis;
using record::HybridClock;
using record::IsFutureDated;
using record::Op;
using record::OpenDataOp;
using record::RecordEntry;
using record::SealData;
using record::Tag;
using record::Untag;
using store::RawEntry;
using sync::ImportReport;

namespace node_detail {

inline constexpr char kRecoveryMagic[5] = {'F', 'C', 'R', 'C', 1};
inline constexpr uint64_t kCertificateLifeMs = 2ull * 365 * 24 * 3600 * 1000;

inline std::string SignLabel(Role r) { return std::string("sign:") + ToString(r); }
inline constexpr const char* kDeviceBoxLabel = "box:device";
// A device made by plain `init`: its one signing key, whose role its certificate names.
inline constexpr const char* kDeviceSignLabel = "sign:device";
// A key asked for by `enrol-request --successor`, until its certificate counts.
inline constexpr const char* kSuccessorSignLabel = "sign:successor";
inline constexpr const char* kDirectoryLabel = "key:directory";

struct CaseKey {
  Id128 key_id{};
  uint32_t generation = 0;
};

// What the key entries say about one key, whether or not this node can open it.
struct KeyInfo {
  Id128 case_id{};                 // zero for team keys
  Id check{};                      // the introducer's key-check value
  uint32_t generation = 0;
  Id128 previous{};
  std::set<PublicKey> recipients;  // X25519 keys it was sealed to (entry and grants)
  std::vector<Id128> wrapped_under;  // team keys it was wrapped under
  bool restricted = false;         // a case key with no team-key wrap
};

}  // namespace node_detail

using namespace node_detail;

class Node::Impl {
 public:
  // A new node's state in a data folder that must be empty: locks it first, so two
  // `init`s cannot race.
  static Result<std::unique_ptr<Impl>> ForEmptyFolder(const store::DataDir& d) {
    auto impl = std::make_unique<Impl>();
    impl->dir = d;
    FC_ASSIGN_OR_RETURN(impl->lock, store::DirLock::Acquire(d));
    if (std::filesystem::exists(d.keystore()) || std::filesystem::exists(d.db())) {
      return Status::NotPermitted("data folder " + d.root.string() +
                                  " already holds a store; use another --data folder");
    }
    return impl;
  }

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
  std::map<Id128, KeyInfo> key_info;            // by key_id
  std::optional<crypto::BoxKeyPair> recovery;   // only while `recover` runs
  PublicKey recovery_public{};                  // from the founding entry
  std::vector<Id128> case_order;
  HybridClock clock;
  Role writer_role = Role::kSupervisor;
  std::vector<CutOff> cut_offs;               // accepted revocations and accept-up-tos
  std::set<PublicKey> retired;                // keys replaced by a successor enrolment
  std::optional<crypto::SigningKey> device_key;  // a joined device's key before its role is known
  std::optional<crypto::SigningKey> successor_key;  // a successor key before its certificate
  std::optional<store::Keystore> keystore;    // kept to add secrets (join)
  crypto::KdfCost keystore_cost = crypto::KdfCost::kModerate;

  // Derives every entry's status from the set held (sync/validity.h), writes the ones
  // that changed, and reloads members and keys from what now counts.
  Status RecomputeStatuses() {
    FC_RETURN_IF_ERROR(sync::RecomputeStatuses(*log).status());
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
    if (retired.count(pk)) {
      return Status::NotPermitted("this key was replaced by a successor enrolment; it writes no more");
    }
    FC_ASSIGN_OR_RETURN(bool forked, log->HasForkEvidence(pk));
    if (forked) {
      return Status::NotPermitted(
          "this device's key has two different entries at one place in its chain (a clone or "
          "a restore): its entries from there on are quarantined. Ask an administrator to "
          "revoke it and enrol a successor");
    }
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
    bool any_key = false;
    for (const auto& e : entries) any_key |= e.header.kind == uint8_t(store::Kind::kKey);
    if (any_key) FC_RETURN_IF_ERROR(LoadKeyRing());
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
      recovery_public = f->recovery_public_key;
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
      m.box_key = en.box_key;
      if (directory_key && !en.sealed_personal.empty()) {
        auto personal = OpenPersonal(en.sealed_personal, *directory_key, org_id, en.subject);
        if (personal.ok()) m.personal = *personal;
      }
      if (en.predecessor) retired.insert(*en.predecessor);
      members.emplace(m.key, std::move(m));  // the first certificate of a key counts
    }
    return Status::Ok();
  }

  // The key ring, rebuilt from the accepted key entries (statuses already tie grants and
  // generations to the entries that introduce their keys, sync/validity.cpp):
  //   1. every introducing entry (not a grant) describes its key: scope, generation,
  //      previous, check value, restricted or not;
  //   2. grants add recipients to a key whose introducer is known and whose check agrees;
  //   3. wraps are opened until nothing new is learned, and a key is kept only when its
  //      check value matches its introducer's — so a wrap cannot plant a key.
  Status LoadKeyRing() {
    keys.clear();
    key_info.clear();
    std::vector<std::pair<store::Entry, KeyPayload>> entries;
    store::EntryFilter kf;
    kf.kind = uint8_t(store::Kind::kKey);
    FC_RETURN_IF_ERROR(log->ForEach(kf, [&](store::StoredEntry& se) {
      if (se.status != store::EntryStatus::kAccepted || !se.entry.payload) return Status::Ok();
      auto p = DecodeKeyPayload(*se.entry.payload);
      if (p.ok()) entries.emplace_back(std::move(se.entry), std::move(p).value());
      return Status::Ok();
    }));
    auto note_wraps = [](KeyInfo& info, const KeyPayload& p) {
      for (const Wrap& w : p.wraps) {
        if (w.type == WrapType::kSealed) {
          info.recipients.insert(w.recipient);
        } else {
          Id128 team_id;
          std::memcpy(team_id.data(), w.recipient.data(), 16);
          info.wrapped_under.push_back(team_id);
        }
      }
    };
    for (const auto& [e, p] : entries) {
      if (p.op == KeyOpCode::kGrant) continue;
      KeyInfo& info = key_info[p.key_id];
      info.case_id = e.header.case_id;
      info.generation = p.generation;
      info.previous = p.previous_key_id;
      info.check = p.check;
      bool team_wrap = false;
      for (const Wrap& w : p.wraps) team_wrap |= w.type == WrapType::kUnderTeamKey;
      info.restricted = !IsZero(e.header.case_id) && !p.wraps.empty() && !team_wrap;
      note_wraps(info, p);
      if (!IsZero(e.header.case_id) &&
          std::find(case_order.begin(), case_order.end(), e.header.case_id) == case_order.end()) {
        case_order.push_back(e.header.case_id);
      }
    }
    for (const auto& [e, p] : entries) {
      if (p.op != KeyOpCode::kGrant) continue;
      auto it = key_info.find(p.key_id);
      if (it != key_info.end() && it->second.check == p.check) note_wraps(it->second, p);
    }
    auto keep = [&](const Id128& key_id, Result<crypto::SecretBytes> k) {
      auto info = key_info.find(key_id);
      if (!k.ok() || info == key_info.end() || keys.count(key_id)) return false;
      if (!crypto::ConstantTimeEqual(KeyCheck(*k), info->second.check)) return false;
      keys.emplace(key_id, std::move(k).value());
      return true;
    };
    for (bool learned = true; learned;) {
      learned = false;
      for (const auto& [e, p] : entries) {
        auto info = key_info.find(p.key_id);
        if (info == key_info.end()) continue;
        const Id128& case_id = info->second.case_id;
        if (!keys.count(p.key_id)) {
          for (const Wrap& w : p.wraps) {
            Result<crypto::SecretBytes> k = Status::NotFound("no wrap for this node");
            if (w.type == WrapType::kSealed && device && w.recipient == device->public_key()) {
              k = UnwrapSealed(w, *device, org_id, case_id, p.key_id);
            } else if (w.type == WrapType::kSealed && recovery &&
                       w.recipient == recovery->public_key()) {
              k = UnwrapSealed(w, *recovery, org_id, case_id, p.key_id);
            } else if (w.type == WrapType::kUnderTeamKey) {
              Id128 team_id;
              std::memcpy(team_id.data(), w.recipient.data(), 16);
              auto tk = keys.find(team_id);
              if (tk != keys.end()) k = UnwrapUnderTeamKey(w, tk->second, org_id, case_id, p.key_id);
            }
            if (keep(p.key_id, std::move(k))) {
              learned = true;
              break;
            }
          }
        }
        // The previous generation travels wrapped under this key.
        if (p.op != KeyOpCode::kGrant && !p.previous_wrap.empty() && keys.count(p.key_id) &&
            !keys.count(p.previous_key_id)) {
          Wrap prev{WrapType::kUnderTeamKey, TeamRecipient(p.key_id), p.previous_wrap};
          learned |= keep(p.previous_key_id, UnwrapUnderTeamKey(prev, keys.at(p.key_id), org_id,
                                                                case_id, p.previous_key_id));
        }
      }
    }
    ChoosePreferredKeys();
    return Status::Ok();
  }

  // Preferred keys (DESIGN §5): highest generation, then lowest key_id, among keys held.
  void ChoosePreferredKeys() {
    auto better = [](const CaseKey& a, const std::optional<CaseKey>& b) {
      return !b || a.generation > b->generation ||
             (a.generation == b->generation && a.key_id < b->key_id);
    };
    preferred_team_key.reset();
    preferred_case_key.clear();
    for (const auto& [key_id, info] : key_info) {
      if (!keys.count(key_id) || info.generation == 0) continue;
      CaseKey ck{key_id, info.generation};
      if (IsZero(info.case_id)) {
        if (better(ck, preferred_team_key)) preferred_team_key = ck;
      } else {
        auto it = preferred_case_key.find(info.case_id);
        std::optional<CaseKey> cur;
        if (it != preferred_case_key.end()) cur = it->second;
        if (better(ck, cur)) preferred_case_key[info.case_id] = ck;
      }
    }
  }

  // Current devices that read cases: officer and supervisor keys not revoked, optionally
  // only those of the given persons. Sorted, so wraps come out in one order.
  std::vector<PublicKey> ReaderDevices(const std::set<Id128>* persons = nullptr) const {
    std::set<PublicKey> revoked = RevokedBoxKeys(), out;
    for (const auto& [key, m] : members) {
      if (m.role != Role::kOfficer && m.role != Role::kSupervisor) continue;
      if (revoked.count(m.box_key) || IsZero(m.box_key)) continue;
      if (persons && !persons->count(m.person_id)) continue;
      out.insert(m.box_key);
    }
    return {out.begin(), out.end()};
  }

  // Persons named by a restricted key: the persons of the devices it was sealed to.
  std::set<Id128> PersonsOf(const KeyInfo& info) const {
    std::set<Id128> persons;
    for (const auto& [key, m] : members)
      if (info.recipients.count(m.box_key)) persons.insert(m.person_id);
    return persons;
  }

  // The wraps of a new case key: under the preferred team key for an ordinary case (or
  // sealed to every current reader when a revoked device could read that team key);
  // for a restricted case, sealed to the named persons' current devices, this device and
  // the recovery recipient.
  std::vector<Wrap> CaseKeyWraps(const crypto::SecretBytes& key, const Id128& case_id,
                                 const Id128& key_id, const std::set<Id128>* persons) const {
    std::vector<Wrap> wraps;
    if (persons) {
      std::set<PublicKey> to;
      for (const auto& d : ReaderDevices(persons)) to.insert(d);
      if (device) to.insert(device->public_key());
      if (!IsZero(recovery_public)) to.insert(recovery_public);
      for (const auto& r : to) wraps.push_back(WrapSealed(key, r, org_id, case_id, key_id));
      return wraps;
    }
    if (preferred_team_key && !ReadableByRevoked(preferred_team_key->key_id)) {
      const CaseKey& t = *preferred_team_key;
      wraps.push_back(WrapUnderTeamKey(key, keys.at(t.key_id), t.key_id, org_id, case_id, key_id));
      return wraps;
    }
    for (const auto& r : ReaderDevices()) wraps.push_back(WrapSealed(key, r, org_id, case_id, key_id));
    return wraps;
  }

  // Writes a new generation of a case's key when a revoked device could read the current
  // one (node_keys.cpp).
  Status RotateCaseKeyIfExposed(const Id128& case_id, int64_t now_ms);
  // A supervisor node grants the preferred team key to every current officer or
  // supervisor device that lacks it (DESIGN §5), in one entry.
  Status GrantMissingTeamKeys(int64_t now_ms);

  // X25519 keys of devices whose key has been revoked.
  std::set<PublicKey> RevokedBoxKeys() const {
    std::set<PublicKey> out;
    for (const auto& c : cut_offs) {
      if (c.op != ControlOpCode::kRevoke) continue;
      auto m = members.find(c.device);
      if (m != members.end()) out.insert(m->second.box_key);
    }
    return out;
  }

  // Could a revoked device read this key? It could if the key, or a team key it was
  // wrapped under, or any later team generation (which carries the earlier ones), was
  // sealed to it.
  bool ReadableByRevoked(const Id128& key_id) const {
    std::set<PublicKey> revoked = RevokedBoxKeys();
    if (revoked.empty()) return false;
    auto sealed_to_revoked = [&](const KeyInfo& i) {
      for (const auto& r : i.recipients)
        if (revoked.count(r)) return true;
      return false;
    };
    auto it = key_info.find(key_id);
    if (it == key_info.end()) return false;
    if (sealed_to_revoked(it->second)) return true;
    for (const Id128& team : it->second.wrapped_under) {
      auto t = key_info.find(team);
      uint32_t gen = t == key_info.end() ? 0 : t->second.generation;
      for (const auto& [id, info] : key_info) {
        if (IsZero(info.case_id) && info.generation >= gen && sealed_to_revoked(info)) return true;
      }
    }
    return false;
  }

  Status LoadState() {
    members.clear();
    cut_offs.clear();
    preferred_team_key.reset();
    preferred_case_key.clear();
    case_order.clear();
    store::EntryFilter control;
    control.kind = uint8_t(store::Kind::kControl);
    // In the canonical order of sync/validity.cpp, so "the first certificate of a key
    // counts" picks the same one on every node.
    std::vector<store::StoredEntry> control_entries;
    FC_RETURN_IF_ERROR(log->ForEach(control, [&](store::StoredEntry& se) {
      if (se.status == store::EntryStatus::kAccepted) control_entries.push_back(std::move(se));
      return Status::Ok();
    }));
    std::sort(control_entries.begin(), control_entries.end(),
              [](const store::StoredEntry& x, const store::StoredEntry& y) {
                const auto& a = x.entry.header;
                const auto& b = y.entry.header;
                return std::tie(a.hlc, a.author, a.seq, x.entry.id) <
                       std::tie(b.hlc, b.author, b.seq, y.entry.id);
              });
    retired.clear();
    for (const auto& se : control_entries) FC_RETURN_IF_ERROR(LearnControl(se));
    // A joined device learns the role of its key from its certificate.
    if (device_key && members.count(device_key->public_key())) {
      Role r = members.at(device_key->public_key()).role;
      signing.insert_or_assign(r, std::move(*device_key));
      device_key.reset();
    }
    if (successor_key && members.count(successor_key->public_key())) {
      // A successor key takes over the role of the key it replaces.
      Role r = members.at(successor_key->public_key()).role;
      signing.insert_or_assign(r, std::move(*successor_key));
      successor_key.reset();
    }
    writer_role = signing.count(Role::kOfficer) ? Role::kOfficer : Role::kSupervisor;
    FC_RETURN_IF_ERROR(LoadKeyRing());
    // The clock never runs behind what this node has seen: entries it received (the
    // clock they raised, already capped at receipt) and what its own keys wrote.
    FC_ASSIGN_OR_RETURN(auto seen, log->GetMeta("clock"));
    if (seen && seen->size() == 8) {
      uint64_t v = GetLE(seen->data(), 8);
      clock.Observe(v, HlcMillis(v));
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
    auto info = key_info.find(h.key_id);
    if (info == key_info.end() || info->second.case_id != h.case_id) {
      return Status::Corruption("encrypted under a key of another case");
    }
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

}  // namespace fieldcase::node
