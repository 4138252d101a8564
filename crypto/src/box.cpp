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

Bytes SealTo(const PublicKey& recipient, ByteView context, ByteView secret) {
  SecretBytes inner(context.size() + secret.size());
  if (!context.empty()) std::memcpy(inner.data(), context.data(), context.size());
  if (!secret.empty()) std::memcpy(inner.data() + context.size(), secret.data(), secret.size());
  Bytes out(inner.size() + crypto_box_SEALBYTES);
  crypto_box_seal(out.data(), inner.data(), inner.size(), recipient.data());
  return out;
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
