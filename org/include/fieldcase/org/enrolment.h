// Enrolment files: the request a new device signs, and the response an administrator
// hands back. Both are carried by hand (USB stick, email to oneself); neither holds a
// secret in clear. docs/formats/enrolment.md.
//
// Request, version 1 (little-endian):
//   offset size  field
//   0      4     magic "FCRQ"
//   4      1     version = 1
//   5      32    device signing key (ed25519)
//   37     32    device X25519 key (wraps are sealed to it)
//   69     2+n   name (u16 length, at most 256 bytes)
//   ..     2+n   badge (u16 length, at most 256 bytes)
//   ..     1     successor flag: 0, or 1 followed by the 32-byte key this device's new
//                key succeeds (a restored or re-keyed device)
//   ..     64    ed25519 by the device key over "fieldcase/v1/enrol-request\0" ‖ all bytes above
//
// Response, version 1:
//   0      4     magic "FCEN"
//   4      1     version = 1
//   5      32    org_id
//   37     32    the enrolled device's signing key
//   69     4+n   directory key sealed to the device's X25519 key (n = 0: none), at most 256
//   ..     8     entry count (at most kMaxResponseEntries), then per entry:
//                  u16 header length (at most 4096) ‖ header ‖ signature(64) ‖
//                  u32 payload length (0xFFFFFFFF: not held; at most 16 MiB) ‖ payload
// Nothing in the response is trusted for being in it: every entry is verified on import.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::org {

inline constexpr uint64_t kMaxResponseEntries = 10'000'000;
inline constexpr size_t kMaxRequestBytes = 4096;

struct EnrolRequest {
  PublicKey signing_key{};
  PublicKey box_key{};
  std::string name;
  std::string badge;
  std::optional<PublicKey> successor_of;
};

Bytes EncodeEnrolRequest(const EnrolRequest& r, const crypto::SigningKey& device);
// Checks the layout and the device's signature.
Result<EnrolRequest> DecodeEnrolRequest(ByteView bytes);

struct EnrolResponse {
  Id org_id{};
  PublicKey device{};
  Bytes sealed_directory_key;
  std::vector<store::RawEntry> entries;
};

Bytes EncodeEnrolResponse(const EnrolResponse& r);
Result<EnrolResponse> DecodeEnrolResponse(ByteView bytes);

// BLAKE2b-256("fc-fingerprint", org_id ‖ device key), shortened for reading aloud:
// 24 hex digits in groups of four, "3f2a-9c1b-…".
std::string Fingerprint(const Id& org_id, const PublicKey& device_key);

// Context bound to a sealed directory key.
Bytes DirectoryKeyContext(const Id& org_id, const PublicKey& device_box_key);

}  // namespace fieldcase::org
