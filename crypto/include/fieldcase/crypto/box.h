// Sealed boxes to X25519 keys with a bound context (DESIGN §4 key wraps).
//
//   sealed = crypto_box_seal(context ‖ secret, recipient_pk)
//
// The context (for key wraps: "fieldcase/v1/key-wrap\0" ‖ org_id ‖ case_id ‖ key_id ‖
// recipient) travels inside the box; Open checks it in constant time, so a wrap lifted
// into another case, key or org fails to open.
#pragma once

#include <initializer_list>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/crypto/sign.h"

namespace fieldcase::crypto {

class BoxKeyPair {
 public:
  static BoxKeyPair Generate();
  static Result<BoxKeyPair> FromSecret(ByteView secret32);
  // The X25519 pair of an ed25519 "box identity" key (libsodium's documented conversion).
  // A device's box key is made this way, so its enrolment request can prove it holds the
  // X25519 secret by a signature of the identity key (docs/formats/enrolment.md).
  static BoxKeyPair FromIdentity(const SigningKey& identity);
  BoxKeyPair(BoxKeyPair&&) noexcept = default;
  BoxKeyPair& operator=(BoxKeyPair&&) noexcept = default;
  const PublicKey& public_key() const { return public_; }
  ByteView secret() const { return secret_.view(); }

 private:
  BoxKeyPair() = default;
  SecretBytes secret_;
  PublicKey public_{};
};

// Fails for a recipient that is all zero or of low order (crypto_box_seal refuses it):
// nothing is ever "sealed" to a key no one can open.
// The X25519 public key of an ed25519 public key; fails for a point of small order or a
// non-canonical encoding.
Result<PublicKey> BoxKeyOfIdentity(const PublicKey& identity);

// A key wrap's context: "fieldcase/v1/key-wrap\0" ‖ the parts in order (the org id, what
// the key is for, the recipient's key). Every sealed key is sealed under one.
Bytes KeyWrapContext(std::initializer_list<ByteView> parts);
Result<Bytes> SealTo(const PublicKey& recipient, ByteView context, ByteView secret);
// Whether a sealed box to this X25519 key can be made: not all zero, not of low order.
bool IsUsableBoxKey(const PublicKey& key);
Result<SecretBytes> OpenSealed(const BoxKeyPair& keys, ByteView context, ByteView sealed);
// X25519(mine, theirs) for a key exchange (the sync handshake). Fails closed for an
// all-zero result (a low-order point from the peer): no session under a known secret.
Result<SecretBytes> SharedSecret(const BoxKeyPair& mine, const PublicKey& theirs);

}  // namespace fieldcase::crypto
