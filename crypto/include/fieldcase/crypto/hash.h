// Personalised BLAKE2b, the only hash fieldcase uses (DESIGN §4 "Hashes and tags").
//
//   hash = crypto_generichash_blake2b_salt_personal(out, outlen, msg, key,
//                                                   salt = 16 zero bytes,
//                                                   personal = ASCII name, zero-padded to 16)
//
// outlen 32 for Hash256, 16 for Hash128 (a separate parameter set, not a truncation).
// Names in use (docs/formats/entry.md keeps known answers): see HashName below.
#pragma once

#include <initializer_list>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

// Personalisation names. The strings are format constants: do not change.
namespace hashname {
inline constexpr std::string_view kOrg = "fc-org";
inline constexpr std::string_view kEntryId = "fc-entry-id";
inline constexpr std::string_view kPayload = "fc-payload";
inline constexpr std::string_view kCase = "fc-case";
inline constexpr std::string_view kKeyId = "fc-key-id";
inline constexpr std::string_view kEntry = "fc-entry";
inline constexpr std::string_view kCommit = "fc-commit";
inline constexpr std::string_view kKeyCheck = "fc-key-check";
inline constexpr std::string_view kWrap = "fc-wrap";
inline constexpr std::string_view kFingerprint = "fc-fingerprint";
inline constexpr std::string_view kHeads = "fc-heads";
inline constexpr std::string_view kOrgLog = "fc-orglog";
inline constexpr std::string_view kTranscript = "fc-transcript";
inline constexpr std::string_view kSession = "fc-session";
// Added by fieldcase beyond DESIGN's list (docs/merge.md): the case view digest.
inline constexpr std::string_view kView = "fc-view";
// Added for bundles (docs/formats/bundle.md): the content hash in a bundle manifest.
inline constexpr std::string_view kBundle = "fc-bundle";
}  // namespace hashname

// Incremental hasher for messages built from several parts.
class Hasher {
 public:
  // key may be empty (unkeyed) or 16..64 bytes. outlen is 16 or 32 (or 64 for kSession).
  Hasher(std::string_view personal, size_t outlen, ByteView key = {});
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  Hasher& Update(ByteView part);
  Hasher& UpdateU64(uint64_t v, size_t width = 8);  // little-endian at the given width
  void Final(std::span<uint8_t> out);

 private:
  alignas(64) unsigned char state_[384];
  size_t outlen_;
};

Id Hash256(std::string_view personal, std::initializer_list<ByteView> parts);
Id128 Hash128(std::string_view personal, std::initializer_list<ByteView> parts);
// Keyed BLAKE2b-256; the output is a secret (entry keys) so it comes back as one.
SecretBytes KeyedHash256(ByteView key, std::string_view personal,
                         std::initializer_list<ByteView> parts);
// The same into caller-provided (scratch) memory of 32 bytes.
void KeyedHash256Into(ByteView key, std::string_view personal,
                      std::initializer_list<ByteView> parts, std::span<uint8_t> out);

}  // namespace fieldcase::crypto
