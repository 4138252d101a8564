// Heads: every (author, seq, id) that ends a chain or branch a node holds (DESIGN §7), their
// digest, and the heads file one device writes for another (`fieldcase heads --out FILE`)
// so that a bundle carries only what the other lacks.
//
//   digest = BLAKE2b-256("fc-heads") of, for each head sorted by (author, seq, id):
//            author(32) ‖ seq(8, LE) ‖ id(32)
//
// Heads file, version 1 (little-endian):
//   offset size  field
//   0      4     magic "FCHD"
//   4      1     version = 1
//   5      32    org_id
//   37     4     head count (at most kMaxHeads)
//   41     72×n  author(32) ‖ seq(8) ‖ id(32), sorted
// It carries no secret and no signature: a wrong heads file only makes a bundle larger or
// smaller, never lets anything in (every entry is verified on import).
#pragma once

#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/store.h"

namespace fieldcase::sync {

inline constexpr uint32_t kMaxHeads = 1'000'000;

Id HeadsDigest(std::vector<store::Head> heads);

Bytes EncodeHeadsFile(const Id& org_id, std::vector<store::Head> heads);
struct HeadsFile {
  Id org_id{};
  std::vector<store::Head> heads;
};
Result<HeadsFile> DecodeHeadsFile(ByteView bytes);

}  // namespace fieldcase::sync
