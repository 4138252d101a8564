#include "fieldcase/org/key_ring.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "fieldcase/crypto/secret.h"

namespace fieldcase::org {

namespace {

Id128 TeamKeyIdOf(const Wrap& w) {
  Id128 team_id;
  std::memcpy(team_id.data(), w.recipient.data(), team_id.size());
  return team_id;
}

void NoteWraps(KeyInfo& info, const KeyPayload& p) {
  for (const Wrap& w : p.wraps) {
    if (w.type == WrapType::kSealed)
      info.recipients.insert(w.recipient);
    else
      info.wrapped_under.push_back(TeamKeyIdOf(w));
  }
}

}  // namespace

KeyRing KeyRing::Load(const Id& org_id, std::vector<store::StoredEntry> stored, Openers openers) {
  KeyRing ring;
  ring.Learn(org_id, std::move(stored), openers);
  return ring;
}

void KeyRing::Learn(const Id& org_id, std::vector<store::StoredEntry> stored, Openers openers) {
  KeyRing& ring = *this;
  // (key_id the entry is about, header, payload). For an introducing entry the key_id is
  // derived from its signed (author, seq); a grant names the key it grants.
  struct KeyEntry {
    Id128 key_id;
    store::Header header;
    KeyPayload payload;
  };
  std::vector<KeyEntry> entries;
  for (auto& se : stored) {
    if (se.status != store::EntryStatus::kAccepted || !se.entry.payload ||
        se.entry.header.kind != uint8_t(store::Kind::kKey)) {
      continue;
    }
    auto p = DecodeKeyPayload(*se.entry.payload);
    if (!p.ok()) continue;
    const store::Header& h = se.entry.header;
    Id128 key_id = p->op == KeyOpCode::kGrant ? p->key_id : store::KeyIdFor(h.author, h.seq);
    // An introducing entry names its own key; one that names another is never believed
    // (statuses quarantine it; this holds even for a store written before that rule).
    if (p->op != KeyOpCode::kGrant && p->key_id != key_id) continue;
    entries.push_back(KeyEntry{key_id, h, std::move(p).value()});
  }
  for (const auto& [key_id, h, p] : entries) {
    if (p.op == KeyOpCode::kGrant) continue;
    KeyInfo& info = ring.info_[key_id];
    info.case_id = h.case_id;
    info.generation = p.generation;
    info.previous = p.previous_key_id;
    info.check = p.check;
    info.introducer = h.author;
    bool team_wrap = false;
    for (const Wrap& w : p.wraps) team_wrap |= w.type == WrapType::kUnderTeamKey;
    info.restricted = !IsZero(h.case_id) && !p.wraps.empty() && !team_wrap;
    NoteWraps(info, p);
    if (!IsZero(h.case_id) && ring.case_seen_.insert(h.case_id).second) {
      ring.case_order_.push_back(h.case_id);
    }
  }
  for (const auto& [key_id, h, p] : entries) {
    if (p.op != KeyOpCode::kGrant) continue;
    auto it = ring.info_.find(key_id);
    if (it == ring.info_.end() || it->second.check != p.check || it->second.case_id != h.case_id) {
      continue;
    }
    it->second.granters.insert(h.author);
    NoteWraps(it->second, p);
  }
  auto keep = [&](const Id128& key_id, Result<crypto::SecretBytes> k) {
    auto info = ring.info_.find(key_id);
    if (!k.ok() || info == ring.info_.end() || ring.keys_.count(key_id)) return false;
    if (!crypto::ConstantTimeEqual(KeyCheck(*k), info->second.check)) return false;
    ring.keys_.emplace(key_id, std::move(k).value());
    return true;
  };
  for (bool learned = true; learned;) {
    learned = false;
    for (const auto& [key_id, h, p] : entries) {
      auto info = ring.info_.find(key_id);
      if (info == ring.info_.end()) continue;
      const Id128& case_id = info->second.case_id;
      if (!ring.keys_.count(key_id)) {
        for (const Wrap& w : p.wraps) {
          Result<crypto::SecretBytes> k = Status::NotFound("no wrap for this node");
          if (w.type == WrapType::kSealed && openers.device &&
              w.recipient == openers.device->public_key()) {
            k = UnwrapSealed(w, *openers.device, org_id, case_id, key_id);
          } else if (w.type == WrapType::kSealed && openers.recovery &&
                     w.recipient == openers.recovery->public_key()) {
            k = UnwrapSealed(w, *openers.recovery, org_id, case_id, key_id);
          } else if (w.type == WrapType::kUnderTeamKey) {
            if (const auto* tk = ring.Key(TeamKeyIdOf(w))) {
              k = UnwrapUnderTeamKey(w, *tk, org_id, case_id, key_id);
            }
          }
          if (keep(key_id, std::move(k))) {
            learned = true;
            break;
          }
        }
      }
      // The previous generation travels wrapped under this key.
      if (p.op != KeyOpCode::kGrant && !p.previous_wrap.empty() && ring.keys_.count(key_id) &&
          !ring.keys_.count(p.previous_key_id)) {
        Wrap prev{WrapType::kUnderTeamKey, TeamRecipient(key_id), p.previous_wrap};
        learned |= keep(p.previous_key_id, UnwrapUnderTeamKey(prev, ring.keys_.at(key_id), org_id,
                                                              case_id, p.previous_key_id));
      }
    }
  }
  ring.ChoosePreferredKeys();
}

void KeyRing::ChoosePreferredKeys() {
  auto better = [](const KeyRef& a, const std::optional<KeyRef>& b) {
    return !b || a.generation > b->generation ||
           (a.generation == b->generation && a.key_id < b->key_id);
  };
  preferred_team_.reset();
  preferred_case_.clear();
  for (const auto& [key_id, info] : info_) {
    if (!keys_.count(key_id) || info.generation == 0) continue;
    KeyRef ref{key_id, info.generation};
    if (IsZero(info.case_id)) {
      if (better(ref, preferred_team_)) preferred_team_ = ref;
      continue;
    }
    auto it = preferred_case_.find(info.case_id);
    std::optional<KeyRef> cur;
    if (it != preferred_case_.end()) cur = it->second;
    if (better(ref, cur)) preferred_case_[info.case_id] = ref;
  }
}

const crypto::SecretBytes* KeyRing::Key(const Id128& key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

const KeyInfo* KeyRing::Info(const Id128& key_id) const {
  auto it = info_.find(key_id);
  return it == info_.end() ? nullptr : &it->second;
}

std::optional<KeyRef> KeyRing::PreferredCaseKey(const Id128& case_id) const {
  auto it = preferred_case_.find(case_id);
  if (it == preferred_case_.end()) return std::nullopt;
  return it->second;
}

bool KeyRing::IsRestricted(const Id128& case_id) const {
  if (auto ref = PreferredCaseKey(case_id)) return info_.at(ref->key_id).restricted;
  for (const auto& [id, info] : info_)
    if (info.case_id == case_id && info.restricted) return true;
  return false;
}

}  // namespace fieldcase::org
