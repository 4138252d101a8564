#include "fieldcase/crypto/secret.h"

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <new>
#include <utility>

namespace fieldcase::crypto {

bool Init() {
  // Core dumps would write unlocked keys and case content to disk.
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return sodium_init() >= 0;
}

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size == 0) return;
  data_ = static_cast<uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  sodium_memzero(data_, size);
}

SecretBytes SecretBytes::Random(size_t size) {
  SecretBytes s(size);
  randombytes_buf(s.data_, size);
  return s;
}

SecretBytes SecretBytes::CopyFrom(ByteView bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecretBytes::Release() {
  if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes before unmapping
  data_ = nullptr;
  size_ = 0;
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Wipe(void* p, size_t n) { sodium_memzero(p, n); }

void RandomBytes(std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); }

}  // namespace fieldcase::crypto
