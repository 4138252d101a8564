// Op codec, on the strict reader shared by sync/'s payload codecs (strict_cereal.h): every
// size is read as a u64 and bounded by a limit and by the bytes left before any allocation.
#include "fieldcase/record/ops.h"

#include "fieldcase/base/text.h"

#include <exception>
#include <string>
#include <type_traits>

#include "fieldcase/record/portable_binary.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::record {
namespace {

using strict::Reader;
using strict::Sizer;
using strict::Writer;

constexpr uint64_t kMinFieldDefBytes = 16;  // str name ‖ u64 count

// --- per-op field codecs -------------------------------------------------------------------

// W is strict::Writer, or strict::Sizer to measure the same bytes without writing them.
template <class W>
void Save(W& w, const OpenCase& op) {
  w.Str(op.template_name);
  w.U64(op.fields.size());
  for (const auto& f : op.fields) {
    w.Str(f.name);
    w.Strs(f.allowed_values);
  }
  w.Strs(op.note_kinds);
}
template <class W>
void Save(W& w, const SetField& op) {
  w.Str(op.field);
  w.Str(op.value);
  w.Ids(op.supersedes);
}
template <class W>
void Save(W& w, const AddNote& op) {
  w.Str(op.kind);
  w.Str(op.text);
  if (op.at_ms != 0) w.U64(op.at_ms);  // op 8 (CodeOf)
}
template <class W>
void Save(W& w, const Tag& op) {
  w.Str(op.tag);
}
template <class W>
void Save(W& w, const Untag& op) {
  w.Str(op.tag);
  w.Ids(op.removes);
}
template <class W>
void Save(W& w, const SetStatus& op) {
  w.U8(static_cast<uint8_t>(op.status));
  w.Ids(op.supersedes);
}
template <class W>
void Save(W&, const UnknownOp&) {}

Status Load(Reader& r, OpenCase& op) {
  FC_RETURN_IF_ERROR(r.Str(op.template_name, store::kMaxPayloadBytes, "template name"));
  uint64_t n = 0;
  FC_RETURN_IF_ERROR(r.Count(n, kMaxListLength, kMinFieldDefBytes, "field list"));
  op.fields.resize(n);
  for (auto& f : op.fields) {
    FC_RETURN_IF_ERROR(r.Str(f.name, store::kMaxPayloadBytes, "field name"));
    FC_RETURN_IF_ERROR(
        r.Strs(f.allowed_values, kMaxListLength, store::kMaxPayloadBytes, "allowed values"));
  }
  return r.Strs(op.note_kinds, kMaxListLength, store::kMaxPayloadBytes, "note kinds");
}
Status Load(Reader& r, SetField& op) {
  FC_RETURN_IF_ERROR(r.Str(op.field, store::kMaxPayloadBytes, "field"));
  FC_RETURN_IF_ERROR(r.Str(op.value, store::kMaxPayloadBytes, "value"));
  return r.Ids(op.supersedes, kMaxSupersedes, "supersedes");
}
Status Load(Reader& r, AddNote& op) {
  FC_RETURN_IF_ERROR(r.Str(op.kind, store::kMaxPayloadBytes, "note kind"));
  return r.Str(op.text, store::kMaxPayloadBytes, "note text");
}
// Op 8: a note with the time its event happened.
struct AddNoteAt : AddNote {};
Status Load(Reader& r, AddNoteAt& op) {
  FC_RETURN_IF_ERROR(Load(r, static_cast<AddNote&>(op)));
  FC_RETURN_IF_ERROR(r.U64(op.at_ms, "note time"));
  if (op.at_ms == 0) return Status::Corruption("a note time of zero is written as op 3");
  return Status::Ok();
}
Status Load(Reader& r, Tag& op) { return r.Str(op.tag, store::kMaxPayloadBytes, "tag"); }
Status Load(Reader& r, Untag& op) {
  FC_RETURN_IF_ERROR(r.Str(op.tag, store::kMaxPayloadBytes, "tag"));
  return r.Ids(op.removes, kMaxSupersedes, "removes");
}
Status Load(Reader& r, SetStatus& op) {
  uint8_t s = 0;
  FC_RETURN_IF_ERROR(r.U8(s, "status"));
  if (s != static_cast<uint8_t>(CaseStatus::kOpen) &&
      s != static_cast<uint8_t>(CaseStatus::kClosed)) {
    return Status::Corruption("status " + std::to_string(s) +
                              " is neither open (1) nor closed (2)");
  }
  op.status = static_cast<CaseStatus>(s);
  return r.Ids(op.supersedes, kMaxSupersedes, "supersedes");
}

template <typename T>
Result<Op> LoadAs(Reader& r) {
  T op;
  FC_RETURN_IF_ERROR(Load(r, op));
  FC_RETURN_IF_ERROR(r.End("fields"));
  if constexpr (std::is_same_v<T, AddNoteAt>) {
    return Op(AddNote(std::move(op)));
  } else {
    return Op(std::move(op));
  }
}

Result<Op> LoadBody(Reader& r, uint8_t code) {
  switch (static_cast<OpCode>(code)) {
    case OpCode::kOpenCase:
      return LoadAs<OpenCase>(r);
    case OpCode::kSetField:
      return LoadAs<SetField>(r);
    case OpCode::kAddNote:
      return LoadAs<AddNote>(r);
    case OpCode::kAddNoteAt:
      return LoadAs<AddNoteAt>(r);
    case OpCode::kTag:
      return LoadAs<Tag>(r);
    case OpCode::kUntag:
      return LoadAs<Untag>(r);
    case OpCode::kSetStatus:
      return LoadAs<SetStatus>(r);
  }
  // A later version's op: accepted, shown as "unknown change", its fields left unread.
  return Op(UnknownOp{code});
}

uint8_t CodeOf(const Op& op) {
  return std::visit(
      [](const auto& o) -> uint8_t {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, OpenCase>) return uint8_t(OpCode::kOpenCase);
        if constexpr (std::is_same_v<T, SetField>) return uint8_t(OpCode::kSetField);
        if constexpr (std::is_same_v<T, AddNote>) {
          return uint8_t(o.at_ms != 0 ? OpCode::kAddNoteAt : OpCode::kAddNote);
        }
        if constexpr (std::is_same_v<T, Tag>) return uint8_t(OpCode::kTag);
        if constexpr (std::is_same_v<T, Untag>) return uint8_t(OpCode::kUntag);
        if constexpr (std::is_same_v<T, SetStatus>) return uint8_t(OpCode::kSetStatus);
        if constexpr (std::is_same_v<T, UnknownOp>) return o.code;
      },
      op);
}

Status CheckList(size_t n, uint64_t limit, const char* what) {
  if (n <= limit) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + ": " + std::to_string(n) +
                                 " entries, at most " + std::to_string(limit) + " allowed");
}

// Text this device signs: valid UTF-8 with nothing a terminal acts on (base/text.h), and
// something to read. A note may hold line breaks; nothing else may.
Status CheckText(std::string_view s, const char* what, bool lines = false) {
  if (!IsPrintableText(s, lines)) {
    return Status::InvalidArgument(std::string(what) +
                                   " holds control characters, escape sequences or bytes that "
                                   "are not UTF-8; type it again as plain text");
  }
  if (IsBlank(s)) return Status::InvalidArgument(std::string(what) + " is empty");
  return Status::Ok();
}

Status CheckLimits(const Op& op) {
  if (const auto* o = std::get_if<OpenCase>(&op)) {
    FC_RETURN_IF_ERROR(CheckText(o->template_name, "the template name"));
    for (const auto& f : o->fields) {
      FC_RETURN_IF_ERROR(CheckText(f.name, "a field name"));
      for (const auto& v : f.allowed_values) FC_RETURN_IF_ERROR(CheckText(v, "an allowed value"));
    }
    for (const auto& k : o->note_kinds) FC_RETURN_IF_ERROR(CheckText(k, "a note kind"));
    FC_RETURN_IF_ERROR(CheckList(o->fields.size(), kMaxListLength, "fields"));
    FC_RETURN_IF_ERROR(CheckList(o->note_kinds.size(), kMaxListLength, "note kinds"));
    for (const auto& f : o->fields) {
      FC_RETURN_IF_ERROR(CheckList(f.allowed_values.size(), kMaxListLength, "allowed values"));
    }
  } else if (const auto* s = std::get_if<SetField>(&op)) {
    FC_RETURN_IF_ERROR(CheckList(s->supersedes.size(), kMaxSupersedes, "supersedes"));
    FC_RETURN_IF_ERROR(CheckText(s->field, "the field name"));
    if (!s->value.empty()) FC_RETURN_IF_ERROR(CheckText(s->value, "the value"));  // "": cleared
  } else if (const auto* n = std::get_if<AddNote>(&op)) {
    FC_RETURN_IF_ERROR(CheckText(n->kind, "the note kind"));
    FC_RETURN_IF_ERROR(CheckText(n->text, "the note", /*lines=*/true));
  } else if (const auto* t = std::get_if<Tag>(&op)) {
    FC_RETURN_IF_ERROR(CheckText(t->tag, "the tag"));
  } else if (const auto* u = std::get_if<Untag>(&op)) {
    FC_RETURN_IF_ERROR(CheckList(u->removes.size(), kMaxSupersedes, "removes"));
    FC_RETURN_IF_ERROR(CheckText(u->tag, "the tag"));
  } else if (const auto* st = std::get_if<SetStatus>(&op)) {
    FC_RETURN_IF_ERROR(CheckList(st->supersedes.size(), kMaxSupersedes, "supersedes"));
    if (st->status != CaseStatus::kOpen && st->status != CaseStatus::kClosed) {
      return Status::InvalidArgument("status must be open or closed");
    }
  } else if (std::holds_alternative<UnknownOp>(op)) {
    return Status::InvalidArgument("an unknown op cannot be written");
  }
  return Status::Ok();
}

// The size EncodeOp produces, counted without encoding.
uint64_t EncodedSize(const Op& op) {
  Sizer sz;
  sz.U8(CodeOf(op));
  std::visit([&sz](const auto& o) { Save(sz, o); }, op);
  return sz.size();
}

}  // namespace

Status CheckOp(const Op& op) {
  FC_RETURN_IF_ERROR(CheckLimits(op));
  if (EncodedSize(op) > store::kMaxPayloadBytes) {
    return Status::InvalidArgument("the change is larger than 16 MiB");
  }
  return Status::Ok();
}

Bytes EncodeOp(const Op& op) {
  Writer w(EncodedSize(op));
  w.U8(CodeOf(op));
  std::visit([&w](const auto& o) { Save(w, o); }, op);
  return w.Take();
}

Result<Op> DecodeOp(ByteView bytes) {
  if (bytes.empty()) return Status::Corruption("op: empty");
  if (bytes.size() > store::kMaxPayloadBytes)
    return Status::Corruption("op: larger than the payload bound (16 MiB)");
  if (bytes[0] != strict::kLittleEndianFlag) {
    return Status::Corruption("op: first byte is 0x" + ToHex(bytes.first(1)) +
                              ", not the little-endian flag 0x01");
  }
  // Not strict::Decode: an unknown op must stop reading at its code, trailing bytes and all.
  // Every read is pre-checked, so nothing throws but allocation failure; kept so a slip is
  // an error, not a crash.
  try {
    Reader r(bytes);
    uint8_t code = 0;
    FC_RETURN_IF_ERROR(r.U8(code, "op code").Prefixed("op"));
    Result<Op> op = LoadBody(r, code);
    if (!op.ok()) return op.status().Prefixed("op " + std::to_string(code));
    return op;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("op: cannot decode: ") + e.what());
  }
}

}  // namespace fieldcase::record
