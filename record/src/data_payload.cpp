#include "fieldcase/record/data_payload.h"

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/pad.h"
#include "fieldcase/crypto/scratch.h"

namespace fieldcase::record {

namespace hn = crypto::hashname;

namespace {
Array<8> Seq(uint64_t seq) {
  Array<8> s;
  ByteWriter(s).U64(seq);
  return s;
}
}  // namespace

crypto::SecretBytes EntryKey(const crypto::SecretBytes& case_key, const PublicKey& author,
                             uint64_t seq, ByteView nonce) {
  const Array<8> s = Seq(seq);
  return crypto::KeyedHash256(case_key.view(), hn::kEntry, {author, s, nonce});
}

namespace {

// The associated data, on the stack (DataAd is the same bytes in a vector).
constexpr size_t kDataAdBytes = 1 + 1 + 32 + 32 + 8 + 16 + 8 + 16;
using DataAdArray = Array<kDataAdBytes>;

DataAdArray DataAdInto(const Id& org_id, const store::Header& h) {
  DataAdArray ad;
  ByteWriter w(ad);
  w.U8(h.version);
  w.U8(h.kind);
  w.Fixed(org_id);
  w.Fixed(h.author);
  w.U64(h.seq);
  w.Fixed(h.case_id);
  w.U64(h.hlc);
  w.Fixed(h.key_id);
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

void DeriveKeyAndCommit(const crypto::SecretBytes& case_key, const store::Header& h, ByteView nonce,
                        std::span<uint8_t> scratch) {
  const Array<8> s = Seq(h.seq);
  crypto::KeyedHash256Into(case_key.view(), hn::kEntry, {h.author, s, nonce},
                           scratch.subspan(kKeyAt, 32));
  crypto::KeyedHash256Into(scratch.subspan(kKeyAt, 32), hn::kCommit, {},
                           scratch.subspan(kCommitAt, 32));
}

// Checks the commitment of the entry key in scratch[kKeyAt..] and decrypts into
// scratch[kScratchHead..]; returns the unpadded plaintext there.
Result<ByteView> OpenWithEntryKeyInto(const Id& org_id, const store::Header& h, ByteView commit,
                                      const crypto::AeadNonce& nonce, ByteView sealed,
                                      std::span<uint8_t> sp) {
  crypto::KeyedHash256Into(sp.subspan(kKeyAt, 32), hn::kCommit, {}, sp.subspan(kCommitAt, 32));
  if (!crypto::ConstantTimeEqual(sp.subspan(kCommitAt, 32), commit)) {
    return Status::Corruption("cannot decrypt: key commitment does not match");
  }
  auto plain = sp.subspan(kScratchHead, sealed.size() - crypto::kAeadTagBytes);
  const DataAdArray ad = DataAdInto(org_id, h);
  FC_RETURN_IF_ERROR(crypto::AeadDecryptInto(sp.subspan(kKeyAt, 32), nonce, sealed, ad, plain));
  FC_ASSIGN_OR_RETURN(size_t len, crypto::UnpaddedLength(plain));
  return ByteView(plain.data(), len);
}

struct DataParts {
  ByteView commit;
  crypto::AeadNonce nonce;
  ByteView sealed;
};

Result<DataParts> SplitData(ByteView payload) {
  if (payload.size() < kDataOverheadBytes) return Status::Corruption("data payload too short");
  ByteReader r(payload);
  DataParts d;
  FC_RETURN_IF_ERROR(r.Take(32, d.commit, "key commitment"));
  FC_RETURN_IF_ERROR(r.Fixed(d.nonce, "nonce"));
  d.sealed = r.Rest();
  return d;
}

// Decrypts into scratch[kScratchHead..] and returns the unpadded plaintext there. The
// caller has checked payload holds at least kDataOverheadBytes.
Result<ByteView> OpenInto(const crypto::SecretBytes& case_key, const Id& org_id,
                          const store::Header& h, ByteView payload, crypto::Scratch& scratch) {
  FC_ASSIGN_OR_RETURN(DataParts d, SplitData(payload));
  auto sp = scratch.span();
  const Array<8> s = Seq(h.seq);
  crypto::KeyedHash256Into(case_key.view(), hn::kEntry, {h.author, s, d.nonce},
                           sp.subspan(kKeyAt, 32));
  return OpenWithEntryKeyInto(org_id, h, d.commit, d.nonce, d.sealed, sp);
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

Result<Op> OpenDataOp(const crypto::SecretBytes& case_key, const Id& org_id, const store::Header& h,
                      ByteView payload) {
  if (payload.size() < kDataOverheadBytes) return Status::Corruption("data payload too short");
  crypto::Scratch scratch(kScratchHead + payload.size());
  FC_ASSIGN_OR_RETURN(ByteView plain, OpenInto(case_key, org_id, h, payload, scratch));
  return DecodeOp(plain);
}

Result<crypto::SecretBytes> EntryKeyOf(const crypto::SecretBytes& case_key,
                                       const store::Header& h, ByteView payload) {
  FC_ASSIGN_OR_RETURN(DataParts d, SplitData(payload));
  return EntryKey(case_key, h.author, h.seq, d.nonce);
}

Result<Op> OpenDataOpWithEntryKey(ByteView entry_key, const Id& org_id, const store::Header& h,
                                  ByteView payload) {
  if (entry_key.size() != 32) return Status::Corruption("an entry key is 32 bytes");
  FC_ASSIGN_OR_RETURN(DataParts d, SplitData(payload));
  crypto::Scratch scratch(kScratchHead + payload.size());
  auto sp = scratch.span();
  std::copy(entry_key.begin(), entry_key.end(), sp.begin() + kKeyAt);
  FC_ASSIGN_OR_RETURN(ByteView plain,
                      OpenWithEntryKeyInto(org_id, h, d.commit, d.nonce, d.sealed, sp));
  return DecodeOp(plain);
}

}  // namespace fieldcase::record
