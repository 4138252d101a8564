#include "fieldcase/crypto/aead.h"

#include <sodium.h>

#include <stdexcept>

namespace fieldcase::crypto {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kAeadKeyBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kAeadNonceBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kAeadTagBytes);

Bytes AeadEncrypt(const SecretBytes& key, const AeadNonce& nonce, ByteView plaintext, ByteView ad) {
  return AeadEncrypt(key.view(), nonce, plaintext, ad);
}

Bytes AeadEncrypt(ByteView key, const AeadNonce& nonce, ByteView plaintext, ByteView ad) {
  if (key.size() != kAeadKeyBytes) throw std::logic_error("AEAD key must be 32 bytes");
  Bytes out(plaintext.size() + kAeadTagBytes);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &n, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce.data(),
                                             key.data());
  out.resize(n);
  return out;
}

Status AeadDecryptInto(ByteView key, const AeadNonce& nonce, ByteView sealed, ByteView ad,
                       std::span<uint8_t> out) {
  if (key.size() != kAeadKeyBytes) throw std::logic_error("AEAD key must be 32 bytes");
  if (sealed.size() < kAeadTagBytes) return Status::Corruption("ciphertext shorter than its tag");
  if (out.size() != sealed.size() - kAeadTagBytes) throw std::logic_error("AEAD output size");
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.empty() ? nullptr : out.data(), &n, nullptr,
                                                 sealed.data(), sealed.size(), ad.data(), ad.size(),
                                                 nonce.data(), key.data()) != 0) {
    return Status::Corruption("decryption failed: wrong key or altered ciphertext");
  }
  return Status::Ok();
}

Result<SecretBytes> AeadDecrypt(const SecretBytes& key, const AeadNonce& nonce, ByteView sealed,
                                ByteView ad) {
  if (key.size() != kAeadKeyBytes) throw std::logic_error("AEAD key must be 32 bytes");
  if (sealed.size() < kAeadTagBytes) return Status::Corruption("ciphertext shorter than its tag");
  SecretBytes out(sealed.size() - kAeadTagBytes);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.empty() ? nullptr : out.data(), &n, nullptr,
                                                 sealed.data(), sealed.size(), ad.data(), ad.size(),
                                                 nonce.data(), key.data()) != 0) {
    return Status::Corruption("decryption failed: wrong key or altered ciphertext");
  }
  return out;
}

}  // namespace fieldcase::crypto
