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

struct KeyRing::KeyEntry {
  Id128 key_id;
  store::Header header;
  KeyPayload payload;
};

Result<KeyRing> KeyRing::Load(const Id& org_id, KeySource source, Openers openers) {
  KeyRing ring;
  ring.org_id_ = org_id;
  ring.openers_ = openers;
  ring.source_ = std::move(source);
  std::lock_guard<std::mutex> lock(*ring.mu_);
  FC_RETURN_IF_ERROR(ring.EnsureCaseLocked(Id128{}));
  return ring;
}

// (key_id the entry is about, header, payload). For an introducing entry the key_id is
// derived from its signed (author, seq); a grant names the key it grants.
std::vector<KeyRing::KeyEntry> KeyRing::Decode(std::vector<store::StoredEntry> stored) {
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
  return entries;
}

void KeyRing::Learn(std::vector<store::StoredEntry> stored) {
  std::vector<KeyEntry> entries = Decode(std::move(stored));
  std::lock_guard<std::mutex> lock(*mu_);
  // A case not read yet is read whole, this entry with it, when it is first touched.
  std::erase_if(entries, [&](const KeyEntry& e) {
    return !read_all_ && !IsZero(e.header.case_id) && !read_cases_.count(e.header.case_id);
  });
  ApplyLocked(entries);
}

void KeyRing::ApplyLocked(const std::vector<KeyEntry>& entries) const {
  for (const auto& [key_id, h, p] : entries) {
    if (p.op == KeyOpCode::kGrant) continue;
    KeyInfo& info = info_[key_id];
    info.case_id = h.case_id;
    info.generation = p.generation;
    info.previous = p.previous_key_id;
    info.check = p.check;
    info.introducer = h.author;
    bool team_wrap = false;
    for (const Wrap& w : p.wraps) team_wrap |= w.type == WrapType::kUnderTeamKey;
    info.restricted = !IsZero(h.case_id) && !p.wraps.empty() && !team_wrap;
    NoteWraps(info, p);
    if (IsZero(h.case_id)) {
      team_keys_.push_back(key_id);
    } else {
      case_keys_[h.case_id].push_back(key_id);
      // Before every case is read the order is partial: EnsureAll makes it whole.
      if (read_all_ && case_seen_.insert(h.case_id).second) case_order_.push_back(h.case_id);
    }
    for (const Wrap& w : p.wraps) ways_[key_id].push_back(Way{w, key_id, h.case_id, key_id, false});
    // The previous generation travels wrapped under this key.
    if (!p.previous_wrap.empty()) {
      Wrap prev{WrapType::kUnderTeamKey, TeamRecipient(key_id), p.previous_wrap};
      ways_[p.previous_key_id].push_back(
          Way{std::move(prev), key_id, h.case_id, p.previous_key_id, true});
    }
  }
  for (const auto& [key_id, h, p] : entries) {
    if (p.op != KeyOpCode::kGrant) continue;
    auto it = info_.find(key_id);
    if (it == info_.end() || it->second.check != p.check || it->second.case_id != h.case_id) {
      continue;
    }
    it->second.granters.insert(h.author);
    NoteWraps(it->second, p);
    for (const Wrap& w : p.wraps) {
      ways_[key_id].push_back(Way{w, key_id, it->second.case_id, key_id, false});
    }
  }
  unopenable_.clear();  // new ways may open what could not be opened before
}

Status KeyRing::EnsureCaseLocked(const Id128& case_id) const {
  if (read_all_ || read_cases_.count(case_id)) return Status::Ok();
  if (!source_.of_case) return Status::Ok();  // an empty ring
  FC_ASSIGN_OR_RETURN(auto stored, source_.of_case(case_id));
  // Only what the source was asked for: a case is described by its own entries alone.
  std::erase_if(stored, [&](const store::StoredEntry& se) {
    return se.entry.header.case_id != case_id;
  });
  ApplyLocked(Decode(std::move(stored)));
  read_cases_.insert(case_id);
  return Status::Ok();
}

Status KeyRing::EnsureAllLocked() const {
  if (read_all_) return Status::Ok();
  if (!source_.all) {
    read_all_ = true;
    return Status::Ok();
  }
  FC_ASSIGN_OR_RETURN(auto stored, source_.all());
  std::vector<KeyEntry> entries = Decode(std::move(stored));
  // Cases in the order their first key was stored, whether read before or not.
  case_order_.clear();
  case_seen_.clear();
  for (const KeyEntry& e : entries) {
    if (e.payload.op != KeyOpCode::kGrant && !IsZero(e.header.case_id) &&
        case_seen_.insert(e.header.case_id).second) {
      case_order_.push_back(e.header.case_id);
    }
  }
  std::erase_if(entries, [&](const KeyEntry& e) {
    return IsZero(e.header.case_id) || read_cases_.count(e.header.case_id);
  });
  read_all_ = true;
  ApplyLocked(entries);
  read_cases_.clear();  // every case is read now
  return Status::Ok();
}

Status KeyRing::EnsureCase(const Id128& case_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  return EnsureCaseLocked(case_id);
}

Status KeyRing::EnsureAll() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return EnsureAllLocked();
}

const KeyInfo* KeyRing::InfoLocked(const Id128& key_id) const {
  auto it = info_.find(key_id);
  if (it == info_.end() && !read_all_ && EnsureAllLocked().ok()) it = info_.find(key_id);
  return it == info_.end() ? nullptr : &it->second;
}

const crypto::SecretBytes* KeyRing::OpenLocked(const Id128& key_id) const {
  if (auto it = keys_.find(key_id); it != keys_.end()) return &it->second;
  if (unopenable_.count(key_id) || opening_.count(key_id)) return nullptr;
  const KeyInfo* info = InfoLocked(key_id);
  auto found = ways_.find(key_id);
  if (info == nullptr || found == ways_.end()) return nullptr;
  // A copy: opening a team key below may read more entries, which adds ways.
  const std::vector<Way> ways = found->second;
  opening_.insert(key_id);
  bool waited = false;  // a way that needs a key being opened further up: do not remember
  for (const Way& way : ways) {
    const Wrap& w = way.wrap;
    Result<crypto::SecretBytes> k = Status::NotFound("no wrap for this node");
    if (way.previous) {
      const crypto::SecretBytes* via = OpenLocked(way.via);
      waited |= via == nullptr && opening_.count(way.via);
      if (via) k = UnwrapUnderTeamKey(w, *via, org_id_, way.scope, way.key_id);
    } else if (w.type == WrapType::kSealed && openers_.device &&
               w.recipient == openers_.device->public_key()) {
      k = UnwrapSealed(w, *openers_.device, org_id_, way.scope, way.key_id);
    } else if (w.type == WrapType::kSealed && openers_.recovery &&
               w.recipient == openers_.recovery->public_key()) {
      k = UnwrapSealed(w, *openers_.recovery, org_id_, way.scope, way.key_id);
    } else if (w.type == WrapType::kUnderTeamKey) {
      const Id128 team = TeamKeyIdOf(w);
      const crypto::SecretBytes* tk = OpenLocked(team);
      waited |= tk == nullptr && opening_.count(team);
      if (tk) k = UnwrapUnderTeamKey(w, *tk, org_id_, way.scope, way.key_id);
    }
    // Kept only when its check value matches the introducer's: a wrap cannot plant a key.
    if (k.ok() && crypto::ConstantTimeEqual(KeyCheck(*k), info->check)) {
      opening_.erase(key_id);
      return &keys_.emplace(key_id, std::move(k).value()).first->second;
    }
  }
  opening_.erase(key_id);
  // Remembered only when nothing up the recursion was half-open: a key that failed while
  // another was being opened may open once that one is (a cycle of crafted wraps).
  if (!waited && opening_.empty()) unopenable_.insert(key_id);
  return nullptr;
}

const crypto::SecretBytes* KeyRing::Key(const Id128& key_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  return OpenLocked(key_id);
}

const KeyInfo* KeyRing::Info(const Id128& key_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  return InfoLocked(key_id);
}

std::vector<Id128> KeyRing::team_keys() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return team_keys_;
}

// Preferred keys (DESIGN §5): highest generation, then lowest key_id, among keys held.
std::optional<KeyRef> KeyRing::BestHeldLocked(const std::vector<Id128>& candidates) const {
  std::vector<KeyRef> refs;
  for (const Id128& id : candidates) {
    const KeyInfo& info = info_.at(id);
    if (info.generation != 0) refs.push_back(KeyRef{id, info.generation});
  }
  std::sort(refs.begin(), refs.end(), [](const KeyRef& a, const KeyRef& b) {
    return a.generation != b.generation ? a.generation > b.generation : a.key_id < b.key_id;
  });
  for (const KeyRef& r : refs) {
    if (OpenLocked(r.key_id)) return r;
  }
  return std::nullopt;
}

std::optional<KeyRef> KeyRing::preferred_team_key() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return BestHeldLocked(team_keys_);
}

std::optional<KeyRef> KeyRing::PreferredCaseKey(const Id128& case_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  if (IsZero(case_id) || !EnsureCaseLocked(case_id).ok()) return std::nullopt;
  auto it = case_keys_.find(case_id);
  if (it == case_keys_.end()) return std::nullopt;
  return BestHeldLocked(it->second);
}

std::vector<Id128> KeyRing::case_order() const {
  std::lock_guard<std::mutex> lock(*mu_);
  if (!EnsureAllLocked().ok()) return {};
  return case_order_;
}

bool KeyRing::Knows(const Id128& case_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  return !IsZero(case_id) && EnsureCaseLocked(case_id).ok() && case_keys_.count(case_id) > 0;
}

bool KeyRing::IsRestricted(const Id128& case_id) const {
  std::lock_guard<std::mutex> lock(*mu_);
  if (IsZero(case_id) || !EnsureCaseLocked(case_id).ok()) return false;
  auto it = case_keys_.find(case_id);
  if (it == case_keys_.end()) return false;
  if (auto ref = BestHeldLocked(it->second)) return info_.at(ref->key_id).restricted;
  for (const Id128& id : it->second)
    if (info_.at(id).restricted) return true;
  return false;
}

}  // namespace fieldcase::org
