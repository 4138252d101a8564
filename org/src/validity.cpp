#include "fieldcase/org/validity.h"

#include "fieldcase/crypto/box.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/record/entry_stamp.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace fieldcase::org {

namespace {

using store::EntryStatus;
using store::Kind;

bool IsKind(const ValidityInput& e, Kind k) { return e.header.kind == uint8_t(k); }

const Enrolment* AsEnrolment(const ValidityInput& e) {
  return e.control ? std::get_if<Enrolment>(&*e.control) : nullptr;
}
const CutOff* AsCutOff(const ValidityInput& e) {
  return e.control ? std::get_if<CutOff>(&*e.control) : nullptr;
}
const Founding* AsFounding(const ValidityInput& e) {
  return e.control ? std::get_if<Founding>(&*e.control) : nullptr;
}

// Does a key with this role hold authority over a key with that role (certify, revoke)?
bool Governs(Role writer, Role subject) {
  if (writer == Role::kRoot) return subject == Role::kAdmin;
  if (writer == Role::kAdmin) {
    return subject == Role::kSupervisor || subject == Role::kOfficer || subject == Role::kHub ||
           subject == Role::kAuditor;
  }
  return false;
}

struct Chains {
  // author → its entries in seq order (two at one seq: a fork)
  std::map<PublicKey, std::vector<const ValidityInput*>> by_author;
  std::map<PublicKey, uint64_t> fork_point, upgrade_point;
};

bool SeqLess(const ValidityInput* x, const ValidityInput* y) {
  return x->header.seq < y->header.seq;
}

Chains Index(const std::vector<ValidityInput>& entries) {
  Chains c;
  // Inputs come mostly in runs of one author: the run's list is kept at hand rather than
  // looked up per entry.
  std::vector<const ValidityInput*>* run = nullptr;
  const PublicKey* run_author = nullptr;
  for (const auto& e : entries) {
    if (run == nullptr || *run_author != e.header.author) {
      run = &c.by_author[e.header.author];
      run_author = &e.header.author;
    }
    run->push_back(&e);
  }
  for (auto& [author, list] : c.by_author) {
    if (!std::is_sorted(list.begin(), list.end(), SeqLess))
      std::stable_sort(list.begin(), list.end(), SeqLess);
    for (size_t i = 0; i < list.size(); ++i) {
      const uint64_t seq = list[i]->header.seq;
      if (i > 0 && list[i - 1]->header.seq == seq && !c.fork_point.count(author))
        c.fork_point[author] = seq;
      if (list[i]->unknown_op && !c.upgrade_point.count(author)) c.upgrade_point[author] = seq;
    }
  }
  return c;
}

}  // namespace

ValidityInput MakeValidityInput(const store::StoredEntry& se) {
  ValidityInput in;
  in.id = se.entry.id;
  in.header = se.entry.header;
  in.payload_held = se.entry.payload.has_value();
  if (!store::IsKnownKind(in.header.kind)) {
    in.unknown_op = true;
    return in;
  }
  if (!in.payload_held) return in;
  // The store ran these checks when the payload arrived; they run again here so that no
  // way a payload got in (an older store, a database edit) puts a malformed one in a rule.
  if (Status v = ValidateKeyOrControl(in.header, *se.entry.payload); !v.ok()) {
    if (v.IsNeedsUpgrade())
      in.unknown_op = true;
    else
      in.malformed = true;
    return in;
  }
  if (IsKind(in, Kind::kControl)) {
    auto p = DecodeControlPayload(*se.entry.payload);
    if (p.ok())
      in.control = std::make_shared<const ControlPayload>(std::move(p).value());
    else
      in.unknown_op = p.status().IsNeedsUpgrade();
  } else if (IsKind(in, Kind::kKey)) {
    auto p = DecodeKeyPayload(*se.entry.payload);
    if (p.ok())
      in.key = std::make_shared<const KeyPayload>(std::move(p).value());
    else
      in.unknown_op = p.status().IsNeedsUpgrade();
  }
  return in;
}

bool RoleMayWrite(Role role, const ValidityInput& e) {
  switch (Kind(e.header.kind)) {
    case Kind::kData:
      return role == Role::kOfficer || role == Role::kSupervisor;
    case Kind::kKey:
      if (IsZero(e.header.case_id)) return role == Role::kSupervisor;  // team keys
      return role == Role::kOfficer || role == Role::kSupervisor;      // case keys, grants
    case Kind::kControl: {
      if (AsFounding(e)) return role == Role::kRoot && e.header.seq == 1;
      if (const auto* en = AsEnrolment(e)) return Governs(role, en->role);
      if (AsCutOff(e)) return role == Role::kRoot || role == Role::kAdmin;  // subject: below
      return false;
    }
    case Kind::kReceipt:
      return role == Role::kHub;
    default:
      return false;
  }
}

ValidityResult ComputeValidity(const Id& org_id, const std::vector<ValidityInput>& entries) {
  ValidityResult out;
  Chains chains = Index(entries);
  out.fork_points = chains.fork_point;

  // Layer 1: the root is the author of a founding entry whose key names this org.
  for (const auto& e : entries) {
    if (const Founding* f = AsFounding(e);
        f && e.header.seq == 1 && store::OrgId(e.header.author) == org_id) {
      out.root = e.header.author;
      out.recovery = f->recovery_public_key;
    }
  }

  // The chain that ends at a cut-off's last entry: (anchor held, ids on it). The store
  // holds an entry only with its predecessor, so the walk fails only at a missing anchor.
  struct CutChain {
    bool anchor_held = false;
    std::set<Id> ids;
  };
  std::map<std::pair<PublicKey, Id>, CutChain> cut_chains;
  auto cut_chain = [&](const PublicKey& a, uint64_t last_seq,
                       const Id& last_id) -> const CutChain& {
    auto [it, fresh] = cut_chains.try_emplace({a, last_id});
    if (!fresh) return it->second;
    auto chain = chains.by_author.find(a);
    if (chain == chains.by_author.end()) return it->second;
    const auto& list = chain->second;
    // Walked down from the anchor: [begin, end) holds the entries at `seq`.
    ValidityInput probe;
    probe.header.seq = last_seq;
    size_t end = size_t(std::upper_bound(list.begin(), list.end(), &probe, SeqLess) - list.begin());
    Id want = last_id;
    for (uint64_t seq = last_seq; seq >= 1; --seq) {
      size_t begin = end;
      while (begin > 0 && list[begin - 1]->header.seq == seq) --begin;
      const ValidityInput* hit = nullptr;
      for (size_t i = begin; i < end; ++i)
        if (list[i]->id == want) hit = list[i];
      if (!hit) break;
      if (seq == last_seq) it->second.anchor_held = true;
      it->second.ids.insert(hit->id);
      want = hit->header.prev;
      end = begin;
    }
    return it->second;
  };

  // Status of e given what is known of its author so far.
  auto judge = [&](const ValidityInput& e) -> EntryStatus {
    const PublicKey& a = e.header.author;
    uint64_t s = e.header.seq;
    if (auto f = chains.fork_point.find(a); f != chains.fork_point.end() && s >= f->second) {
      return EntryStatus::kQuarantined;
    }
    auto en = out.enrolled.find(a);
    if (en != out.enrolled.end() && en->second.cut_off) {
      const uint64_t c = *en->second.cut_off;
      if (s > c) return EntryStatus::kQuarantined;
      const CutChain& chain = cut_chain(a, c, en->second.cut_off_id.value_or(Id{}));
      if (!chain.anchor_held) return EntryStatus::kPending;  // which branch counts is unknown
      if (!chain.ids.count(e.id)) return EntryStatus::kQuarantined;
    }
    if (e.malformed) return EntryStatus::kQuarantined;
    if (e.unknown_op) return EntryStatus::kNeedsUpgrade;
    if (auto u = chains.upgrade_point.find(a); u != chains.upgrade_point.end() && s > u->second) {
      return EntryStatus::kPending;
    }
    if (!out.root) return EntryStatus::kPending;
    if (en == out.enrolled.end()) return EntryStatus::kPending;
    if (store::HasPlainPayload(e.header.kind) && !e.payload_held) {
      return EntryStatus::kPending;
    }
    if (!RoleMayWrite(en->second.role, e)) return EntryStatus::kQuarantined;
    return EntryStatus::kAccepted;
  };
  auto counts = [&](const ValidityInput& e) { return judge(e) == EntryStatus::kAccepted; };

  // Control entries in a canonical order, so "first certificate wins" is the same
  // everywhere. Only they certify, cut off or name box keys: the rest stay unsorted.
  std::vector<const ValidityInput*> ordered;
  for (const auto& e : entries)
    if (e.control) ordered.push_back(&e);
  std::sort(ordered.begin(), ordered.end(), [](const ValidityInput* x, const ValidityInput* y) {
    return record::CanonicalLess(record::StampOf(x->id, x->header),
                                 record::StampOf(y->id, y->header));
  });

  // Each pass visits, in canonical order, the entries written by keys of `writer_role`
  // that count at that moment (an earlier pass may have cut their author off).
  auto each_counting = [&](Role writer_role, auto&& fn) {
    for (const auto* e : ordered) {
      auto w = out.enrolled.find(e->header.author);
      if (w != out.enrolled.end() && w->second.role == writer_role && counts(*e)) fn(*e);
    }
  };
  // Several cut-offs: the earliest holds (an accept-up-to extends it afterwards).
  auto lower_cut_off = [](Enrolled& rec, uint64_t seq, const Id& id) {
    if (!rec.cut_off || seq < *rec.cut_off) {
      rec.cut_off = seq;
      rec.cut_off_id = id;
    }
  };
  // A cut-off's subject, when the writer governs it.
  auto governed_subject = [&](Role writer_role, const CutOff& c) -> Enrolled* {
    auto subject = out.enrolled.find(c.device);
    if (subject == out.enrolled.end() || !Governs(writer_role, subject->second.role))
      return nullptr;
    return &subject->second;
  };

  // Applies the certificates and cut-offs written by keys of `writer_role`.
  auto apply_org_entries = [&](Role writer_role) {
    each_counting(writer_role, [&](const ValidityInput& e) {
      const auto* en = AsEnrolment(e);
      if (!en || out.enrolled.count(en->subject) || !Governs(writer_role, en->role)) return;
      Enrolled rec;
      rec.role = en->role;
      rec.certificate = e.id;
      rec.enrolment = *en;
      out.enrolled.emplace(en->subject, rec);
    });
    // Successor certificates retire the key they name, like a revocation at its last seq;
    // only for a key of the same role that this writer governs.
    each_counting(writer_role, [&](const ValidityInput& e) {
      const auto* en = AsEnrolment(e);
      if (!en || !en->predecessor) return;
      auto old = out.enrolled.find(*en->predecessor);
      auto fresh = out.enrolled.find(en->subject);
      if (old == out.enrolled.end() || fresh == out.enrolled.end() ||
          fresh->second.certificate != e.id || old->second.role != en->role ||
          !Governs(writer_role, en->role)) {
        return;
      }
      lower_cut_off(old->second, en->predecessor_last_seq, en->predecessor_last_id);
    });
    each_counting(writer_role, [&](const ValidityInput& e) {
      const auto* c = AsCutOff(e);
      if (!c || c->op != ControlOpCode::kRevoke) return;
      if (Enrolled* rec = governed_subject(writer_role, *c))
        lower_cut_off(*rec, c->last_seq, c->last_id);
    });
    each_counting(writer_role, [&](const ValidityInput& e) {
      const auto* c = AsCutOff(e);
      if (!c || c->op != ControlOpCode::kAcceptUpTo) return;
      Enrolled* rec = governed_subject(writer_role, *c);
      if (rec && rec->cut_off && c->last_seq > *rec->cut_off) {
        rec->cut_off = c->last_seq;
        rec->cut_off_id = c->last_id;
      }
    });
  };

  if (out.root) {
    Enrolled root;
    root.role = Role::kRoot;
    root.enrolment.subject = *out.root;
    root.enrolment.role = Role::kRoot;
    out.enrolled.emplace(*out.root, root);
    apply_org_entries(Role::kRoot);   // layer 2
    apply_org_entries(Role::kAdmin);  // layers 3 and 4
  }
  // Box keys name persons: the first counting certificate that carries one owns it.
  for (const auto* e : ordered) {
    const Enrolment* en = AsEnrolment(*e);
    if (!en) continue;
    auto rec = out.enrolled.find(en->subject);
    if (rec == out.enrolled.end() || rec->second.certificate != e->id) continue;
    if (en->box_key == out.recovery || !crypto::IsUsableBoxKey(en->box_key)) continue;
    out.box_owner.emplace(en->box_key, en->person_id);
  }

  // Key entries that introduce a key (not grants), by key_id. Two introducers for one
  // key_id can only come from a fork of their author; the lowest id is taken on every node.
  std::map<Id128, const ValidityInput*> introducer;
  for (const auto& e : entries) {
    if (!IsKind(e, Kind::kKey) || !e.key || e.key->op == KeyOpCode::kGrant) continue;
    Id128 kid = store::KeyIdFor(e.header.author, e.header.seq);
    auto [it, fresh] = introducer.emplace(kid, &e);
    if (!fresh && e.id < it->second->id) it->second = &e;
  }
  // Persons named by a restricted case key: sealed to named devices, under no team key.
  auto restricted_persons = [&](const ValidityInput& k) -> std::optional<std::set<Id128>> {
    if (!k.key || IsZero(k.header.case_id) || k.key->wraps.empty()) return std::nullopt;
    for (const auto& w : k.key->wraps)
      if (w.type == WrapType::kUnderTeamKey) return std::nullopt;
    std::set<Id128> persons;
    for (const auto& w : k.key->wraps) {
      if (auto owner = out.box_owner.find(w.recipient); owner != out.box_owner.end()) {
        persons.insert(owner->second);
      }
    }
    return persons;
  };
  auto named = [&](const ValidityInput& intro, const ValidityInput& e, bool supervisor_may) {
    auto persons = restricted_persons(intro);
    if (!persons) return true;
    const Enrolled& author = out.enrolled.at(e.header.author);
    if (persons->count(author.enrolment.person_id)) return true;
    return supervisor_may && author.role == Role::kSupervisor;
  };

  // The rules that tie key and data entries to the key entries they depend on (DESIGN §4,
  // §5): a missing dependency is pending; a wrong one is quarantined.
  // Statuses as they are decided (key entries first, lowest generation first: below).
  out.status.assign(entries.size(), EntryStatus::kPending);
  // A key entry counts only when the key it builds on counts: a refused introducer passes
  // nothing on (else a key entry quarantined for a restricted case could be named as the
  // previous generation by the next one, which would then count).
  auto counted = [&](const ValidityInput& dep) -> std::optional<EntryStatus> {
    const EntryStatus st = out.status[size_t(&dep - entries.data())];
    if (st == EntryStatus::kAccepted) return std::nullopt;
    return st == EntryStatus::kQuarantined ? EntryStatus::kQuarantined : EntryStatus::kPending;
  };
  auto key_rules = [&](const ValidityInput& e) -> EntryStatus {
    const KeyPayload& p = *e.key;
    const Id128& case_id = e.header.case_id;
    if (p.op == KeyOpCode::kGrant) {
      // A grant hands on an existing key: same scope, same check value. Only the named
      // persons of a restricted case may grant it; a supervisor may too (recovery).
      auto intro = introducer.find(p.key_id);
      if (intro == introducer.end()) return EntryStatus::kPending;
      const ValidityInput& in = *intro->second;
      if (in.header.case_id != case_id || in.key->check != p.check ||
          in.key->generation != p.generation) {
        return EntryStatus::kQuarantined;
      }
      if (auto not_yet = counted(in)) return *not_yet;
      return named(in, e, /*supervisor_may=*/true) ? EntryStatus::kAccepted
                                                   : EntryStatus::kQuarantined;
    }
    if (p.key_id != store::KeyIdFor(e.header.author, e.header.seq))
      return EntryStatus::kQuarantined;
    const bool opening =
        !IsZero(case_id) && store::CaseIdFor(e.header.author, e.header.seq) == case_id;
    if (p.op == KeyOpCode::kCaseKey && IsZero(case_id)) return EntryStatus::kQuarantined;
    if (p.op == KeyOpCode::kTeamKey && !IsZero(case_id)) return EntryStatus::kQuarantined;
    if (p.generation == 1) {
      // A first generation opens a case (or starts the team key); it names no previous.
      if (!IsZero(p.previous_key_id)) return EntryStatus::kQuarantined;
      return (p.op == KeyOpCode::kTeamKey || opening) ? EntryStatus::kAccepted
                                                      : EntryStatus::kQuarantined;
    }
    if (opening) return EntryStatus::kQuarantined;
    auto prev = introducer.find(p.previous_key_id);
    if (prev == introducer.end()) return EntryStatus::kPending;
    const ValidityInput& pv = *prev->second;
    if (pv.header.case_id != case_id || pv.key->generation == UINT32_MAX ||
        p.generation != pv.key->generation + 1) {
      return EntryStatus::kQuarantined;
    }
    if (auto not_yet = counted(pv)) return *not_yet;
    return named(pv, e, /*supervisor_may=*/false) ? EntryStatus::kAccepted
                                                  : EntryStatus::kQuarantined;
  };
  auto data_rules = [&](const ValidityInput& e) -> EntryStatus {
    auto intro = introducer.find(e.header.key_id);
    if (intro == introducer.end()) return EntryStatus::kPending;
    const ValidityInput& in = *intro->second;
    if (IsZero(in.header.case_id) || in.header.case_id != e.header.case_id) {
      return EntryStatus::kQuarantined;  // encrypted under a key of another case or the team
    }
    return EntryStatus::kAccepted;
  };

  // A cut-off counts only for a key its writer governs (root: admins; admin: the rest).
  auto cut_off_governed = [&](const ValidityInput& e) {
    const auto* c = AsCutOff(e);
    if (!c) return true;
    auto subject = out.enrolled.find(c->device);
    auto writer = out.enrolled.find(e.header.author);
    return subject != out.enrolled.end() && writer != out.enrolled.end() &&
           Governs(writer->second.role, subject->second.role);
  };

  // Layer 5: everything, key entries first in generation order (an introducer before the
  // grants of its key and before the next generation, which the rules check it against).
  auto decide = [&](size_t i) {
    const ValidityInput& e = entries[i];
    EntryStatus st = judge(e);
    if (st == EntryStatus::kAccepted && !cut_off_governed(e)) st = EntryStatus::kQuarantined;
    if (st == EntryStatus::kAccepted && IsKind(e, Kind::kKey) && e.key) st = key_rules(e);
    if (st == EntryStatus::kAccepted && IsKind(e, Kind::kData)) st = data_rules(e);
    out.status[i] = st;
  };
  std::vector<size_t> keys;
  for (size_t i = 0; i < entries.size(); ++i)
    if (IsKind(entries[i], Kind::kKey) && entries[i].key) keys.push_back(i);
  std::stable_sort(keys.begin(), keys.end(), [&](size_t x, size_t y) {
    const KeyPayload& a = *entries[x].key;
    const KeyPayload& b = *entries[y].key;
    return std::make_pair(a.generation, a.op == KeyOpCode::kGrant) <
           std::make_pair(b.generation, b.op == KeyOpCode::kGrant);
  });
  for (size_t i : keys) decide(i);
  for (size_t i = 0; i < entries.size(); ++i)
    if (!(IsKind(entries[i], Kind::kKey) && entries[i].key)) decide(i);
  return out;
}

std::map<Id, store::EntryStatus> StatusById(const std::vector<ValidityInput>& entries,
                                            const ValidityResult& result) {
  std::map<Id, store::EntryStatus> out;
  for (size_t i = 0; i < entries.size() && i < result.status.size(); ++i)
    out[entries[i].id] = result.status[i];
  return out;
}

}  // namespace fieldcase::org
