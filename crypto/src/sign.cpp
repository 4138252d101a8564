#include "fieldcase/crypto/sign.h"

#include <sodium.h>

#include <stdexcept>

namespace fieldcase::crypto {

static_assert(crypto_sign_PUBLICKEYBYTES == sizeof(PublicKey));
static_assert(crypto_sign_BYTES == sizeof(Signature));
static_assert(crypto_sign_SEEDBYTES == 32);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

std::string_view TagBytes(SignTag tag) {
  using namespace std::string_view_literals;
  switch (tag) {
    case SignTag::kEntry:
      return "fieldcase/v1/entry\0"sv;
    case SignTag::kHandshake:
      return "fieldcase/v1/handshake\0"sv;
    case SignTag::kEnrolResponse:
      return "fieldcase/v1/enrol-response\0"sv;
    case SignTag::kEnrolRequest:
      return "fieldcase/v1/enrol-request\0"sv;
    case SignTag::kBundleManifest:
      return "fieldcase/v1/bundle-manifest\0"sv;
    case SignTag::kKeyWrap:
      return "fieldcase/v1/key-wrap\0"sv;
    case SignTag::kReceipt:
      return "fieldcase/v1/receipt\0"sv;
    case SignTag::kReport:
      return "fieldcase/v1/verify-report\0"sv;
  }
  throw std::logic_error("unknown signature tag");
}

namespace {
// Ed25519 signs the whole message in one pass; parts are joined once, in ordinary memory:
// they are public (headers, transcripts), never secrets.
Bytes Message(SignTag tag, std::initializer_list<ByteView> parts) {
  Bytes m;
  size_t n = TagBytes(tag).size();
  for (auto p : parts) n += p.size();
  m.reserve(n);
  Append(m, AsBytes(TagBytes(tag)));
  for (auto p : parts) Append(m, p);
  return m;
}
}  // namespace

SigningKey SigningKey::Generate() {
  SigningKey k;
  k.secret_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(k.public_.data(), k.secret_.data());
  return k;
}

Result<SigningKey> SigningKey::FromSeed(ByteView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return Status::InvalidArgument("signing key seed must be 32 bytes");
  }
  SigningKey k;
  k.secret_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), seed.data());
  return k;
}

Signature SigningKey::Sign(SignTag tag, std::initializer_list<ByteView> parts) const {
  Bytes m = Message(tag, parts);
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, m.data(), m.size(), secret_.data());
  return sig;
}

bool Verify(const PublicKey& pk, SignTag tag, std::initializer_list<ByteView> parts,
            const Signature& sig) {
  Bytes m = Message(tag, parts);
  return crypto_sign_verify_detached(sig.data(), m.data(), m.size(), pk.data()) == 0;
}

}  // namespace fieldcase::crypto
