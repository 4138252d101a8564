// Ed25519 identities with domain-separated signatures (DESIGN §4).
//
//   signed message = tag ‖ "\0" ‖ context-bytes…
//
// Every tag ends in one NUL and none is a prefix of another, so a signature made for
// one purpose never verifies for another. The tag strings are format constants.
#pragma once

#include <initializer_list>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

// Do not change: each value's string is inside every signature of that purpose.
enum class SignTag : uint8_t {
  kEntry = 1,
  kHandshake = 2,
  kEnrolRequest = 3,
  kBundleManifest = 4,
  kKeyWrap = 5,
  kReceipt = 6,
  kEnrolResponse = 7,  // not in DESIGN's list: see docs/formats/enrolment.md
  kReport = 8,         // not in DESIGN's list: see docs/formats/report.md
};
// The tag bytes including the trailing NUL, e.g. "fieldcase/v1/entry\0".
std::string_view TagBytes(SignTag tag);

class SigningKey {
 public:
  static SigningKey Generate();
  // From a 32-byte seed (keystore, known-answer tests). Fails on wrong size.
  static Result<SigningKey> FromSeed(ByteView seed);
  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;

  const PublicKey& public_key() const { return public_; }
  // The 32-byte seed, for sealing into the keystore.
  ByteView seed() const { return {secret_.data(), 32}; }
  Signature Sign(SignTag tag, std::initializer_list<ByteView> parts) const;

 private:
  SigningKey() = default;
  SecretBytes secret_;  // libsodium's 64-byte secret key (seed ‖ public)
  PublicKey public_{};
};

[[nodiscard]] bool Verify(const PublicKey& pk, SignTag tag, std::initializer_list<ByteView> parts,
                          const Signature& sig);

}  // namespace fieldcase::crypto
