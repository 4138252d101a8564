#include "fieldcase/crypto/passphrase.h"

#include <sodium.h>

#include <cctype>

#include "fieldcase/crypto/aead.h"

namespace fieldcase::crypto {

namespace {
constexpr char kMagic[4] = {'F', 'C', 'P', 'W'};
constexpr uint8_t kVersion = 1;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr size_t kHeaderBytes = 4 + 1 + 8 + 8 + kSaltBytes + kAeadNonceBytes;
static_assert(kSaltBytes == 16);
static_assert(kHeaderBytes == 61);

// The --insecure-fast-kdf cost: one pass over 8 MiB. It exists so that tests, which
// unlock in every CLI process, do not spend most of their time in Argon2id; `status`
// calls a store sealed at it WEAK. Stores from builds that used INTERACTIVE (64 MiB, two
// passes) here still open, inside the bounds below.
constexpr uint64_t kFastOps = 1;
constexpr uint64_t kFastMem = uint64_t{8} << 20;

// Bounds on what a blob may ask of us: a tampered file must not make unlock take hours
// or allocate the machine's memory. The floor is the least any fieldcase seals with; it
// does not guard against a lowered cost (the header is authenticated: see the format).
constexpr uint64_t kMinOps = kFastOps;
constexpr uint64_t kMaxOps = crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr uint64_t kMinMem = kFastMem;
constexpr uint64_t kMaxMem = crypto_pwhash_MEMLIMIT_SENSITIVE;
static_assert(kMinOps >= crypto_pwhash_OPSLIMIT_MIN && kMinMem >= crypto_pwhash_MEMLIMIT_MIN);

void CostParams(KdfCost cost, uint64_t& ops, uint64_t& mem) {
  if (cost == KdfCost::kModerate) {
    ops = crypto_pwhash_OPSLIMIT_MODERATE;
    mem = crypto_pwhash_MEMLIMIT_MODERATE;
  } else {
    ops = kFastOps;
    mem = kFastMem;
  }
}

Result<SecretBytes> DeriveKey(const SecretBytes& passphrase, const uint8_t* salt, uint64_t ops,
                              uint64_t mem) {
  SecretBytes key(kAeadKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::IOError("not enough memory for Argon2id; close other programs and retry");
  }
  return key;
}
}  // namespace

std::string PassphraseWeakness(std::string_view p) {
  if (p.size() < 12) {
    return "passphrase too short: use at least 12 characters (a few words work well)";
  }
  bool lower = false, upper = false, digit = false, other = false;
  size_t distinct = 0;
  bool seen[256] = {false};
  for (unsigned char c : p) {
    lower |= std::islower(c) != 0;
    upper |= std::isupper(c) != 0;
    digit |= std::isdigit(c) != 0;
    other |= !std::isalnum(c);
    if (!seen[c]) {
      seen[c] = true;
      ++distinct;
    }
  }
  int classes = int(lower) + int(upper) + int(digit) + int(other);
  if (distinct < 6) return "passphrase too repetitive: use at least 6 different characters";
  if (p.size() < 20 && classes < 3) {
    return "passphrase too simple: under 20 characters it needs three of lower case, upper "
           "case, digits and symbols";
  }
  return {};
}

Bytes SealWithPassphrase(const SecretBytes& passphrase, ByteView secret, KdfCost cost) {
  uint64_t ops = 0, mem = 0;
  CostParams(cost, ops, mem);
  Bytes blob(kMagic, kMagic + 4);
  blob.reserve(kHeaderBytes + secret.size() + kAeadTagBytes);
  blob.push_back(kVersion);
  PutLE(blob, ops, 8);
  PutLE(blob, mem, 8);
  Array<kSaltBytes> salt = RandomArray<kSaltBytes>();
  AeadNonce nonce = RandomArray<kAeadNonceBytes>();
  Append(blob, salt);
  Append(blob, nonce);
  auto key = DeriveKey(passphrase, salt.data(), ops, mem);
  if (!key.ok()) throw std::bad_alloc();
  Bytes sealed = AeadEncrypt(*key, nonce, secret, ByteView(blob.data(), kHeaderBytes));
  Append(blob, sealed);
  return blob;
}

namespace {
Status ParseHeader(ByteView blob, uint64_t& ops, uint64_t& mem) {
  if (blob.size() < kHeaderBytes + kAeadTagBytes || std::memcmp(blob.data(), kMagic, 4) != 0) {
    return Status::Corruption("not a fieldcase sealed secret");
  }
  if (blob[4] != kVersion) return Status::Corruption("unsupported sealed-secret version");
  ops = GetLE(blob.data() + 5, 8);
  mem = GetLE(blob.data() + 13, 8);
  if (ops < kMinOps || ops > kMaxOps || mem < kMinMem || mem > kMaxMem) {
    return Status::Corruption("sealed secret has out-of-range Argon2id parameters");
  }
  return Status::Ok();
}
}  // namespace

Result<SecretBytes> OpenWithPassphrase(const SecretBytes& passphrase, ByteView blob) {
  uint64_t ops = 0, mem = 0;
  FC_RETURN_IF_ERROR(ParseHeader(blob, ops, mem));
  FC_ASSIGN_OR_RETURN(SecretBytes key, DeriveKey(passphrase, blob.data() + 21, ops, mem));
  AeadNonce nonce;
  std::memcpy(nonce.data(), blob.data() + 37, nonce.size());
  auto plain = AeadDecrypt(key, nonce, blob.subspan(kHeaderBytes), blob.first(kHeaderBytes));
  if (!plain.ok()) return Status::WrongPassphrase("wrong passphrase");
  return plain;
}

Result<KdfCost> BlobCost(ByteView blob) {
  uint64_t ops = 0, mem = 0;
  FC_RETURN_IF_ERROR(ParseHeader(blob, ops, mem));
  return mem >= crypto_pwhash_MEMLIMIT_MODERATE ? KdfCost::kModerate : KdfCost::kInsecureFast;
}

}  // namespace fieldcase::crypto
