// Case disclosure: the entries of one case that a court is shown, with what proves them,
// checkable with no store, no passphrase and no key of ours. docs/formats/disclosure.md.
//
// File, version 1 (little-endian; every byte is covered by a check, so a flipped byte
// anywhere is refused):
//   offset size  field
//   0      4     magic "FCDS"
//   4      1     version = 1
//   5      32    org_id — BLAKE2b-256("fc-org") of the root key; the founding entry must
//                match it and every signature covers it
//   37     16    case_id — every data and key entry of the case carries it
//   53     4     entry count N (1..kMaxDisclosureEntries)
//   57     N×    entry record as it travels (store/entry.h): u16 header length (151) ‖
//                header ‖ signature(64) ‖ u32 payload length (0xFFFFFFFF: not carried) ‖
//                payload
//   ..     4     key count K (≤ N)
//   ..     K×    entry id(32) ‖ entry_key(32) — the per-entry key of one disclosed data
//                entry (record/data_payload.h); its commitment proves it is the key the
//                author sealed, and it opens that entry alone
// Nothing follows.
//
// What is carried: the organisation log (every control entry, with payload); every key
// entry of the case, with payload; every data entry of the case, with its payload only when
// disclosed; for each hub and each author of the case, the earliest hub receipt (kind 4,
// with payload) covering that author's chain past its last entry of the case; and the
// header (no payload) of every other entry of each author above, from seq 1 to the last
// one carried (or covered by a carried receipt), so each chain is complete from the
// author's certificate.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/record/case_state.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"

namespace fieldcase::node {

inline constexpr std::string_view kDisclosureMagic = "FCDS";
inline constexpr uint8_t kDisclosureVersion = 1;
inline constexpr uint32_t kMaxDisclosureEntries = 1000000;
inline constexpr uint64_t kMaxDisclosureBytes = 1ull << 30;  // 1 GiB: read bounded

struct DisclosedKey {
  Id entry{};
  Array<32> entry_key{};
};

struct DisclosureFile {
  Id org_id{};
  Id128 case_id{};
  std::vector<store::RawEntry> entries;
  std::vector<DisclosedKey> keys;
};

Bytes WriteDisclosure(const DisclosureFile& d);
// Strict and bounded: counts are checked against the bytes left before anything is
// allocated; only version-1 headers; nothing after the keys.
Result<DisclosureFile> ReadDisclosure(ByteView file);

// One entry of the case as the check found it.
struct DisclosedLine : record::EntryStamp {
  uint8_t kind = 0;
  store::EntryStatus status = store::EntryStatus::kAccepted;
  std::optional<record::Op> op;  // present when disclosed
  std::vector<Id> superseded_by;
};

struct DisclosedAuthor {
  PublicKey key{};
  std::optional<org::Role> role;  // absent: no certificate that counts
  Id128 person_id{};
  bool revoked = false;
  uint64_t last_seq = 0;  // the chain is carried from seq 1 to here
  size_t disclosed = 0;
};

// A hub receipt carried in the disclosure that covers an author of the case: the hub held
// that author's chain up to `seq` (entry `head`, carried) by `hub_time_ms`, its clock.
struct DisclosedReceipt {
  Id receipt{};
  PublicKey hub{};
  uint64_t hub_time_ms = 0;
  PublicKey author{};
  uint64_t seq = 0;
  Id head{};
};

struct DisclosureFindings {
  Id org_id{};
  std::string org_name;  // from the founding entry, in clear
  Id128 case_id{};
  PublicKey root{};
  std::vector<DisclosedAuthor> authors;  // of the case's entries
  std::vector<DisclosedLine> lines;      // the case's entries, canonical order
  std::vector<DisclosedReceipt> receipts;
  std::map<PublicKey, org::Role> roles;  // every key a counting certificate enrols
  record::CaseView view;                 // merged from the disclosed accepted entries
  size_t entries = 0;                    // in the file
  size_t case_entries = 0, disclosed = 0;
  std::vector<std::string> problems;     // any: the disclosure proves nothing
  bool ok() const { return problems.empty(); }
};

// Re-verifies everything in a disclosure through the one ingest path (sync/ingest.h), in a
// throw-away store under `scratch_dir` (removed before returning): signatures, chains,
// enrolments and roles, statuses, commitments, decryption. A problem makes `ok()` false;
// Err only when the scratch store cannot be made.
Result<DisclosureFindings> CheckDisclosure(const DisclosureFile& d,
                                           const std::filesystem::path& scratch_dir,
                                           int64_t now_ms);

}  // namespace fieldcase::node
