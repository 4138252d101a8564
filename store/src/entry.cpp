#include "fieldcase/store/entry.h"

#include "fieldcase/crypto/hash.h"

namespace fieldcase::store {

namespace hn = crypto::hashname;

namespace {
template <size_t N>
void Put(uint8_t*& p, const Array<N>& a) {
  std::memcpy(p, a.data(), N);
  p += N;
}
void PutInt(uint8_t*& p, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) *p++ = uint8_t(v >> (8 * i));
}
template <size_t N>
void Get(const uint8_t*& p, Array<N>& a) {
  std::memcpy(a.data(), p, N);
  p += N;
}
uint64_t GetInt(const uint8_t*& p, size_t width) {
  uint64_t v = GetLE(p, width);
  p += width;
  return v;
}
Array<8> U64(uint64_t v) {
  Array<8> a;
  for (size_t i = 0; i < 8; ++i) a[i] = uint8_t(v >> (8 * i));
  return a;
}
}  // namespace

Array<kHeaderV1Bytes> EncodeHeader(const Header& h) {
  Array<kHeaderV1Bytes> out{};
  uint8_t* p = out.data();
  *p++ = h.version;
  *p++ = h.kind;
  *p++ = h.flags;
  Put(p, h.author);
  PutInt(p, h.seq, 8);
  Put(p, h.prev);
  Put(p, h.case_id);
  PutInt(p, h.hlc, 8);
  Put(p, h.key_id);
  PutInt(p, h.payload_len, 4);
  Put(p, h.payload_hash);
  return out;
}

Result<Header> DecodeHeader(ByteView bytes) {
  if (bytes.empty()) return Status::Rejected("empty header");
  if (bytes[0] != kVersion1) {
    return Status::NeedsUpgrade("header version " + std::to_string(bytes[0]) + " needs upgrade");
  }
  if (bytes.size() != kHeaderV1Bytes) {
    return Status::Rejected("v1 header must be 151 bytes, got " + std::to_string(bytes.size()));
  }
  Header h;
  const uint8_t* p = bytes.data();
  h.version = *p++;
  h.kind = *p++;
  h.flags = *p++;
  if (h.flags != 0) return Status::Rejected("header flags must be zero");
  Get(p, h.author);
  h.seq = GetInt(p, 8);
  Get(p, h.prev);
  Get(p, h.case_id);
  h.hlc = GetInt(p, 8);
  Get(p, h.key_id);
  h.payload_len = uint32_t(GetInt(p, 4));
  Get(p, h.payload_hash);
  return h;
}

Id PayloadHash(ByteView payload) { return crypto::Hash256(hn::kPayload, {payload}); }
Id OrgId(const PublicKey& root) { return crypto::Hash256(hn::kOrg, {root}); }
Id EntryId(ByteView header, const Signature& sig) {
  return crypto::Hash256(hn::kEntryId, {header, sig});
}
Id128 KeyIdFor(const PublicKey& author, uint64_t seq) {
  return crypto::Hash128(hn::kKeyId, {author, U64(seq)});
}
Id128 CaseIdFor(const PublicKey& author, uint64_t seq) {
  return crypto::Hash128(hn::kCase, {author, U64(seq)});
}

Entry SignEntry(const Header& h, Bytes payload, const Id& org_id, const crypto::SigningKey& key) {
  Entry e;
  e.header = h;
  e.header.author = key.public_key();
  e.header.payload_len = uint32_t(payload.size());
  e.header.payload_hash = PayloadHash(payload);
  e.header_bytes = EncodeHeader(e.header);
  e.signature = key.Sign(crypto::SignTag::kEntry, {org_id, e.header_bytes});
  e.id = EntryId(e.header_bytes, e.signature);
  e.payload = std::move(payload);
  return e;
}

bool VerifyEntrySignature(const Id& org_id, ByteView header_bytes, const PublicKey& author,
                          const Signature& sig) {
  return crypto::Verify(author, crypto::SignTag::kEntry, {org_id, header_bytes}, sig);
}

}  // namespace fieldcase::store
