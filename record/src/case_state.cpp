// View() computes the whole view from the entry set each time: no incremental state means
// nothing can depend on the order entries arrived in. Cost is O(n log n) per view.
#include "fieldcase/record/case_state.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

namespace fieldcase::record {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

bool EntryLess(const RecordEntry* a, const RecordEntry* b) { return CanonicalLess(*a, *b); }

// A copy of v, or v itself moved out when the view is built from a state being consumed.
template <bool kTake, typename T>
std::remove_const_t<T> Give(T& v) {
  if constexpr (kTake) {
    return std::move(v);
  } else {
    return v;
  }
}

template <typename T>
Versioned<T> Stamped(const RecordEntry& e, T value) {
  return Versioned<T>{EntryStamp(e), std::move(value)};
}

using SupersededBy = std::map<Id, std::vector<Id>, IdLess>;

template <typename T, typename E, typename ValueOf>
Register<T> BuildRegister(const std::vector<E*>& sets, const SupersededBy& by, ValueOf value_of) {
  Register<T> reg;
  reg.history.reserve(sets.size());
  for (E* e : sets) {  // already in entry order
    Versioned<T> v = Stamped<T>(*e, value_of(*e));
    auto it = by.find(e->id);
    if (it == by.end()) {
      reg.current.push_back(v);
      reg.history.push_back({std::move(v), {}});
    } else {
      reg.history.push_back({std::move(v), it->second});
    }
  }
  return reg;
}

// The view of `entries` (a const map for View() const&; the state's own map for View() &&,
// whose note texts, field values and open-case ops are then moved into the view).
template <typename Map>
CaseView BuildView(Map& entries, const std::set<Id>& undecryptable) {
  constexpr bool kTake = !std::is_const_v<Map>;
  using E = std::conditional_t<kTake, RecordEntry, const RecordEntry>;

  std::vector<E*> ordered;
  ordered.reserve(entries.size());
  size_t note_count = 0;
  for (auto& [id, e] : entries) {
    ordered.push_back(&e);
    note_count += std::holds_alternative<AddNote>(e.op) ? 1 : 0;
  }
  std::sort(ordered.begin(), ordered.end(), EntryLess);

  CaseView view;
  view.notes.reserve(note_count);
  std::vector<E*> opens;
  std::map<std::string, std::vector<E*>> field_sets;
  std::vector<E*> status_sets;
  std::map<std::string, std::vector<E*>> tag_adds;
  // Target id -> ids of the entries whose counted reference names it, in entry order. One map
  // serves supersedes and removes: a counted target is a set or a tag add, never both.
  SupersededBy by;

  // A reference counts only if `counts` accepts the target entry; others are reported.
  // Targets in bytewise order of their ids, each once.
  std::vector<Id> unique;
  auto resolve = [&](const RecordEntry& e, const std::vector<Id>& refs, auto counts) {
    unique.assign(refs.begin(), refs.end());
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (const Id& r : unique) {
      auto it = entries.find(r);
      if (it == entries.end()) {
        view.ignored_references.push_back({e.id, r, IgnoredReason::kUnknownTarget});
      } else if (r == e.id || !counts(it->second.op)) {
        view.ignored_references.push_back({e.id, r, IgnoredReason::kWrongTarget});
      } else {
        by[r].push_back(e.id);
      }
    }
  };

  for (E* e : ordered) {
    // Notes are never the target of a reference, so their strings may be moved out here.
    if (auto* note = std::get_if<AddNote>(&e->op)) {
      view.notes.push_back({e->id, e->author, e->seq, e->hlc, Give<kTake>(note->kind),
                            Give<kTake>(note->text), note->at_ms});
      continue;
    }
    std::visit(Overloaded{
                   [&](const OpenCase&) { opens.push_back(e); },
                   [&](const SetField& op) {
                     field_sets[op.field].push_back(e);
                     resolve(*e, op.supersedes, [&op](const Op& t) {
                       const auto* s = std::get_if<SetField>(&t);
                       return s != nullptr && s->field == op.field;
                     });
                   },
                   [&](const AddNote&) {},  // above
                   [&](const Tag& op) { tag_adds[op.tag].push_back(e); },
                   [&](const Untag& op) {
                     resolve(*e, op.removes, [&op](const Op& t) {
                       const auto* a = std::get_if<Tag>(&t);
                       return a != nullptr && a->tag == op.tag;
                     });
                   },
                   [&](const SetStatus& op) {
                     status_sets.push_back(e);
                     resolve(*e, op.supersedes,
                             [](const Op& t) { return std::holds_alternative<SetStatus>(t); });
                   },
                   [&](const UnknownOp& op) {
                     view.unknown_changes.push_back({e->id, e->author, e->seq, e->hlc, op.code});
                   },
               },
               e->op);
  }

  // Every reference is resolved: values may be moved out from here on.
  for (E* e : opens) {
    OpenRecord r = Stamped(*e, Give<kTake>(std::get<OpenCase>(e->op)));
    if (!view.opened) {
      view.opened = std::move(r);
    } else {
      view.other_opens.push_back(std::move(r));
    }
  }
  for (const auto& [name, sets] : field_sets) {
    view.fields.emplace(name, BuildRegister<std::string>(sets, by, [](E& e) {
                          return Give<kTake>(std::get<SetField>(e.op).value);
                        }));
  }
  view.status = BuildRegister<CaseStatus>(status_sets, by,
                                          [](E& e) { return std::get<SetStatus>(e.op).status; });
  // Add wins: a tag is present while one of its adds is named by no removal of that tag.
  for (const auto& [tag, adds] : tag_adds) {
    if (std::any_of(adds.begin(), adds.end(),
                    [&by](const RecordEntry* a) { return !by.contains(a->id); })) {
      view.tags.push_back(tag);
    }
  }
  for (const Id& id : undecryptable) {
    if (!entries.contains(id)) view.undecryptable.push_back(id);
  }
  return view;
}

}  // namespace

std::optional<CaseStatus> CaseView::EffectiveStatus() const {
  if (status.current.empty()) return CaseStatus::kOpen;
  const CaseStatus first = status.current.front().value;
  for (const auto& v : status.current) {
    if (v.value != first) return std::nullopt;
  }
  return first;
}

bool IdLess::operator()(const Id& a, const Id& b) const {
  // Ids are hashes: the first word almost always decides.
  for (size_t i = 0; i < a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      if constexpr (std::endian::native == std::endian::little) {
        x = __builtin_bswap64(x);
        y = __builtin_bswap64(y);
      }
      return x < y;
    }
  }
  return false;
}

void CaseState::Apply(const RecordEntry& entry) { entries_.try_emplace(entry.id, entry); }

// try_emplace leaves `entry` untouched when the id is already applied.
void CaseState::Apply(RecordEntry&& entry) { entries_.try_emplace(entry.id, std::move(entry)); }

void CaseState::AddUndecryptable(const Id& id) { undecryptable_.insert(id); }

void CaseState::Merge(const CaseState& other) {
  for (const auto& [id, e] : other.entries_) entries_.try_emplace(id, e);
  undecryptable_.insert(other.undecryptable_.begin(), other.undecryptable_.end());
}

CaseView CaseState::View() const& { return BuildView(entries_, undecryptable_); }

CaseView CaseState::View() && {
  CaseView view = BuildView(entries_, undecryptable_);
  entries_.clear();
  undecryptable_.clear();
  return view;
}

}  // namespace fieldcase::record
