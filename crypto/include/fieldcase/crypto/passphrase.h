// Passphrases: a strength rule, and sealing a secret blob under a passphrase with
// Argon2id (crypto_pwhash) + XChaCha20-Poly1305.
//
// Sealed blob, version 1 (little-endian):
//   offset size  field
//   0      4     magic "FCPW"
//   4      1     version = 1
//   5      8     opslimit
//   13     8     memlimit (bytes)
//   21     16    salt
//   37     24    nonce
//   61     n+16  XChaCha20-Poly1305(key = Argon2id(passphrase, salt), ad = bytes 0..61)
// The header is associated data, so cost parameters cannot be lowered undetected.
#pragma once

#include <string>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

// Argon2id cost. kModerate (256 MiB, three passes) is the default for every real store;
// kInsecureFast (8 MiB, one pass: `init --insecure-fast-kdf`) exists for tests and is
// recorded in the blob (status calls it WEAK).
enum class KdfCost { kInsecureFast, kModerate };

// Empty string when acceptable, else a one-line reason naming the rule.
std::string PassphraseWeakness(std::string_view passphrase);

Bytes SealWithPassphrase(const SecretBytes& passphrase, ByteView secret, KdfCost cost);
// WrongPassphrase when the tag fails; Corruption when the blob is malformed.
Result<SecretBytes> OpenWithPassphrase(const SecretBytes& passphrase, ByteView blob);
// The cost recorded in a blob (for status output), or an error if malformed.
Result<KdfCost> BlobCost(ByteView blob);

}  // namespace fieldcase::crypto
