// Data operations: the plaintext of a data entry's payload, after decryption and sodium_unpad
// (DESIGN §4 "Data payload", §6). Merge semantics: case_state.h and docs/merge.md.
//
// Format version 1. Cereal PortableBinary, written little-endian on every host:
//
//   offset  size  field
//   0       1     endianness flag written by cereal: must be 0x01 (little-endian)
//   1       1     op code (OpCode below)
//   2       ...   the op's fields, in the order of the table below; then nothing (no trailing
//                 bytes), except after an unknown op code, where the rest is ignored
//
//   u8, u64   unsigned, little-endian
//   str       u64 byte length ‖ bytes          (cereal's std::string layout)
//   strs      u64 count ‖ count × str
//   id        32 bytes, an entry id
//   ids       u64 count ‖ count × id           (count ≤ kMaxSupersedes)
//
//   code  op          fields
//   1     open case   str template_name ‖ u64 n ‖ n × (str name ‖ strs allowed_values)
//                     ‖ strs note_kinds
//   2     set field   str field ‖ str value ‖ ids supersedes
//   3     add note    str kind ‖ str text
//   4     tag         str tag
//   5     untag       str tag ‖ ids removes
//   6     set status  u8 status (1 open, 2 closed) ‖ ids supersedes
//   8     add note at str kind ‖ str text ‖ u64 at_ms (when the event happened, UTC ms; an
//                     AddNote whose at_ms is set; a version before it shows "unknown change")
//   else  unknown     accepted and shown as "unknown change" (a later version's op)
//
// Limits (checked before any allocation): the whole op at most store::kMaxPayloadBytes; every list
// of strings (fields, allowed values, note kinds) at most kMaxListLength; supersedes/removes at
// most kMaxSupersedes ids; every length also at most the bytes that remain.
// Strings this device writes are checked (CheckOp): UTF-8 with no control character,
// escape or bidi override (a note may hold line breaks and tabs), not blank; an empty value
// clears a field. Strings from elsewhere are not trusted: readers escape them for display.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::record {

// Persisted in payloads: do not change.
enum class OpCode : uint8_t {
  kOpenCase = 1,
  kSetField = 2,
  kAddNote = 3,
  kTag = 4,
  kUntag = 5,
  kSetStatus = 6,
  // 7 is reserved for "attach file" (DESIGN §6, later).
  kAddNoteAt = 8,
};

// Persisted in payloads: do not change.
enum class CaseStatus : uint8_t { kOpen = 1, kClosed = 2 };

// Format constants (DESIGN §4.1): every node must agree, so they are not tunable. The
// payload bound is store::kMaxPayloadBytes (store/entry.h).
inline constexpr uint64_t kMaxSupersedes = 256;
inline constexpr uint64_t kMaxListLength = 1024;

struct FieldDef {
  std::string name;
  std::vector<std::string> allowed_values;  // empty = free text
  bool operator==(const FieldDef&) const = default;
};

struct OpenCase {
  std::string template_name;
  std::vector<FieldDef> fields;
  std::vector<std::string> note_kinds;
  bool operator==(const OpenCase&) const = default;
};

struct SetField {
  std::string field;
  std::string value;
  std::vector<Id> supersedes;  // the sets of this field its author saw as current
  bool operator==(const SetField&) const = default;
};

struct AddNote {
  std::string kind;  // incident, breach, contact, action, referral, ...
  std::string text;
  uint64_t at_ms = 0;  // when the event happened (UTC ms), beside when it was written; 0: unsaid
  bool operator==(const AddNote&) const = default;
};

struct Tag {
  std::string tag;
  bool operator==(const Tag&) const = default;
};

struct Untag {
  std::string tag;
  std::vector<Id> removes;  // ids of the Tag adds of this tag its author observed
  bool operator==(const Untag&) const = default;
};

struct SetStatus {
  CaseStatus status = CaseStatus::kOpen;
  std::vector<Id> supersedes;
  bool operator==(const SetStatus&) const = default;
};

// An op code this version does not know; its fields were skipped.
struct UnknownOp {
  uint8_t code = 0;
  bool operator==(const UnknownOp&) const = default;
};

using Op = std::variant<OpenCase, SetField, AddNote, Tag, Untag, SetStatus, UnknownOp>;

// Checks an op a local user is about to write against the limits DecodeOp enforces, so that
// nothing is signed that peers would fail to decode. InvalidArgument with a reason.
[[nodiscard]] Status CheckOp(const Op& op);

// Encodes as in the table above. An UnknownOp encodes as its code alone (for tests); a known
// op that breaks a limit encodes anyway and will not decode: call CheckOp first.
Bytes EncodeOp(const Op& op);

// Strict and safe on hostile bytes: Corruption with a reason on any deviation from the table.
[[nodiscard]] Result<Op> DecodeOp(ByteView bytes);

}  // namespace fieldcase::record
