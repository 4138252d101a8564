// A case's record state and its view (DESIGN §6; the algebra is in docs/merge.md).
//
// CaseState is the *set* of decrypted data entries of one case plus the set of ids this reader
// cannot decrypt. Apply and AddUndecryptable are set insertions, so they commute, associate
// and are idempotent; View() is a pure function of the two sets, with every list in a fixed
// order. Hence "same entries, same keys, same view" (promise 4) holds by construction, and the
// property tests in tests/sync/merge_property_test.cpp check it through ViewDigest.
//
// The caller applies only entries of this case whose status is accepted (DESIGN §4.1); entry
// status never depends on what happens here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/record/entry_stamp.h"
#include "fieldcase/record/ops.h"

namespace fieldcase::record {

// One decrypted data entry: header fields that order it, and its op.
struct RecordEntry : EntryStamp {
  Op op;
};

// A value with who wrote it and when. Views list these in the canonical order.
template <typename T>
struct Versioned : EntryStamp {
  T value{};
  bool operator==(const Versioned&) const = default;
};

template <typename T>
struct HistoryItem {
  Versioned<T> set;
  std::vector<Id> superseded_by;  // empty while current; ordered as the superseding entries
  bool operator==(const HistoryItem&) const = default;
};

// A multi-value register (fields, status).
template <typename T>
struct Register {
  std::vector<Versioned<T>> current;    // sets no counted reference supersedes
  std::vector<HistoryItem<T>> history;  // every set, current ones included
  bool conflict() const { return current.size() > 1; }
  bool operator==(const Register&) const = default;
};

using FieldValue = Versioned<std::string>;
using FieldState = Register<std::string>;
using StatusState = Register<CaseStatus>;
using OpenRecord = Versioned<OpenCase>;

struct NoteView {
  Id id{};
  PublicKey author{};
  uint64_t seq = 0;
  uint64_t hlc = 0;
  std::string kind;
  std::string text;
  uint64_t at_ms = 0;  // when the event happened, when the note says
  bool operator==(const NoteView&) const = default;
};

struct UnknownChange {
  Id id{};
  PublicKey author{};
  uint64_t seq = 0;
  uint64_t hlc = 0;
  uint8_t code = 0;
  bool operator==(const UnknownChange&) const = default;
};

// Why a supersedes/removes reference did not count. In the view digest: do not change.
enum class IgnoredReason : uint8_t {
  kUnknownTarget = 1,  // no entry with that id is applied (not held, or not readable here)
  kWrongTarget = 2,    // the entry is not a set of the same field / a status / an add of the tag
};

struct IgnoredReference {
  Id entry{};       // the entry that made the reference
  Id referenced{};  // the id it named
  IgnoredReason reason = IgnoredReason::kUnknownTarget;
  bool operator==(const IgnoredReference&) const = default;
};

struct CaseView {
  // The open-case op with the lowest (hlc, author, seq, id); any others stay listed.
  std::optional<OpenRecord> opened;
  std::vector<OpenRecord> other_opens;
  std::map<std::string, FieldState> fields;  // only fields that have been set
  std::vector<NoteView> notes;               // by (hlc, author, seq, id); grow-only
  std::vector<std::string> tags;             // present tags, sorted bytewise
  StatusState status;                        // no set at all means open
  std::vector<UnknownChange> unknown_changes;
  std::vector<Id> undecryptable;                     // sorted bytewise
  std::vector<IgnoredReference> ignored_references;  // by entry order, then referenced id

  // Open when nothing set it; the value when every current set agrees; nullopt for a conflict
  // between open and closed.
  std::optional<CaseStatus> EffectiveStatus() const;
  bool operator==(const CaseView&) const = default;
};

// Orders ids bytewise, as std::less<Id> does, comparing 8 bytes at a time.
struct IdLess {
  bool operator()(const Id& a, const Id& b) const;
};

class CaseState {
 public:
  // Adds a decrypted entry. An id names one entry (a hash of its signed header), so a second
  // Apply with a known id is ignored.
  void Apply(const RecordEntry& entry);
  // The same, taking the entry's op instead of copying it (when the id is new).
  void Apply(RecordEntry&& entry);
  // Notes an entry of this case that this reader cannot decrypt (no key, or a commit mismatch).
  // If the entry is later applied (a key arrived) it counts as applied, not as undecryptable.
  void AddUndecryptable(const Id& id);
  // Set union with another state of the same case.
  void Merge(const CaseState& other);

  CaseView View() const&;
  // The same view, built by moving note texts, field values and open-case ops out of the
  // state instead of copying them; the state is left empty. For a state whose last use is
  // its view: std::move(state).View().
  CaseView View() &&;
  size_t entry_count() const { return entries_.size(); }

 private:
  std::map<Id, RecordEntry, IdLess> entries_;
  std::set<Id> undecryptable_;
};

}  // namespace fieldcase::record
