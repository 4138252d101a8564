#include "fieldcase/sync/data_payload.h"

#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/pad.h"

namespace fieldcase::sync {

namespace hn = crypto::hashname;

crypto::SecretBytes EntryKey(const crypto::SecretBytes& case_key, const PublicKey& author,
                             uint64_t seq, ByteView nonce) {
  Array<8> s;
  for (size_t i = 0; i < 8; ++i) s[i] = uint8_t(seq >> (8 * i));
  return crypto::KeyedHash256(case_key.view(), hn::kEntry, {author, s, nonce});
}

Bytes DataAd(const Id& org_id, const store::Header& h) {
  Bytes ad;
  ad.reserve(1 + 1 + 32 + 32 + 8 + 16 + 8 + 16);
  ad.push_back(h.version);
  ad.push_back(h.kind);
  Append(ad, org_id);
  Append(ad, h.author);
  PutLE(ad, h.seq, 8);
  Append(ad, h.case_id);
  PutLE(ad, h.hlc, 8);
  Append(ad, h.key_id);
  return ad;
}

namespace {
Id Commit(const crypto::SecretBytes& entry_key) {
  crypto::SecretBytes c = crypto::KeyedHash256(entry_key.view(), hn::kCommit, {});
  Id out;
  std::memcpy(out.data(), c.data(), out.size());
  return out;
}
}  // namespace

Bytes SealData(const crypto::SecretBytes& case_key, const Id& org_id, const store::Header& h,
               ByteView op_bytes) {
  auto nonce = crypto::RandomArray<crypto::kAeadNonceBytes>();
  crypto::SecretBytes key = EntryKey(case_key, h.author, h.seq, nonce);
  crypto::SecretBytes padded = crypto::Pad(op_bytes);
  Bytes out;
  out.reserve(kDataOverheadBytes + padded.size());
  Append(out, Commit(key));
  Append(out, nonce);
  Append(out, crypto::AeadEncrypt(key, nonce, padded.view(), DataAd(org_id, h)));
  return out;
}

Result<crypto::SecretBytes> OpenData(const crypto::SecretBytes& case_key, const Id& org_id,
                                     const store::Header& h, ByteView payload) {
  if (payload.size() < kDataOverheadBytes) return Status::Corruption("data payload too short");
  ByteView nonce_bytes = payload.subspan(32, crypto::kAeadNonceBytes);
  crypto::SecretBytes key = EntryKey(case_key, h.author, h.seq, nonce_bytes);
  if (!crypto::ConstantTimeEqual(Commit(key), payload.first(32))) {
    return Status::Corruption("cannot decrypt: key commitment does not match");
  }
  crypto::AeadNonce nonce;
  std::memcpy(nonce.data(), nonce_bytes.data(), nonce.size());
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes padded,
                      crypto::AeadDecrypt(key, nonce, payload.subspan(32 + nonce.size()),
                                          DataAd(org_id, h)));
  FC_ASSIGN_OR_RETURN(size_t len, crypto::UnpaddedLength(padded.view()));
  return crypto::SecretBytes::CopyFrom(padded.view().first(len));
}

}  // namespace fieldcase::sync
