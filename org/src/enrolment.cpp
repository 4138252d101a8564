#include "fieldcase/org/enrolment.h"

#include "fieldcase/crypto/hash.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

namespace {

constexpr char kRequestMagic[4] = {'F', 'C', 'R', 'Q'};
constexpr char kResponseMagic[4] = {'F', 'C', 'E', 'N'};
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxNameBytes = 256;
constexpr uint32_t kNoPayload = 0xFFFFFFFF;

// Bounded reads over a byte span: every length is checked against what is left.
class Cursor {
 public:
  explicit Cursor(ByteView b) : b_(b) {}
  size_t left() const { return b_.size() - off_; }
  size_t offset() const { return off_; }
  bool Take(size_t n, ByteView& out) {
    if (left() < n) return false;
    out = b_.subspan(off_, n);
    off_ += n;
    return true;
  }
  template <size_t N>
  bool Fixed(Array<N>& a) {
    ByteView v;
    if (!Take(N, v)) return false;
    std::memcpy(a.data(), v.data(), N);
    return true;
  }
  bool Int(size_t width, uint64_t& v) {
    ByteView x;
    if (!Take(width, x)) return false;
    v = GetLE(x.data(), width);
    return true;
  }

 private:
  ByteView b_;
  size_t off_ = 0;
};

void PutStr16(Bytes& out, const std::string& s) {
  PutLE(out, uint16_t(s.size()), 2);
  Append(out, AsBytes(s));
}

bool GetStr16(Cursor& c, std::string& s) {
  uint64_t n = 0;
  ByteView v;
  if (!c.Int(2, n) || n > kMaxNameBytes || !c.Take(n, v)) return false;
  s.assign(AsChars(v));
  return true;
}

}  // namespace

Bytes EncodeEnrolRequest(const EnrolRequest& r, const crypto::SigningKey& device) {
  Bytes out(kRequestMagic, kRequestMagic + 4);
  out.push_back(kVersion);
  Append(out, r.signing_key);
  Append(out, r.box_key);
  PutStr16(out, r.name.substr(0, kMaxNameBytes));
  PutStr16(out, r.badge.substr(0, kMaxNameBytes));
  out.push_back(r.successor_of ? 1 : 0);
  if (r.successor_of) Append(out, *r.successor_of);
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
  if (bytes[4] != kVersion) return Status::NeedsUpgrade("enrolment request of a newer version; update fieldcase");
  EnrolRequest r;
  Cursor c(bytes.first(bytes.size() - 64));
  ByteView skip;
  (void)c.Take(5, skip);
  uint64_t successor = 0;
  if (!c.Fixed(r.signing_key) || !c.Fixed(r.box_key) || !GetStr16(c, r.name) ||
      !GetStr16(c, r.badge) || !c.Int(1, successor) || successor > 1) {
    return bad();
  }
  if (successor == 1) {
    PublicKey old{};
    if (!c.Fixed(old)) return bad();
    r.successor_of = old;
  }
  if (c.left() != 0) return bad();
  Signature sig;
  std::memcpy(sig.data(), bytes.data() + bytes.size() - 64, 64);
  if (!crypto::Verify(r.signing_key, crypto::SignTag::kEnrolRequest,
                      {bytes.first(bytes.size() - 64)}, sig)) {
    return Status::Corruption("enrolment request signature does not verify; ask for a new one");
  }
  return r;
}

Bytes EncodeEnrolResponse(const EnrolResponse& r) {
  Bytes out(kResponseMagic, kResponseMagic + 4);
  out.push_back(kVersion);
  Append(out, r.org_id);
  Append(out, r.device);
  PutLE(out, uint32_t(r.sealed_directory_key.size()), 4);
  Append(out, r.sealed_directory_key);
  PutLE(out, uint64_t(r.entries.size()), 8);
  for (const auto& e : r.entries) {
    PutLE(out, uint16_t(e.header.size()), 2);
    Append(out, e.header);
    Append(out, e.signature);
    if (e.payload) {
      PutLE(out, uint32_t(e.payload->size()), 4);
      Append(out, *e.payload);
    } else {
      PutLE(out, kNoPayload, 4);
    }
  }
  return out;
}

Result<EnrolResponse> DecodeEnrolResponse(ByteView bytes) {
  auto bad = [](const std::string& what) {
    return Status::Corruption("not a valid fieldcase enrolment response (" + what +
                              "); ask the administrator to export it again");
  };
  if (bytes.size() < 5 || std::memcmp(bytes.data(), kResponseMagic, 4) != 0) return bad("magic");
  if (bytes[4] != kVersion) return Status::NeedsUpgrade("enrolment response of a newer version; update fieldcase");
  Cursor c(bytes.subspan(5));
  EnrolResponse r;
  uint64_t n = 0, count = 0;
  ByteView v;
  if (!c.Fixed(r.org_id) || !c.Fixed(r.device) || !c.Int(4, n) || n > 256 || !c.Take(n, v)) {
    return bad("header");
  }
  r.sealed_directory_key.assign(v.begin(), v.end());
  if (!c.Int(8, count) || count > kMaxResponseEntries) return bad("entry count");
  // Each entry needs at least 2 + 1 + 64 + 4 bytes: bound the reservation by what is left.
  if (count > c.left() / 71) return bad("entry count larger than the file");
  r.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    store::RawEntry e;
    uint64_t hlen = 0, plen = 0;
    if (!c.Int(2, hlen) || hlen == 0 || hlen > store::kMaxOpaqueHeaderBytes || !c.Take(hlen, v)) {
      return bad("entry " + std::to_string(i) + " header");
    }
    e.header.assign(v.begin(), v.end());
    if (!c.Fixed(e.signature) || !c.Int(4, plen)) return bad("entry " + std::to_string(i));
    if (plen != kNoPayload) {
      if (plen > store::kMaxPayloadBytes || !c.Take(plen, v)) {
        return bad("entry " + std::to_string(i) + " payload");
      }
      e.payload = Bytes(v.begin(), v.end());
    }
    r.entries.push_back(std::move(e));
  }
  if (c.left() != 0) return bad("trailing bytes");
  return r;
}

std::string Fingerprint(const Id& org_id, const PublicKey& device_key) {
  Id h = crypto::Hash256(crypto::hashname::kFingerprint, {org_id, device_key});
  std::string hex = ToHex(ByteView(h).first(12));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 4) {
    if (!out.empty()) out += '-';
    out += hex.substr(i, 4);
  }
  return out;
}

Bytes DirectoryKeyContext(const Id& org_id, const PublicKey& device_box_key) {
  Bytes c;
  Append(c, AsBytes(crypto::TagBytes(crypto::SignTag::kKeyWrap)));
  Append(c, org_id);
  Append(c, AsBytes("directory"));
  Append(c, device_box_key);
  return c;
}

}  // namespace fieldcase::org
