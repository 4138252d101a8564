// View() computes the whole view from the entry set each time: no incremental state means
// nothing can depend on the order entries arrived in. Cost is O(n log n) per view.
#include "fieldcase/sync/case_state.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace fieldcase::sync {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// The one order of the view: (hlc, author, seq), then id so that even two entries with equal
// headers (impossible for valid entries, but the view must not care) have a fixed order.
bool EntryLess(const RecordEntry* a, const RecordEntry* b) {
  return std::tie(a->hlc, a->author, a->seq, a->id) < std::tie(b->hlc, b->author, b->seq, b->id);
}

template <typename T>
Versioned<T> Stamped(const RecordEntry& e, T value) {
  return Versioned<T>{e.id, e.author, e.seq, e.hlc, std::move(value)};
}

using SupersededBy = std::map<Id, std::vector<Id>>;

template <typename T, typename ValueOf>
Register<T> BuildRegister(const std::vector<const RecordEntry*>& sets, const SupersededBy& by,
                          ValueOf value_of) {
  Register<T> reg;
  for (const RecordEntry* e : sets) {  // already in entry order
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

}  // namespace

std::optional<CaseStatus> CaseView::EffectiveStatus() const {
  if (status.current.empty()) return CaseStatus::kOpen;
  const CaseStatus first = status.current.front().value;
  for (const auto& v : status.current) {
    if (v.value != first) return std::nullopt;
  }
  return first;
}

void CaseState::Apply(const RecordEntry& entry) { entries_.try_emplace(entry.id, entry); }

void CaseState::AddUndecryptable(const Id& id) { undecryptable_.insert(id); }

void CaseState::Merge(const CaseState& other) {
  for (const auto& [id, e] : other.entries_) entries_.try_emplace(id, e);
  undecryptable_.insert(other.undecryptable_.begin(), other.undecryptable_.end());
}

CaseView CaseState::View() const {
  std::vector<const RecordEntry*> ordered;
  ordered.reserve(entries_.size());
  for (const auto& [id, e] : entries_) ordered.push_back(&e);
  std::sort(ordered.begin(), ordered.end(), EntryLess);

  CaseView view;
  std::vector<const RecordEntry*> opens;
  std::map<std::string, std::vector<const RecordEntry*>> field_sets;
  std::vector<const RecordEntry*> status_sets;
  std::map<std::string, std::vector<const RecordEntry*>> tag_adds;
  // Target id -> ids of the entries whose counted reference names it, in entry order. One map
  // serves supersedes and removes: a counted target is a set or a tag add, never both.
  SupersededBy by;

  // A reference counts only if `counts` accepts the target entry; others are reported.
  auto resolve = [&](const RecordEntry& e, const std::vector<Id>& refs, auto counts) {
    const std::set<Id> unique(refs.begin(), refs.end());
    for (const Id& r : unique) {
      auto it = entries_.find(r);
      if (it == entries_.end()) {
        view.ignored_references.push_back({e.id, r, IgnoredReason::kUnknownTarget});
      } else if (r == e.id || !counts(it->second.op)) {
        view.ignored_references.push_back({e.id, r, IgnoredReason::kWrongTarget});
      } else {
        by[r].push_back(e.id);
      }
    }
  };

  for (const RecordEntry* e : ordered) {
    std::visit(Overloaded{
                   [&](const OpenCase&) { opens.push_back(e); },
                   [&](const SetField& op) {
                     field_sets[op.field].push_back(e);
                     resolve(*e, op.supersedes, [&op](const Op& t) {
                       const auto* s = std::get_if<SetField>(&t);
                       return s != nullptr && s->field == op.field;
                     });
                   },
                   [&](const AddNote& op) {
                     view.notes.push_back({e->id, e->author, e->seq, e->hlc, op.kind, op.text});
                   },
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

  for (const RecordEntry* e : opens) {
    OpenRecord r = Stamped(*e, std::get<OpenCase>(e->op));
    if (!view.opened) {
      view.opened = std::move(r);
    } else {
      view.other_opens.push_back(std::move(r));
    }
  }
  for (const auto& [name, sets] : field_sets) {
    view.fields.emplace(name, BuildRegister<std::string>(sets, by, [](const RecordEntry& e) {
                          return std::get<SetField>(e.op).value;
                        }));
  }
  view.status = BuildRegister<CaseStatus>(
      status_sets, by, [](const RecordEntry& e) { return std::get<SetStatus>(e.op).status; });
  // Add wins: a tag is present while one of its adds is named by no removal of that tag.
  for (const auto& [tag, adds] : tag_adds) {
    if (std::any_of(adds.begin(), adds.end(),
                    [&by](const RecordEntry* a) { return !by.contains(a->id); })) {
      view.tags.push_back(tag);
    }
  }
  for (const Id& id : undecryptable_) {
    if (!entries_.contains(id)) view.undecryptable.push_back(id);
  }
  return view;
}

}  // namespace fieldcase::sync
