#include "fieldcase/org/membership.h"

#include <algorithm>
#include <functional>
#include <tuple>

#include "fieldcase/crypto/box.h"
#include "fieldcase/record/entry_stamp.h"

namespace fieldcase::org {

Result<Membership> Membership::LearnKeyless(store::Store& log) {
  std::vector<store::StoredEntry> control;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kControl);
  FC_RETURN_IF_ERROR(log.ForEach(f, [&](store::StoredEntry& se) {
    control.push_back(std::move(se));
    return Status::Ok();
  }));
  return Learn(log.org_id().value_or(Id{}), std::move(control), nullptr);
}

Membership Membership::Learn(const Id& org_id, std::vector<store::StoredEntry> control,
                             const crypto::SecretBytes* directory_key) {
  std::erase_if(control, [](const store::StoredEntry& se) {
    return se.status != store::EntryStatus::kAccepted || !se.entry.payload ||
           se.entry.header.kind != uint8_t(store::Kind::kControl);
  });
  // Sorted by reference (GCC 12 misreads a swap of StoredEntry as uninitialised).
  std::vector<std::reference_wrapper<const store::StoredEntry>> sorted(control.begin(),
                                                                       control.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
    return record::CanonicalLess(record::StampOf(x.get().entry), record::StampOf(y.get().entry));
  });
  Membership m;
  std::vector<std::pair<PublicKey, Id128>> boxes;  // (box key, person) in canonical order
  for (const store::StoredEntry& se : sorted) m.LearnOne(org_id, se, directory_key);
  for (const store::StoredEntry& se : sorted) {
    auto p = DecodeControlPayload(*se.entry.payload);
    if (!p.ok()) continue;
    const auto* en = std::get_if<Enrolment>(&*p);
    if (!en || m.box_owner_.count(en->box_key) || en->box_key == m.recovery_public_) continue;
    const Member* member = m.Find(en->subject);
    if (!member || member->person_id != en->person_id || member->box_key != en->box_key) continue;
    if (!crypto::IsUsableBoxKey(en->box_key)) continue;
    m.box_owner_.emplace(en->box_key, en->person_id);
  }
  return m;
}

void Membership::LearnOne(const Id& org_id, const store::StoredEntry& se,
                          const crypto::SecretBytes* directory_key) {
  auto p = DecodeControlPayload(*se.entry.payload);
  if (!p.ok()) return;  // needs upgrade; structural checks passed at insert
  if (const auto* c = std::get_if<CutOff>(&*p)) {
    cut_offs_.push_back(*c);
    return;
  }
  if (const auto* f = std::get_if<Founding>(&*p)) {
    org_name_ = f->org_name;
    recovery_public_ = f->recovery_public_key;
    Member root;
    root.key = se.entry.header.author;
    root.role = Role::kRoot;
    members_[root.key] = std::move(root);
    return;
  }
  const auto& en = std::get<Enrolment>(*p);
  Member m;
  m.key = en.subject;
  m.role = en.role;
  m.person_id = en.person_id;
  m.expiry_ms = en.expiry_ms;
  m.box_key = en.box_key;
  m.predecessor = en.predecessor;
  if (directory_key && !en.sealed_personal.empty()) {
    auto personal = OpenPersonal(en.sealed_personal, *directory_key, org_id, en.subject);
    if (personal.ok()) m.personal = *personal;
  }
  if (en.predecessor) retired_.insert(*en.predecessor);
  members_.emplace(m.key, std::move(m));  // the first certificate of a key counts
}

const Member* Membership::Find(const PublicKey& key) const {
  auto it = members_.find(key);
  return it == members_.end() ? nullptr : &it->second;
}

bool Membership::IsRevoked(const PublicKey& key) const {
  for (const auto& c : cut_offs_)
    if (c.device == key && c.op == ControlOpCode::kRevoke) return true;
  return false;
}

bool Membership::HasCutOff(const PublicKey& key) const {
  for (const auto& c : cut_offs_)
    if (c.device == key) return true;
  return false;
}

std::vector<const Member*> Membership::Match(std::string_view text) const {
  std::vector<const Member*> out;
  const std::string t(text);
  for (const auto& [key, m] : members_) {
    bool hit = (t.size() >= 6 && ToHex(key).rfind(t, 0) == 0) ||
               (m.personal && (m.personal->name == t || m.personal->badge == t));
    if (hit) out.push_back(&m);
  }
  return out;
}

Result<PublicKey> Membership::ResolveDevice(std::string_view text) const {
  auto hits = Match(text);
  if (hits.empty()) {
    return Status::NotFound("no member '" + std::string(text) + "'; see `fieldcase org members`");
  }
  if (hits.size() > 1) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' names more than one device; give more of its key");
  }
  return hits.front()->key;
}

Result<Id128> Membership::ResolvePerson(std::string_view text) const {
  auto hits = Match(text);
  if (hits.empty()) {
    return Status::NotFound("no member '" + std::string(text) + "'; see `fieldcase org members`");
  }
  for (const Member* m : hits) {
    if (m->person_id != hits.front()->person_id) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "' names more than one person; use a badge number");
    }
  }
  return hits.front()->person_id;
}

std::set<PublicKey> Membership::RevokedBoxKeys() const {
  std::set<PublicKey> out;
  for (const auto& c : cut_offs_) {
    if (c.op != ControlOpCode::kRevoke) continue;
    if (const Member* m = Find(c.device)) out.insert(m->box_key);
  }
  return out;
}

std::vector<PublicKey> Membership::ReaderDevices(const std::set<Id128>* persons) const {
  std::set<PublicKey> revoked = RevokedBoxKeys(), out;
  for (const auto& [key, m] : members_) {
    if (m.role != Role::kOfficer && m.role != Role::kSupervisor) continue;
    if (revoked.count(m.box_key) || OwnerOf(m.box_key) != m.person_id) continue;
    if (persons && !persons->count(m.person_id)) continue;
    out.insert(m.box_key);
  }
  return {out.begin(), out.end()};
}

std::optional<Id128> Membership::OwnerOf(const PublicKey& box_key) const {
  auto it = box_owner_.find(box_key);
  if (it == box_owner_.end()) return std::nullopt;
  return it->second;
}

std::set<Id128> Membership::PersonsOf(const std::set<PublicKey>& box_keys) const {
  std::set<Id128> persons;
  for (const PublicKey& b : box_keys)
    if (auto owner = OwnerOf(b)) persons.insert(*owner);
  return persons;
}

std::vector<PublicKey> Membership::OrgAuthors() const {
  std::vector<PublicKey> out;
  for (const auto& [key, m] : members_)
    if (m.role == Role::kRoot || m.role == Role::kAdmin) out.push_back(key);
  return out;
}

std::vector<MemberView> Membership::Views(const std::set<PublicKey>& own) const {
  std::vector<MemberView> out;
  for (const auto& [key, m] : members_)
    out.push_back(MemberView{m, IsRevoked(key), own.count(key) > 0});
  std::sort(out.begin(), out.end(), [](const MemberView& a, const MemberView& b) {
    return std::tie(a.member.role, a.member.key) < std::tie(b.member.role, b.member.key);
  });
  return out;
}

}  // namespace fieldcase::org
