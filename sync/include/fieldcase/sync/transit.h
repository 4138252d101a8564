// Transit form (DESIGN §7): entries as they travel in bundles and sessions, without the
// header fields the receiver can rebuild. The receiver rebuilds the exact 151 header bytes
// (author from the run, seq counting up from the run's first, prev = id of the entry
// before it, payload_hash from the payload when it travels) and the store verifies every
// signature over those rebuilt bytes: a field changed in transit fails the signature.
//
// Batch (little-endian):
//   u32 run count ‖ runs
// Run, form 1 (a stretch of one author's chain, version 1 headers):
//   u8 1 ‖ author(32) ‖ first seq(8) ‖ prev of the first(32) ‖ u32 n (≥ 1) ‖ n × entry
//   entry = kind(1) ‖ flags(1) ‖ case_id(16) ‖ hlc(8) ‖ key_id(16) ‖ payload_len(4) ‖
//           signature(64) ‖ u8 carried (1: the payload, payload_len bytes, follows;
//           0: not carried, payload_hash(32) follows)
// Run, form 2 (an entry of a header version this build cannot read, passed on whole):
//   u8 2 ‖ one entry record (store::PutRawEntry)
// A new run starts where the author changes or an entry does not follow the one before it
// (another branch of a fork). Every count is bounded by the bytes that remain before
// anything is allocated.
#pragma once

#include <cstdint>
#include <vector>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::sync {

// A transit entry's smallest encoding (payload not carried, its hash instead).
inline constexpr size_t kMinTransitEntryBytes = 46 + 64 + 1 + 32;

// Entries in the order given (callers send each author's chain parent first).
void PutTransitBatch(ByteWriter& w, const std::vector<store::RawEntry>& entries);
// Rebuilt entries, in the order they travelled; Corruption naming what is wrong, and when
// the batch holds more than `max_entries` (checked before each run is read).
Result<std::vector<store::RawEntry>> GetTransitBatch(ByteReader& r, size_t max_entries);
// Where a batch is bounded by its bytes alone (a bundle message, a heads file's org log).
inline constexpr size_t kAnyEntryCount = SIZE_MAX;

}  // namespace fieldcase::sync
