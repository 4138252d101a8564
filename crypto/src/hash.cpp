#include "fieldcase/crypto/hash.h"

#include <sodium.h>

#include <stdexcept>

namespace fieldcase::crypto {

static_assert(sizeof(crypto_generichash_blake2b_state) <= 384);
static_assert(crypto_generichash_blake2b_PERSONALBYTES == 16);
static_assert(crypto_generichash_blake2b_SALTBYTES == 16);

namespace {
crypto_generichash_blake2b_state* State(unsigned char* raw) {
  return reinterpret_cast<crypto_generichash_blake2b_state*>(raw);
}
}  // namespace

Hasher::Hasher(std::string_view personal, size_t outlen, ByteView key) : outlen_(outlen) {
  if (personal.size() > 16) throw std::logic_error("hash personalisation longer than 16 bytes");
  unsigned char salt[16] = {0};
  unsigned char pers[16] = {0};
  std::memcpy(pers, personal.data(), personal.size());
  if (crypto_generichash_blake2b_init_salt_personal(
          State(state_), key.empty() ? nullptr : key.data(), key.size(), outlen, salt, pers) != 0) {
    throw std::logic_error("BLAKE2b init rejected its parameters");
  }
}

Hasher::~Hasher() { sodium_memzero(state_, sizeof state_); }

Hasher& Hasher::Update(ByteView part) {
  crypto_generichash_blake2b_update(State(state_), part.data(), part.size());
  return *this;
}

Hasher& Hasher::UpdateU64(uint64_t v, size_t width) {
  uint8_t buf[8];
  for (size_t i = 0; i < width; ++i) buf[i] = uint8_t(v >> (8 * i));
  return Update({buf, width});
}

void Hasher::Final(std::span<uint8_t> out) {
  if (out.size() != outlen_) throw std::logic_error("hash output size mismatch");
  crypto_generichash_blake2b_final(State(state_), out.data(), out.size());
}

Id Hash256(std::string_view personal, std::initializer_list<ByteView> parts) {
  Hasher h(personal, 32);
  for (auto p : parts) h.Update(p);
  Id out;
  h.Final(out);
  return out;
}

Id128 Hash128(std::string_view personal, std::initializer_list<ByteView> parts) {
  Hasher h(personal, 16);
  for (auto p : parts) h.Update(p);
  Id128 out;
  h.Final(out);
  return out;
}

SecretBytes KeyedHash256(ByteView key, std::string_view personal,
                         std::initializer_list<ByteView> parts) {
  Hasher h(personal, 32, key);
  for (auto p : parts) h.Update(p);
  SecretBytes out(32);
  h.Final(out.span());
  return out;
}

}  // namespace fieldcase::crypto

namespace fieldcase::crypto {

void KeyedHash256Into(ByteView key, std::string_view personal,
                      std::initializer_list<ByteView> parts, std::span<uint8_t> out) {
  Hasher h(personal, 32, key);
  for (auto p : parts) h.Update(p);
  h.Final(out);
}

}  // namespace fieldcase::crypto
