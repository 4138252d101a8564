#include "fieldcase/store/entry.h"

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/hash.h"

namespace fieldcase::store {

namespace hn = crypto::hashname;

namespace {
Array<8> U64(uint64_t v) {
  Array<8> a;
  ByteWriter(a).U64(v);
  return a;
}
}  // namespace

Array<kHeaderV1Bytes> EncodeHeader(const Header& h) {
  Array<kHeaderV1Bytes> out{};
  ByteWriter w(out);
  w.U8(h.version);
  w.U8(h.kind);
  w.U8(h.flags);
  w.Fixed(h.author);
  w.U64(h.seq);
  w.Fixed(h.prev);
  w.Fixed(h.case_id);
  w.U64(h.hlc);
  w.Fixed(h.key_id);
  w.U32(h.payload_len);
  w.Fixed(h.payload_hash);
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
  // The length is checked above, so no read below can come up short.
  Header h;
  ByteReader r(bytes);
  FC_RETURN_IF_ERROR(r.U8(h.version, "version"));
  FC_RETURN_IF_ERROR(r.U8(h.kind, "kind"));
  FC_RETURN_IF_ERROR(r.U8(h.flags, "flags"));
  if (h.flags != 0) return Status::Rejected("header flags must be zero");
  FC_RETURN_IF_ERROR(r.Fixed(h.author, "author"));
  FC_RETURN_IF_ERROR(r.U64(h.seq, "seq"));
  FC_RETURN_IF_ERROR(r.Fixed(h.prev, "prev"));
  FC_RETURN_IF_ERROR(r.Fixed(h.case_id, "case_id"));
  FC_RETURN_IF_ERROR(r.U64(h.hlc, "hlc"));
  FC_RETURN_IF_ERROR(r.Fixed(h.key_id, "key_id"));
  FC_RETURN_IF_ERROR(r.U32(h.payload_len, "payload_len"));
  FC_RETURN_IF_ERROR(r.Fixed(h.payload_hash, "payload_hash"));
  FC_RETURN_IF_ERROR(r.End("header"));
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

namespace {
constexpr uint32_t kNoPayload = 0xFFFFFFFF;
}  // namespace

void PutRawEntry(ByteWriter& w, const RawEntry& e) {
  w.U16(uint16_t(e.header.size()));
  w.Raw(e.header);
  w.Fixed(e.signature);
  if (e.payload) {
    w.U32(uint32_t(e.payload->size()));
    w.Raw(*e.payload);
  } else {
    w.U32(kNoPayload);
  }
}

Status GetRawEntry(ByteReader& r, RawEntry& e) {
  uint16_t hlen = 0;
  uint32_t plen = 0;
  ByteView v;
  FC_RETURN_IF_ERROR(r.U16(hlen, "entry header length"));
  if (hlen == 0) return Status::Corruption("entry header of length 0");
  FC_RETURN_IF_ERROR(r.Bound(hlen, kMaxOpaqueHeaderBytes, 0, "entry header"));
  FC_RETURN_IF_ERROR(r.Take(hlen, v, "entry header"));
  e.header.assign(v.begin(), v.end());
  FC_RETURN_IF_ERROR(r.Fixed(e.signature, "entry signature"));
  FC_RETURN_IF_ERROR(r.U32(plen, "entry payload length"));
  e.payload.reset();
  if (plen == kNoPayload) return Status::Ok();
  FC_RETURN_IF_ERROR(r.Bound(plen, kMaxPayloadBytes, 0, "entry payload"));
  FC_RETURN_IF_ERROR(r.Take(plen, v, "entry payload"));
  e.payload = Bytes(v.begin(), v.end());
  return Status::Ok();
}

}  // namespace fieldcase::store
