#include "fieldcase/net/handshake.h"

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/hash.h"

namespace fieldcase::net {

namespace {

constexpr uint8_t kMaxOffered = 16;

Id Transcript(const std::vector<Bytes>& fields, const Id& org_id) {
  crypto::Hasher h(crypto::hashname::kTranscript, 32);
  for (const auto& f : fields) h.UpdateU64(f.size(), 4).Update(f);
  h.Update(org_id);
  Id out{};
  h.Final(out);
  return out;
}

// BLAKE2b-512 keyed by the shared secret, split in two 32-byte keys.
std::pair<crypto::SecretBytes, crypto::SecretBytes> Derive(const crypto::SecretBytes& shared,
                                                           std::string_view label, const Id& h) {
  crypto::SecretBytes out(64);
  crypto::Hasher x(crypto::hashname::kSession, 64, shared.view());
  x.Update(AsBytes(label)).Update(h);
  x.Final(out.span());
  return {crypto::SecretBytes::CopyFrom(out.view().first(32)),
          crypto::SecretBytes::CopyFrom(out.view().subspan(32))};
}

Bytes One(uint8_t v) { return Bytes{v}; }

Bytes SealHello(const Identity& me, const crypto::SecretBytes& key, const Id& h_signed,
                const Id& ad, char who) {
  const Signature sig =
      me.key->Sign(crypto::SignTag::kHandshake, {AsBytes(std::string_view(&who, 1)), h_signed});
  ByteWriter w;
  w.U32(uint32_t(me.certificate.size()));
  w.Raw(me.certificate);
  w.Fixed(me.org_log_digest);
  w.Fixed(sig);
  return crypto::AeadEncrypt(key, crypto::AeadNonce{}, w.Take(), ad);
}

struct OpenedHello {
  Bytes certificate;
  PeerHello peer;
  Signature sig{};
};

Result<OpenedHello> OpenHello(const crypto::SecretBytes& key, ByteView sealed, const Id& ad) {
  auto plain = crypto::AeadDecrypt(key, crypto::AeadNonce{}, sealed, ad);
  if (!plain.ok()) return Refused();
  ByteReader r(plain->view());
  OpenedHello out;
  uint32_t n = 0;
  ByteView cert;
  if (!r.U32(n, "certificate").ok() || n < 36 || n > kMaxCertificateBytes ||
      !r.Take(n, cert, "certificate").ok() || !r.Fixed(out.peer.org_log_digest, "digest").ok() ||
      !r.Fixed(out.sig, "signature").ok() || !r.End("hello").ok()) {
    return Refused();
  }
  out.certificate.assign(cert.begin(), cert.end());
  ByteReader c(cert);
  uint32_t m = 0;
  ByteView enrolment;
  if (!c.Fixed(out.peer.key, "key").ok() || !c.U32(m, "enrolment").ok() ||
      !c.Take(m, enrolment, "enrolment").ok() || !c.End("certificate").ok()) {
    return Refused();
  }
  out.peer.enrolment.assign(enrolment.begin(), enrolment.end());
  return out;
}

bool Verify(const OpenedHello& o, const Id& h_signed, char who) {
  return crypto::Verify(o.peer.key, crypto::SignTag::kHandshake,
                        {AsBytes(std::string_view(&who, 1)), h_signed}, o.sig);
}

}  // namespace

Bytes MakeCertificate(const PublicKey& key, ByteView enrolment_record) {
  ByteWriter w;
  w.Fixed(key);
  w.U32(uint32_t(enrolment_record.size()));
  w.Raw(enrolment_record);
  return w.Take();
}

Status Refused() {
  return Status::NotPermitted(
      "the peer refused this device or could not be verified (unknown, not enrolled, revoked, "
      "or another organisation); check `fieldcase status` on both sides");
}

Initiator::Initiator(const Id& org_id, Identity me)
    : org_id_(org_id), me_(std::move(me)), e_(crypto::BoxKeyPair::Generate()) {}

Bytes Initiator::Hello() {
  fields_ = {One(kProtocolVersion), Bytes(e_.public_key().begin(), e_.public_key().end())};
  ByteWriter w;
  w.U8(1);
  w.U8(kProtocolVersion);
  w.Fixed(e_.public_key());
  return w.Take();
}

Result<PeerHello> Initiator::ReadResponse(ByteView msg2) {
  if (fields_.size() != 2 || responded_) return Refused();
  ByteReader r(msg2);
  uint8_t chosen = 0;
  PublicKey e_r{};
  if (!r.U8(chosen, "version").ok() || chosen != kProtocolVersion || !r.Fixed(e_r, "e_R").ok()) {
    return Refused();
  }
  auto shared = crypto::SharedSecret(e_, e_r);
  if (!shared.ok()) return Refused();
  shared_ = std::move(shared).value();
  fields_.push_back(One(chosen));
  fields_.emplace_back(e_r.begin(), e_r.end());
  const Id h_e = Transcript(fields_, org_id_);
  auto [k_r, k_i] = Derive(shared_, "handshake", h_e);
  k_i_ = std::move(k_i);
  FC_ASSIGN_OR_RETURN(OpenedHello hello, OpenHello(k_r, r.Rest(), h_e));
  fields_.push_back(hello.certificate);
  fields_.emplace_back(hello.peer.org_log_digest.begin(), hello.peer.org_log_digest.end());
  h_r_ = Transcript(fields_, org_id_);
  if (!Verify(hello, h_r_, 'R')) return Refused();
  responded_ = true;
  return hello.peer;
}

Result<Bytes> Initiator::Finish(SessionKeys& keys) {
  if (!responded_) return Refused();
  fields_.push_back(me_.certificate);
  fields_.emplace_back(me_.org_log_digest.begin(), me_.org_log_digest.end());
  const Id h_i = Transcript(fields_, org_id_);
  Bytes msg3 = SealHello(me_, k_i_, h_i, h_r_, 'I');
  auto [to_r, to_i] = Derive(shared_, "session", h_i);
  keys.send = std::move(to_r);
  keys.receive = std::move(to_i);
  keys.transcript = h_i;
  return msg3;
}

Responder::Responder(const Id& org_id, Identity me)
    : org_id_(org_id), me_(std::move(me)), e_(crypto::BoxKeyPair::Generate()) {}

Result<Bytes> Responder::ReadHello(ByteView msg1) {
  if (hello_read_) return Refused();
  ByteReader r(msg1);
  uint8_t n = 0;
  ByteView offered;
  PublicKey e_i{};
  if (!r.U8(n, "versions").ok() || n == 0 || n > kMaxOffered ||
      !r.Take(n, offered, "versions").ok() || !r.Fixed(e_i, "e_I").ok() || !r.End("hello").ok()) {
    return Refused();
  }
  bool ours = false;
  for (uint8_t v : offered) ours |= v == kProtocolVersion;
  if (!ours) {
    return Status::NeedsUpgrade("the peer speaks another sync protocol version; update fieldcase");
  }
  auto shared = crypto::SharedSecret(e_, e_i);
  if (!shared.ok()) return Refused();
  shared_ = std::move(shared).value();
  fields_ = {Bytes(offered.begin(), offered.end()), Bytes(e_i.begin(), e_i.end()),
             One(kProtocolVersion), Bytes(e_.public_key().begin(), e_.public_key().end())};
  const Id h_e = Transcript(fields_, org_id_);
  auto [k_r, k_i] = Derive(shared_, "handshake", h_e);
  k_i_ = std::move(k_i);
  fields_.push_back(me_.certificate);
  fields_.emplace_back(me_.org_log_digest.begin(), me_.org_log_digest.end());
  h_r_ = Transcript(fields_, org_id_);
  ByteWriter w;
  w.U8(kProtocolVersion);
  w.Fixed(e_.public_key());
  w.Raw(SealHello(me_, k_r, h_r_, h_e, 'R'));
  hello_read_ = true;
  return w.Take();
}

Result<PeerHello> Responder::ReadFinish(ByteView msg3, SessionKeys& keys) {
  if (!hello_read_ || fields_.size() != 6) return Refused();
  FC_ASSIGN_OR_RETURN(OpenedHello hello, OpenHello(k_i_, msg3, h_r_));
  fields_.push_back(hello.certificate);
  fields_.emplace_back(hello.peer.org_log_digest.begin(), hello.peer.org_log_digest.end());
  const Id h_i = Transcript(fields_, org_id_);
  if (!Verify(hello, h_i, 'I')) return Refused();
  auto [to_r, to_i] = Derive(shared_, "session", h_i);
  keys.send = std::move(to_i);
  keys.receive = std::move(to_r);
  keys.transcript = h_i;
  return hello.peer;
}

}  // namespace fieldcase::net
