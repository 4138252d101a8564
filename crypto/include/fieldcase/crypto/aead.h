// XChaCha20-Poly1305 (IETF), 32-byte key, 24-byte nonce, 16-byte tag.
//   sealed = ciphertext ‖ tag   (same length as plaintext + 16)
#pragma once

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;
using AeadNonce = Array<kAeadNonceBytes>;

Bytes AeadEncrypt(const SecretBytes& key, const AeadNonce& nonce, ByteView plaintext, ByteView ad);
// Plaintext lands in secret memory: it may be case content or a key.
Result<SecretBytes> AeadDecrypt(const SecretBytes& key, const AeadNonce& nonce, ByteView sealed,
                                ByteView ad);
// Span forms for hot paths: the key and the plaintext live in caller-provided secret
// (scratch) memory. `out` must hold sealed.size() - 16 bytes.
Bytes AeadEncrypt(ByteView key, const AeadNonce& nonce, ByteView plaintext, ByteView ad);
[[nodiscard]] Status AeadDecryptInto(ByteView key, const AeadNonce& nonce, ByteView sealed,
                                     ByteView ad, std::span<uint8_t> out);

}  // namespace fieldcase::crypto
