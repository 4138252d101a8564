// Enrolment files: the request a new device signs, and the response an administrator
// hands back. Both are carried by hand (USB stick, email to oneself); neither holds a
// secret in clear. docs/formats/enrolment.md.
//
// Request, version 2 (little-endian; version 1 is refused: make a new request):
//   offset size  field
//   0      4     magic "FCRQ"
//   4      1     version = 2
//   5      32    device signing key (ed25519)
//   37     32    device X25519 key (wraps are sealed to it)
//   69     32    box identity: the ed25519 key the X25519 key is derived from
//                (crypto_sign_ed25519_pk_to_curve25519(identity) must equal it)
//   101    64    ed25519 by the box identity over "fieldcase/v1/enrol-request\0" ‖
//                "FCBX" ‖ device signing key ‖ X25519 key: the device holds its X25519 key
//   165    2+n   name (u16 length, at most 256 bytes; printable text, base/text.h)
//   ..     2+n   badge (u16 length, at most 256 bytes; printable text)
//   ..     1     successor flag: 0 none; 1 a successor vouched for by its predecessor (a
//                restored or re-keyed device), followed by
//          32      the predecessor's signing key
//          8       its last seq on this device, and
//          32      its last id there (zero at seq 0)
//          64      ed25519 by the predecessor over "fieldcase/v1/enrol-request\0" ‖
//                  "FCSU" ‖ new signing key ‖ X25519 key ‖ predecessor ‖ last seq ‖ last id;
//                2 the successor of a lost device (no predecessor signature: the
//                administrator confirms it explicitly), followed by the 32-byte predecessor
//   ..     64    ed25519 by the device key over "fieldcase/v1/enrol-request\0" ‖ all bytes above
//
// Response, version 3 (versions 1 and 2 carried entry records in clear and are refused: ask
// for the response again, `org enrol --reissue`):
//   0      4     magic "FCEN"
//   4      1     version = 3
//   5      32    org_id
//   37     32    the enrolled device's signing key
//   69     4+n   directory key sealed to the device's X25519 key (n = 0: none), at most 256
//   ..     32    directory key check: BLAKE2b-256(key = directory key, "fc-key-check") of
//                the empty string (zero when none)
//   ..     8     bundle length (at most kMaxResponseBundleBytes), then the bundle: every
//                entry the administrator's node holds, as a bundle file encrypted to the
//                device's X25519 key alone and signed by the same administrator key
//                (sync/bundle.h, docs/formats/bundle.md)
//   ..     32    signer: the administrator's signing key (admin; root for an admin)
//   ..     64    ed25519 by the signer over "fieldcase/v1/enrol-response\0" ‖ every byte
//                above
// The signature makes the response all or nothing: a flipped, dropped, duplicated or
// reordered byte fails it, and so does a directory key sealed by anyone else. `join` opens
// the bundle through the one bundle reader and imports it through the one ingest path, and
// requires the signer to be an administrator of the org the entries found, every entry to
// be stored, and the directory key to match its check; else nothing is kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/sign.h"

namespace fieldcase::org {

// A response carries the whole log: bounded like a bundle (sync::kMaxBundleBytes).
inline constexpr uint64_t kMaxResponseBundleBytes = 1ull << 32;
inline constexpr size_t kMaxRequestBytes = 4096;
// The first bytes of each file: a reader checks them before it reads the rest.
inline constexpr std::string_view kRequestFileMagic = "FCRQ";
inline constexpr std::string_view kResponseFileMagic = "FCEN";

struct EnrolRequest {
  PublicKey signing_key{};
  PublicKey box_key{};
  PublicKey box_identity{};  // set by Encode from the identity key; checked by Decode
  std::string name;
  std::string badge;
  std::optional<PublicKey> successor_of;
  // Set when the predecessor signed the request: where its chain ends on the device.
  bool vouched = false;
  uint64_t predecessor_last_seq = 0;
  Id predecessor_last_id{};
};

// `predecessor`: the key this device's new key succeeds, which vouches for the request
// (flag 1); without it a request naming successor_of is a lost device's (flag 2).
// `box_identity`: the ed25519 key the device's X25519 key derives from (it signs too).
Bytes EncodeEnrolRequest(const EnrolRequest& r, const crypto::SigningKey& device,
                         const crypto::SigningKey& box_identity,
                         const crypto::SigningKey* predecessor = nullptr);
// Checks the layout and the device's signature.
Result<EnrolRequest> DecodeEnrolRequest(ByteView bytes);

struct EnrolResponse {
  Id org_id{};
  PublicKey device{};
  Bytes sealed_directory_key;
  Id directory_key_check{};  // zero when no directory key is sealed
  Bytes bundle;        // a bundle file sealed to the device (sync::OpenBundle opens it)
  PublicKey signer{};  // set by Encode from the key that signs
};

Bytes EncodeEnrolResponse(const EnrolResponse& r, const crypto::SigningKey& administrator);
// Checks the layout and the signature by the key the response names (who that key is, is
// for `join` to check against the entries and for people to compare by fingerprint).
Result<EnrolResponse> DecodeEnrolResponse(ByteView bytes);

// A request's own fingerprint: BLAKE2b-256("fc-fingerprint") of the whole request file,
// shortened like Fingerprint. A device that has not joined knows no org id yet, so this is
// what `enrol-request` and `org enrol` show for people to compare before anything is signed.
std::string RequestFingerprint(ByteView request);

// BLAKE2b-256("fc-fingerprint", org_id ‖ device key), shortened for reading aloud:
// 24 hex digits in groups of four, "3f2a-9c1b-…".
std::string Fingerprint(const Id& org_id, const PublicKey& device_key);
// BLAKE2b-256("fc-fingerprint", org_id), shortened the same way: the organisation read
// aloud (reports, status). 32 bytes hashed, so never equal to a device's or a request's.
std::string OrgFingerprint(const Id& org_id);

// Context bound to a sealed directory key.
Bytes DirectoryKeyContext(const Id& org_id, const PublicKey& device_box_key);

}  // namespace fieldcase::org
