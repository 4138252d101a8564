#include "fieldcase/org/enrolment.h"

#include <cstring>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/base/text.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/hash.h"

namespace fieldcase::org {

namespace {

constexpr const char* kRequestMagic = kRequestFileMagic.data();
constexpr const char* kResponseMagic = kResponseFileMagic.data();
constexpr uint8_t kRequestVersion = 2;
constexpr char kSuccessorMagic[4] = {'F', 'C', 'S', 'U'};
constexpr uint8_t kNoSuccessor = 0, kVouchedSuccessor = 1, kLostDeviceSuccessor = 2;
constexpr char kBoxMagic[4] = {'F', 'C', 'B', 'X'};

// What a box identity signs: the X25519 key it derives belongs to this device.
Bytes BoxStatement(const EnrolRequest& r) {
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kBoxMagic, 4)));
  w.Fixed(r.signing_key);
  w.Fixed(r.box_key);
  return w.Take();
}

// What a predecessor signs to vouch for its successor.
Bytes SuccessorStatement(const EnrolRequest& r) {
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kSuccessorMagic, 4)));
  w.Fixed(r.signing_key);
  w.Fixed(r.box_key);
  w.Fixed(*r.successor_of);
  w.U64(r.predecessor_last_seq);
  w.Fixed(r.predecessor_last_id);
  return w.Take();
}
constexpr uint8_t kResponseVersion = 3;  // 2: entry records in clear; 1: unsigned
constexpr size_t kMaxNameBytes = 256;

void PutStr16(ByteWriter& w, const std::string& s) {
  w.U16(uint16_t(s.size()));
  w.Raw(AsBytes(s));
}

// Every failure maps to the caller's one message, so the reader's own is dropped.
bool GetStr16(ByteReader& r, std::string& s, const char* what) {
  uint16_t n = 0;
  ByteView v;
  if (!r.U16(n, what).ok() || !r.Bound(n, kMaxNameBytes, 0, what).ok() ||
      !r.Take(n, v, what).ok()) {
    return false;
  }
  s.assign(AsChars(v));
  return true;
}

}  // namespace

Bytes EncodeEnrolRequest(const EnrolRequest& r, const crypto::SigningKey& device,
                         const crypto::SigningKey& box_identity,
                         const crypto::SigningKey* predecessor) {
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kRequestMagic, 4)));
  w.U8(kRequestVersion);
  w.Fixed(r.signing_key);
  w.Fixed(r.box_key);
  w.Fixed(box_identity.public_key());
  w.Fixed(box_identity.Sign(crypto::SignTag::kEnrolRequest, {BoxStatement(r)}));
  PutStr16(w, r.name.substr(0, kMaxNameBytes));
  PutStr16(w, r.badge.substr(0, kMaxNameBytes));
  if (!r.successor_of) {
    w.U8(kNoSuccessor);
  } else if (predecessor != nullptr) {
    w.U8(kVouchedSuccessor);
    w.Fixed(*r.successor_of);
    w.U64(r.predecessor_last_seq);
    w.Fixed(r.predecessor_last_id);
    w.Fixed(predecessor->Sign(crypto::SignTag::kEnrolRequest, {SuccessorStatement(r)}));
  } else {
    w.U8(kLostDeviceSuccessor);
    w.Fixed(*r.successor_of);
  }
  Bytes out = w.Take();
  Signature sig = device.Sign(crypto::SignTag::kEnrolRequest, {out});
  Append(out, sig);
  return out;
}

Result<EnrolRequest> DecodeEnrolRequest(ByteView bytes) {
  auto bad = [] {
    return Status::Corruption("not a valid fieldcase enrolment request (damaged or truncated)");
  };
  if (bytes.size() > kMaxRequestBytes || bytes.size() < 5 + 64 ||
      std::memcmp(bytes.data(), kRequestMagic, 4) != 0) {
    return bad();
  }
  if (bytes[4] < kRequestVersion) {
    return Status::Corruption(
        "enrolment request of an older version; make a new one with "
        "`fieldcase enrol-request`");
  }
  if (bytes[4] > kRequestVersion)
    return Status::NeedsUpgrade("enrolment request of a newer version; update fieldcase");
  EnrolRequest r;
  const ByteView signed_part = bytes.first(bytes.size() - 64);
  ByteReader c(signed_part);
  ByteView skip;
  uint8_t successor = 0;
  Signature box_sig{};
  if (!c.Take(5, skip, "magic and version").ok() || !c.Fixed(r.signing_key, "signing key").ok() ||
      !c.Fixed(r.box_key, "box key").ok() || !c.Fixed(r.box_identity, "box identity").ok() ||
      !c.Fixed(box_sig, "box signature").ok() || !GetStr16(c, r.name, "name") ||
      !GetStr16(c, r.badge, "badge") || !c.U8(successor, "successor flag").ok() ||
      successor > kLostDeviceSuccessor) {
    return bad();
  }
  Signature vouch{};
  if (successor != kNoSuccessor) {
    PublicKey old{};
    if (!c.Fixed(old, "successor of").ok()) return bad();
    r.successor_of = old;
  }
  if (successor == kVouchedSuccessor) {
    if (!c.U64(r.predecessor_last_seq, "last seq").ok() ||
        !c.Fixed(r.predecessor_last_id, "last id").ok() || !c.Fixed(vouch, "vouch").ok()) {
      return bad();
    }
    r.vouched = true;
  }
  if (!c.End("request").ok()) return bad();
  // Names and badges are shown on an administrator's screen: printable text only.
  if (!IsPrintableText(r.name) || !IsPrintableText(r.badge)) {
    return Status::Corruption(
        "the request's name or badge holds control characters or other unprintable text; "
        "refused (ask for a new request)");
  }
  ByteReader tail(bytes.subspan(signed_part.size()));
  Signature sig;
  if (!tail.Fixed(sig, "signature").ok()) return bad();
  if (!crypto::Verify(r.signing_key, crypto::SignTag::kEnrolRequest, {signed_part}, sig)) {
    return Status::Corruption("enrolment request signature does not verify; ask for a new one");
  }
  // The device holds its X25519 key: the key derives from the box identity, which signed.
  auto derived = crypto::BoxKeyOfIdentity(r.box_identity);
  if (!derived.ok() || *derived != r.box_key ||
      !crypto::Verify(r.box_identity, crypto::SignTag::kEnrolRequest, {BoxStatement(r)}, box_sig)) {
    return Status::Corruption(
        "the request's box key is not proven to be the device's own; "
        "refused (ask for a new request)");
  }
  if (r.vouched && !crypto::Verify(*r.successor_of, crypto::SignTag::kEnrolRequest,
                                   {SuccessorStatement(r)}, vouch)) {
    return Status::Corruption("the key this request succeeds did not sign it; refused");
  }
  return r;
}

Bytes EncodeEnrolResponse(const EnrolResponse& r, const crypto::SigningKey& administrator) {
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kResponseMagic, 4)));
  w.U8(kResponseVersion);
  w.Fixed(r.org_id);
  w.Fixed(r.device);
  w.U32(uint32_t(r.sealed_directory_key.size()));
  w.Raw(r.sealed_directory_key);
  w.Fixed(r.directory_key_check);
  w.U64(r.bundle.size());
  w.Raw(r.bundle);
  w.Fixed(administrator.public_key());
  Bytes out = w.Take();
  const Signature sig = administrator.Sign(crypto::SignTag::kEnrolResponse, {out});
  Append(out, sig);
  return out;
}

Result<EnrolResponse> DecodeEnrolResponse(ByteView bytes) {
  auto bad = [](const std::string& what) {
    return Status::Corruption("not a valid fieldcase enrolment response (" + what +
                              "); ask the administrator to export it again");
  };
  if (bytes.size() < 5 || std::memcmp(bytes.data(), kResponseMagic, 4) != 0) return bad("magic");
  if (bytes[4] < kResponseVersion) {
    return Status::Corruption(
        "enrolment response of an older version (entries in clear, or unsigned); ask the "
        "administrator to make it again (`fieldcase org enrol REQUEST --reissue`)");
  }
  if (bytes[4] > kResponseVersion)
    return Status::NeedsUpgrade("enrolment response of a newer version; update fieldcase");
  // The signature first: nothing of a response is read before it is known to be whole.
  constexpr size_t kTrailer = 32 + 64;
  if (bytes.size() < 5 + kTrailer) return bad("truncated");
  const ByteView signed_part = bytes.first(bytes.size() - 64);
  PublicKey signer{};
  Signature sig{};
  std::memcpy(signer.data(), bytes.data() + bytes.size() - kTrailer, signer.size());
  std::memcpy(sig.data(), bytes.data() + bytes.size() - 64, sig.size());
  if (!crypto::Verify(signer, crypto::SignTag::kEnrolResponse, {signed_part}, sig)) {
    return Status::Corruption(
        "the enrolment response's signature does not verify: it was "
        "damaged or altered; ask the administrator to export it again");
  }
  ByteReader c(bytes.subspan(5, bytes.size() - 5 - kTrailer));
  EnrolResponse r;
  uint32_t n = 0;
  uint64_t length = 0;
  ByteView v;
  if (!c.Fixed(r.org_id, "org id").ok() || !c.Fixed(r.device, "device").ok() ||
      !c.U32(n, "directory key").ok() || !c.Bound(n, 256, 0, "directory key").ok() ||
      !c.Take(n, v, "directory key").ok()) {
    return bad("header");
  }
  r.sealed_directory_key.assign(v.begin(), v.end());
  if (!c.Fixed(r.directory_key_check, "directory key check").ok()) return bad("header");
  r.signer = signer;
  if (!c.U64(length, "bundle length").ok() ||
      !c.Bound(length, kMaxResponseBundleBytes, 1, "bundle").ok() ||
      !c.Take(size_t(length), v, "bundle").ok()) {
    return bad("bundle length");
  }
  r.bundle.assign(v.begin(), v.end());
  if (!c.End("response").ok()) return bad("trailing bytes");
  return r;
}

namespace {
std::string Shortened(const Id& h) {
  std::string hex = ToHex(ByteView(h).first(12));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 4) {
    if (!out.empty()) out += '-';
    out += hex.substr(i, 4);
  }
  return out;
}
}  // namespace

std::string Fingerprint(const Id& org_id, const PublicKey& device_key) {
  return Shortened(crypto::Hash256(crypto::hashname::kFingerprint, {org_id, device_key}));
}

std::string OrgFingerprint(const Id& org_id) {
  return Shortened(crypto::Hash256(crypto::hashname::kFingerprint, {org_id}));
}

std::string RequestFingerprint(ByteView request) {
  return Shortened(crypto::Hash256(crypto::hashname::kFingerprint, {request}));
}

Bytes DirectoryKeyContext(const Id& org_id, const PublicKey& device_box_key) {
  return crypto::KeyWrapContext({org_id, AsBytes("directory"), device_box_key});
}

}  // namespace fieldcase::org
