#include "fieldcase/org/key_payload.h"

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/record/portable_binary.h"

namespace fieldcase::org {

namespace hn = crypto::hashname;

Bytes EncodeKeyPayload(const KeyPayload& p) {
  record::strict::Writer w;
  w.U8(uint8_t(p.op));
  w.Fixed(p.key_id);
  w.U32(p.generation);
  w.Fixed(p.previous_key_id);
  w.Fixed(p.orglog_digest);
  w.Fixed(p.check);
  w.U64(p.wraps.size());
  for (const Wrap& x : p.wraps) {
    w.U8(uint8_t(x.type));
    w.Fixed(x.recipient);
    w.Blob(x.blob);
  }
  w.Blob(p.previous_wrap);
  return w.Take();
}

Result<KeyPayload> DecodeKeyPayload(ByteView bytes) {
  KeyPayload p;
  Status s = record::strict::Decode(bytes, "key payload", [&](record::strict::Reader& r) -> Status {
    uint8_t op = 0;
    FC_RETURN_IF_ERROR(r.U8(op, "key op"));
    if (op < uint8_t(KeyOpCode::kTeamKey) || op > uint8_t(KeyOpCode::kGrant)) {
      return Status::NeedsUpgrade("key payload: unknown op needs upgrade");
    }
    p.op = KeyOpCode(op);
    FC_RETURN_IF_ERROR(r.Fixed(p.key_id, "key id"));
    FC_RETURN_IF_ERROR(r.U32(p.generation, "generation"));
    FC_RETURN_IF_ERROR(r.Fixed(p.previous_key_id, "previous key id"));
    FC_RETURN_IF_ERROR(r.Fixed(p.orglog_digest, "org-log digest"));
    FC_RETURN_IF_ERROR(r.Fixed(p.check, "key check"));
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(r.Count(n, kMaxWraps, 1 + 32 + 8, "wraps"));
    p.wraps.resize(n);
    for (Wrap& x : p.wraps) {
      uint8_t type = 0;
      FC_RETURN_IF_ERROR(r.U8(type, "wrap type"));
      if (type != 1 && type != 2) return Status::Corruption("key payload: unknown wrap type");
      x.type = WrapType(type);
      FC_RETURN_IF_ERROR(r.Fixed(x.recipient, "wrap recipient"));
      FC_RETURN_IF_ERROR(r.Blob(x.blob, kMaxWrapBytes, "wrap"));
    }
    FC_RETURN_IF_ERROR(r.Blob(p.previous_wrap, kMaxWrapBytes, "previous wrap"));
    if (p.generation == 0) return Status::Corruption("key payload: generation 0");
    if (p.generation == 1 && !p.previous_wrap.empty()) {
      return Status::Corruption("key payload: generation 1 carries no previous key");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return p;
}

Id KeyCheck(const crypto::SecretBytes& key) {
  crypto::SecretBytes c = crypto::KeyedHash256(key.view(), hn::kKeyCheck, {});
  Id out;
  std::memcpy(out.data(), c.data(), 32);
  return out;
}

PublicKey TeamRecipient(const Id128& team_key_id) {
  PublicKey r{};
  std::memcpy(r.data(), team_key_id.data(), 16);
  return r;
}

Bytes WrapContext(const Id& org_id, const Id128& case_id, const Id128& key_id,
                  const PublicKey& recipient) {
  return crypto::KeyWrapContext({org_id, case_id, key_id, recipient});
}

Wrap WrapUnderTeamKey(const crypto::SecretBytes& key, const crypto::SecretBytes& team_key,
                      const Id128& team_key_id, const Id& org_id, const Id128& case_id,
                      const Id128& key_id) {
  Wrap w;
  w.type = WrapType::kUnderTeamKey;
  w.recipient = TeamRecipient(team_key_id);
  auto nonce = crypto::RandomArray<crypto::kAeadNonceBytes>();
  crypto::SecretBytes wrap_key = crypto::KeyedHash256(team_key.view(), hn::kWrap, {nonce});
  Bytes ct = crypto::AeadEncrypt(wrap_key, nonce, key.view(),
                                 WrapContext(org_id, case_id, key_id, w.recipient));
  Append(w.blob, nonce);
  Append(w.blob, ct);
  return w;
}

Result<Wrap> WrapSealed(const crypto::SecretBytes& key, const PublicKey& recipient,
                        const Id& org_id, const Id128& case_id, const Id128& key_id) {
  Wrap w;
  w.type = WrapType::kSealed;
  w.recipient = recipient;
  FC_ASSIGN_OR_RETURN(
      w.blob,
      crypto::SealTo(recipient, WrapContext(org_id, case_id, key_id, recipient), key.view()));
  return w;
}

Result<crypto::SecretBytes> UnwrapUnderTeamKey(const Wrap& w, const crypto::SecretBytes& team_key,
                                               const Id& org_id, const Id128& case_id,
                                               const Id128& key_id) {
  ByteReader in(w.blob);
  crypto::AeadNonce nonce;
  if (w.type != WrapType::kUnderTeamKey || !in.Fixed(nonce, "nonce").ok()) {
    return Status::Corruption("not a team-key wrap");
  }
  crypto::SecretBytes wrap_key = crypto::KeyedHash256(team_key.view(), hn::kWrap, {nonce});
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes key,
                      crypto::AeadDecrypt(wrap_key, nonce, in.Rest(),
                                          WrapContext(org_id, case_id, key_id, w.recipient)));
  if (key.size() != kSymmetricKeyBytes) return Status::Corruption("wrapped key has the wrong size");
  return key;
}

Result<crypto::SecretBytes> UnwrapSealed(const Wrap& w, const crypto::BoxKeyPair& device,
                                         const Id& org_id, const Id128& case_id,
                                         const Id128& key_id) {
  if (w.type != WrapType::kSealed) return Status::Corruption("not a sealed wrap");
  FC_ASSIGN_OR_RETURN(
      crypto::SecretBytes key,
      crypto::OpenSealed(device, WrapContext(org_id, case_id, key_id, w.recipient), w.blob));
  if (key.size() != kSymmetricKeyBytes) return Status::Corruption("wrapped key has the wrong size");
  return key;
}

}  // namespace fieldcase::org
