// Secrets live in sodium_malloc'd pages (guard pages, mlock'd where allowed) and are
// wiped when freed. Copying is explicit (Clone) so a secret never multiplies by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::crypto {

// Initialises libsodium and turns core dumps off for this process. Idempotent;
// call once at the start of main() and of every test binary (tests call it through
// fixtures). Returns false if libsodium cannot initialise (no entropy source).
[[nodiscard]] bool Init();

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);  // zero-filled
  static SecretBytes Random(size_t size);
  static SecretBytes CopyFrom(ByteView bytes);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return CopyFrom(view()); }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_, size_}; }
  std::span<uint8_t> span() { return {data_, size_}; }

 private:
  void Release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Constant-time equality for equal-length inputs; false if lengths differ.
[[nodiscard]] bool ConstantTimeEqual(ByteView a, ByteView b);

// Overwrites ordinary memory that briefly held a secret (e.g. a std::string
// passphrase read from a file) before it is freed.
void Wipe(void* p, size_t n);

void RandomBytes(std::span<uint8_t> out);
template <size_t N>
Array<N> RandomArray() {
  Array<N> a;
  RandomBytes(a);
  return a;
}

}  // namespace fieldcase::crypto
