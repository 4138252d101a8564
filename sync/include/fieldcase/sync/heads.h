// Heads: every (author, seq, id) that ends a chain or branch a node holds (DESIGN §7), their
// digest, and the heads file one device writes for another (`fieldcase heads --out FILE`)
// so that a bundle carries only what the other lacks.
//
//   digest = BLAKE2b-256("fc-heads") of, for each head sorted by (author, seq, id):
//            author(32) ‖ seq(8, LE) ‖ id(32)
//
// Heads file, version 2 (little-endian):
//   offset size  field
//   0      4     magic "FCHD"
//   4      1     version = 2
//   5      32    org_id
//   37     4     head count (at most kMaxHeads)
//   41     72×n  author(32) ‖ seq(8) ‖ id(32), sorted
//   ..     4     org log length L (at most kMaxHeadsFileOrgLog)
//   ..     L     the org log (root and administrator entries) as a transit batch
// The org log goes first, as in every reconciliation: an exporter that has not yet seen a
// device's enrolment learns it from the device's heads file (verified like any entry), so
// the bundle can be encrypted to it. It carries no secret and no signature of its own: a
// wrong heads file only makes a bundle larger or smaller, never lets anything in.
#pragma once

#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

inline constexpr uint32_t kMaxHeads = 1'000'000;
inline constexpr uint32_t kMaxHeadsFileOrgLog = 64u << 20;

Id HeadsDigest(std::vector<store::Head> heads);

Bytes EncodeHeadsFile(const Id& org_id, std::vector<store::Head> heads,
                      const std::vector<store::RawEntry>& org_log);
struct HeadsFile {
  Id org_id{};
  std::vector<store::Head> heads;
  std::vector<store::RawEntry> org_log;
};
Result<HeadsFile> DecodeHeadsFile(ByteView bytes);

}  // namespace fieldcase::sync
