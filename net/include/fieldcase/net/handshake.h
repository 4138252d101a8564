// The sync handshake (DESIGN §7, SIGMA / Noise-XX shape), pure: bytes in, bytes out, no
// sockets. docs/formats/protocol.md has the message table and the reasons.
//
//   msg1 I→R  u8 n (1..16) ‖ n offered versions (u8 each) ‖ e_I(32)
//   msg2 R→I  u8 chosen version ‖ e_R(32) ‖ AEAD(k_R, nonce 0, hello_R, ad = h_e)
//   msg3 I→R  AEAD(k_I, nonce 0, hello_I, ad = h_R)
//   hello     u32 n ‖ certificate (n ≤ kMaxCertificateBytes) ‖ org-log digest(32) ‖ sig(64)
//   certificate = signing key(32) ‖ u32 m ‖ m bytes: the entry record (store::PutRawEntry)
//                 of the enrolment that admitted the key, or m = 0
//
//   T(fields) = BLAKE2b-256("fc-transcript") over (u32 len ‖ field) for each field, then
//               org_id — org_id is never sent: another organisation fails the signatures
//   h_e = T(offered, e_I, chosen, e_R)
//   h_R = T(…, cert_R, orglog_R)      sig_R = ed25519 over "fieldcase/v1/handshake\0" ‖ "R" ‖ h_R
//   h_I = T(…, cert_I, orglog_I)      sig_I = ed25519 over "fieldcase/v1/handshake\0" ‖ "I" ‖ h_I
//   s   = X25519(e_I, e_R), refused when all zero
//   k_R ‖ k_I           = BLAKE2b-512("fc-session", key = s) of "handshake" ‖ h_e
//   key I→R ‖ key R→I   = BLAKE2b-512("fc-session", key = s) of "session" ‖ h_I
// Each side's first sealed session message is h_I (key confirmation); nothing is accepted
// before it. Whether the peer may sync (a current member, not revoked) is the caller's
// decision between the steps: the initiator after ReadResponse, the responder after
// ReadFinish, each refusing with one uniform message.
#pragma once

#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/crypto/sign.h"

namespace fieldcase::net {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint32_t kMaxCertificateBytes = 64 * 1024;
inline constexpr size_t kMaxHandshakeMessage = 2 * kMaxCertificateBytes;

// What a side says about itself.
struct Identity {
  const crypto::SigningKey* key = nullptr;
  Bytes certificate;  // key(32) ‖ u32 m ‖ enrolment entry record
  Id org_log_digest{};
};

// What a side learns about the other, its signature checked.
struct PeerHello {
  PublicKey key{};
  Bytes enrolment;  // the entry record from its certificate (may be empty)
  Id org_log_digest{};
};

struct SessionKeys {
  crypto::SecretBytes send, receive;
  Id transcript{};
};

Bytes MakeCertificate(const PublicKey& key, ByteView enrolment_record);

// The one refusal every failed check gives, whatever failed: unknown, unenrolled, revoked,
// another organisation, a bad signature or a damaged message.
Status Refused();

class Initiator {
 public:
  Initiator(const Id& org_id, Identity me);
  Bytes Hello();
  Result<PeerHello> ReadResponse(ByteView msg2);
  // msg3 and the session keys, once the caller has admitted the responder.
  Result<Bytes> Finish(SessionKeys& keys);

 private:
  Id org_id_;
  Identity me_;
  crypto::BoxKeyPair e_;
  std::vector<Bytes> fields_;
  crypto::SecretBytes shared_, k_i_;
  Id h_r_{};
  bool responded_ = false;
};

class Responder {
 public:
  Responder(const Id& org_id, Identity me);
  Result<Bytes> ReadHello(ByteView msg1);
  // The initiator's hello and the session keys; the caller then admits it or refuses.
  Result<PeerHello> ReadFinish(ByteView msg3, SessionKeys& keys);

 private:
  Id org_id_;
  Identity me_;
  crypto::BoxKeyPair e_;
  std::vector<Bytes> fields_;
  crypto::SecretBytes shared_, k_i_;
  Id h_r_{};
  bool hello_read_ = false;
};

}  // namespace fieldcase::net
