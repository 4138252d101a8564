#include "fieldcase/record/view_digest.h"

#include "fieldcase/crypto/hash.h"

namespace fieldcase::record {
namespace {

class DigestWriter {
 public:
  DigestWriter() : h_(crypto::hashname::kView, 32) {}

  void U8(uint8_t v) { h_.UpdateU64(v, 1); }
  void U32(uint32_t v) { h_.UpdateU64(v, 4); }
  void U64(uint64_t v) { h_.UpdateU64(v, 8); }
  void Raw(const Id& id) { h_.Update(id); }
  void Str(const std::string& s) {
    U64(s.size());
    h_.Update(AsBytes(s));
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  template <typename T>
  void Stamp(const Versioned<T>& v) {
    StampOf(v.id, v.author, v.seq, v.hlc);
  }
  void StampOf(const Id& id, const PublicKey& author, uint64_t seq, uint64_t hlc) {
    Raw(id);
    Raw(author);
    U64(seq);
    U64(hlc);
  }

  void Value(const std::string& s) { Str(s); }
  void Value(CaseStatus s) { U8(static_cast<uint8_t>(s)); }

  void Open(const OpenRecord& r) {
    Stamp(r);
    Str(r.value.template_name);
    U64(r.value.fields.size());
    for (const auto& f : r.value.fields) {
      Str(f.name);
      Strs(f.allowed_values);
    }
    Strs(r.value.note_kinds);
  }

  template <typename T>
  void Reg(const Register<T>& reg) {
    U64(reg.current.size());
    for (const auto& v : reg.current) {
      Stamp(v);
      Value(v.value);
    }
    U64(reg.history.size());
    for (const auto& item : reg.history) {
      Stamp(item.set);
      Value(item.set.value);
      U64(item.superseded_by.size());
      for (const Id& id : item.superseded_by) Raw(id);
    }
  }

  Id Finish() {
    Id out{};
    h_.Final(out);
    return out;
  }

 private:
  crypto::Hasher h_;
};

}  // namespace

Id ViewDigest(const CaseView& view) {
  DigestWriter w;
  w.U32(kMergeRulesVersion);
  if (view.opened) {
    w.U8(1);
    w.Open(*view.opened);
  } else {
    w.U8(0);
  }
  w.U64(view.other_opens.size());
  for (const auto& r : view.other_opens) w.Open(r);

  w.U64(view.fields.size());
  for (const auto& [name, state] : view.fields) {
    w.Str(name);
    w.Reg(state);
  }
  w.U64(view.notes.size());
  for (const auto& n : view.notes) {
    w.StampOf(n.id, n.author, n.seq, n.hlc);
    w.Str(n.kind);
    w.Str(n.text);
  }
  w.Strs(view.tags);
  w.Reg(view.status);
  w.U64(view.unknown_changes.size());
  for (const auto& u : view.unknown_changes) {
    w.StampOf(u.id, u.author, u.seq, u.hlc);
    w.U8(u.code);
  }
  w.U64(view.undecryptable.size());
  for (const Id& id : view.undecryptable) w.Raw(id);
  w.U64(view.ignored_references.size());
  for (const auto& r : view.ignored_references) {
    w.Raw(r.entry);
    w.Raw(r.referenced);
    w.U8(static_cast<uint8_t>(r.reason));
  }
  // Event times of notes (op 8), only when some note has one: views without them keep the
  // digests they had.
  std::vector<const NoteView*> timed;
  for (const auto& n : view.notes)
    if (n.at_ms != 0) timed.push_back(&n);
  if (!timed.empty()) {
    w.Str("note event times");
    w.U64(timed.size());
    for (const NoteView* n : timed) {
      w.Raw(n->id);
      w.U64(n->at_ms);
    }
  }
  return w.Finish();
}

}  // namespace fieldcase::record
