#include "fieldcase/crypto/box.h"

#include <sodium.h>

namespace fieldcase::crypto {

static_assert(crypto_box_PUBLICKEYBYTES == sizeof(PublicKey));
static_assert(crypto_box_SECRETKEYBYTES == 32);

BoxKeyPair BoxKeyPair::Generate() {
  BoxKeyPair k;
  k.secret_ = SecretBytes(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(k.public_.data(), k.secret_.data());
  return k;
}

Result<BoxKeyPair> BoxKeyPair::FromSecret(ByteView secret32) {
  if (secret32.size() != crypto_box_SECRETKEYBYTES) {
    return Status::InvalidArgument("X25519 secret must be 32 bytes");
  }
  BoxKeyPair k;
  k.secret_ = SecretBytes::CopyFrom(secret32);
  crypto_scalarmult_base(k.public_.data(), k.secret_.data());
  return k;
}

BoxKeyPair BoxKeyPair::FromIdentity(const SigningKey& identity) {
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  PublicKey pk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), identity.seed().data());
  BoxKeyPair k;
  k.secret_ = SecretBytes(crypto_box_SECRETKEYBYTES);
  crypto_sign_ed25519_sk_to_curve25519(k.secret_.data(), sk.data());
  crypto_scalarmult_base(k.public_.data(), k.secret_.data());
  return k;
}

Result<PublicKey> BoxKeyOfIdentity(const PublicKey& identity) {
  PublicKey out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), identity.data()) != 0) {
    return Status::Corruption("the box identity key is not a usable ed25519 key");
  }
  return out;
}

Bytes KeyWrapContext(std::initializer_list<ByteView> parts) {
  Bytes c;
  Append(c, AsBytes(TagBytes(SignTag::kKeyWrap)));
  for (ByteView p : parts) Append(c, p);
  return c;
}

Result<Bytes> SealTo(const PublicKey& recipient, ByteView context, ByteView secret) {
  SecretBytes inner(context.size() + secret.size());
  if (!context.empty()) std::memcpy(inner.data(), context.data(), context.size());
  if (!secret.empty()) std::memcpy(inner.data() + context.size(), secret.data(), secret.size());
  Bytes out(inner.size() + crypto_box_SEALBYTES);
  if (!IsUsableBoxKey(recipient) ||
      crypto_box_seal(out.data(), inner.data(), inner.size(), recipient.data()) != 0) {
    return Status::InvalidArgument("cannot seal to that X25519 key (all zero or of low order)");
  }
  return out;
}

Result<SecretBytes> SharedSecret(const BoxKeyPair& mine, const PublicKey& theirs) {
  SecretBytes out(crypto_scalarmult_BYTES);
  // libsodium returns -1 when the result is all zero.
  if (crypto_scalarmult(out.data(), mine.secret().data(), theirs.data()) != 0 ||
      sodium_is_zero(out.data(), out.size())) {
    return Status::Corruption("key exchange with a low-order point");
  }
  return out;
}

bool IsUsableBoxKey(const PublicKey& key) {
  static_assert(sizeof(PublicKey) == crypto_scalarmult_BYTES);
  if (sodium_is_zero(key.data(), key.size())) return false;
  // X25519 with any scalar gives all zero for a point of low order; libsodium refuses it.
  unsigned char scalar[crypto_scalarmult_SCALARBYTES];
  unsigned char out[crypto_scalarmult_BYTES];
  randombytes_buf(scalar, sizeof scalar);
  const bool ok = crypto_scalarmult(out, scalar, key.data()) == 0;
  sodium_memzero(scalar, sizeof scalar);
  sodium_memzero(out, sizeof out);
  return ok;
}

Result<SecretBytes> OpenSealed(const BoxKeyPair& keys, ByteView context, ByteView sealed) {
  if (sealed.size() < crypto_box_SEALBYTES + context.size()) {
    return Status::Corruption("sealed box too short");
  }
  SecretBytes inner(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(inner.data(), sealed.data(), sealed.size(), keys.public_key().data(),
                           keys.secret().data()) != 0) {
    return Status::Corruption("sealed box does not open with this device's key");
  }
  if (!ConstantTimeEqual({inner.data(), context.size()}, context)) {
    return Status::Corruption("sealed box was made for another context");
  }
  return SecretBytes::CopyFrom({inner.data() + context.size(), inner.size() - context.size()});
}

}  // namespace fieldcase::crypto
