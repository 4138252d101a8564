// Data payloads (kind 1): an operation, padded and encrypted under a per-entry key.
//
//   payload   = commit(32) ‖ nonce(24) ‖ ciphertext ‖ tag(16)
//   entry_key = BLAKE2b-256(key = case key named by key_id, "fc-entry") of
//               author(32) ‖ seq(8) ‖ nonce(24)
//   commit    = BLAKE2b-256(key = entry_key, "fc-commit") of ""
//   ad        = version(1) ‖ kind(1) ‖ org_id(32) ‖ author(32) ‖ seq(8) ‖ case_id(16) ‖
//               hlc(8) ‖ key_id(16)
//   plaintext = sodium_pad(op bytes, 64)
//
// A reader recomputes commit before decrypting: the signature (over payload_hash) thus
// binds the plaintext, and one entry can be disclosed by revealing its entry_key alone.
#pragma once

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::record {

inline constexpr size_t kDataOverheadBytes = 32 + 24 + 16;

crypto::SecretBytes EntryKey(const crypto::SecretBytes& case_key, const PublicKey& author,
                             uint64_t seq, ByteView nonce);
Bytes DataAd(const Id& org_id, const store::Header& h);

// h supplies version, kind, author, seq, case_id, hlc, key_id (payload fields are ignored).
Bytes SealData(const crypto::SecretBytes& case_key, const Id& org_id, const store::Header& h,
               ByteView op_bytes);
// The unpadded op bytes. Corruption when the commitment, tag or padding fails.
Result<crypto::SecretBytes> OpenData(const crypto::SecretBytes& case_key, const Id& org_id,
                                     const store::Header& h, ByteView payload);
// Decrypts and decodes in one step, the plaintext only ever in per-thread scratch
// memory (the hot path of opening a store).
Result<Op> OpenDataOp(const crypto::SecretBytes& case_key, const Id& org_id, const store::Header& h,
                      ByteView payload);

// The entry key of one data payload (its nonce is read from the payload): what a
// disclosure reveals, for that entry alone.
Result<crypto::SecretBytes> EntryKeyOf(const crypto::SecretBytes& case_key,
                                       const store::Header& h, ByteView payload);
// Decrypts and decodes with an entry key alone (a disclosure). The commitment is checked
// first, so only the key the author sealed opens the entry.
Result<Op> OpenDataOpWithEntryKey(ByteView entry_key, const Id& org_id, const store::Header& h,
                                  ByteView payload);

}  // namespace fieldcase::record
