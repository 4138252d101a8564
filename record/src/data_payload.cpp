#include "fieldcase/record/data_payload.h"

#include <cstring>

#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/pad.h"
#include "fieldcase/crypto/scratch.h"

namespace fieldcase::record {

namespace hn = crypto::hashname;

crypto::SecretBytes EntryKey(const crypto::SecretBytes& case_key, const PublicKey& author,
                             uint64_t seq, ByteView nonce) {
  Array<8> s;
  for (size_t i = 0; i < 8; ++i) s[i] = uint8_t(seq >> (8 * i));
  return crypto::KeyedHash256(case_key.view(), hn::kEntry, {author, s, nonce});
}

namespace {

// The associated data, on the stack (DataAd is the same bytes in a vector).
constexpr size_t kDataAdBytes = 1 + 1 + 32 + 32 + 8 + 16 + 8 + 16;
using DataAdArray = Array<kDataAdBytes>;

DataAdArray DataAdInto(const Id& org_id, const store::Header& h) {
  DataAdArray ad;
  uint8_t* p = ad.data();
  auto put = [&p](ByteView b) {
    std::memcpy(p, b.data(), b.size());
    p += b.size();
  };
  auto put_le = [&p](uint64_t v) {
    for (size_t i = 0; i < 8; ++i) *p++ = uint8_t(v >> (8 * i));
  };
  *p++ = h.version;
  *p++ = h.kind;
  put(org_id);
  put(h.author);
  put_le(h.seq);
  put(h.case_id);
  put_le(h.hlc);
  put(h.key_id);
  return ad;
}

}  // namespace

Bytes DataAd(const Id& org_id, const store::Header& h) {
  const DataAdArray ad = DataAdInto(org_id, h);
  return Bytes(ad.begin(), ad.end());
}

namespace {

// entry_key (32) and the commitment (32) in scratch memory.
constexpr size_t kKeyAt = 0, kCommitAt = 32, kScratchHead = 64;

void DeriveKeyAndCommit(const crypto::SecretBytes& case_key, const store::Header& h,
                        ByteView nonce, std::span<uint8_t> scratch) {
  Array<8> s;
  for (size_t i = 0; i < 8; ++i) s[i] = uint8_t(h.seq >> (8 * i));
  crypto::KeyedHash256Into(case_key.view(), hn::kEntry, {h.author, s, nonce},
                           scratch.subspan(kKeyAt, 32));
  crypto::KeyedHash256Into(scratch.subspan(kKeyAt, 32), hn::kCommit, {},
                           scratch.subspan(kCommitAt, 32));
}

// Decrypts into scratch[kScratchHead..] and returns the unpadded plaintext there.
Result<ByteView> OpenInto(const crypto::SecretBytes& case_key, const Id& org_id,
                          const store::Header& h, ByteView payload, crypto::Scratch& scratch) {
  ByteView nonce_bytes = payload.subspan(32, crypto::kAeadNonceBytes);
  auto sp = scratch.span();
  DeriveKeyAndCommit(case_key, h, nonce_bytes, sp);
  if (!crypto::ConstantTimeEqual(sp.subspan(kCommitAt, 32), payload.first(32))) {
    return Status::Corruption("cannot decrypt: key commitment does not match");
  }
  crypto::AeadNonce nonce;
  std::memcpy(nonce.data(), nonce_bytes.data(), nonce.size());
  ByteView sealed = payload.subspan(32 + nonce.size());
  auto plain = sp.subspan(kScratchHead, sealed.size() - crypto::kAeadTagBytes);
  const DataAdArray ad = DataAdInto(org_id, h);
  FC_RETURN_IF_ERROR(crypto::AeadDecryptInto(sp.subspan(kKeyAt, 32), nonce, sealed, ad, plain));
  FC_ASSIGN_OR_RETURN(size_t len, crypto::UnpaddedLength(plain));
  return ByteView(plain.data(), len);
}

}  // namespace

Bytes SealData(const crypto::SecretBytes& case_key, const Id& org_id, const store::Header& h,
               ByteView op_bytes) {
  auto nonce = crypto::RandomArray<crypto::kAeadNonceBytes>();
  size_t padded_size = crypto::PaddedSize(op_bytes.size());
  crypto::Scratch scratch(kScratchHead + padded_size);
  auto sp = scratch.span();
  DeriveKeyAndCommit(case_key, h, nonce, sp);
  auto padded = sp.subspan(kScratchHead, padded_size);
  crypto::PadInto(op_bytes, padded);
  Bytes out;
  out.reserve(kDataOverheadBytes + padded_size);
  Append(out, sp.subspan(kCommitAt, 32));
  Append(out, nonce);
  const DataAdArray ad = DataAdInto(org_id, h);
  Append(out, crypto::AeadEncrypt(sp.subspan(kKeyAt, 32), nonce, padded, ad));
  return out;
}

Result<crypto::SecretBytes> OpenData(const crypto::SecretBytes& case_key, const Id& org_id,
                                     const store::Header& h, ByteView payload) {
  if (payload.size() < kDataOverheadBytes) return Status::Corruption("data payload too short");
  crypto::Scratch scratch(kScratchHead + payload.size());
  FC_ASSIGN_OR_RETURN(ByteView plain, OpenInto(case_key, org_id, h, payload, scratch));
  return crypto::SecretBytes::CopyFrom(plain);
}

Result<Op> OpenDataOp(const crypto::SecretBytes& case_key, const Id& org_id,
                      const store::Header& h, ByteView payload) {
  if (payload.size() < kDataOverheadBytes) return Status::Corruption("data payload too short");
  crypto::Scratch scratch(kScratchHead + payload.size());
  FC_ASSIGN_OR_RETURN(ByteView plain, OpenInto(case_key, org_id, h, payload, scratch));
  return DecodeOp(plain);
}

}  // namespace fieldcase::record
