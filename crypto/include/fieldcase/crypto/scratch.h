// Short-lived secrets on hot paths (per-entry keys, padded plaintext) without a
// sodium_malloc per use: each thread keeps one sodium_malloc'd region, reuses it, and
// wipes what it used when the Scratch goes out of scope. sodium_malloc costs ~25 µs
// (mmap, mprotect, mlock), more than the cryptography of an entry.
#pragma once

#include <cstddef>
#include <span>

#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

class Scratch {
 public:
  // A zero-filled secret area of `size` bytes, valid until this object dies. A nested
  // Scratch on the same thread gets its own fresh allocation.
  explicit Scratch(size_t size);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::span<uint8_t> span() { return {data_, size_}; }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  SecretBytes own_;  // used only when nested
  bool borrowed_ = false;
};

}  // namespace fieldcase::crypto
