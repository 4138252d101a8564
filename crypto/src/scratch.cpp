#include "fieldcase/crypto/scratch.h"

#include <sodium.h>

namespace fieldcase::crypto {

namespace {
struct Region {
  SecretBytes bytes;
  bool in_use = false;
};
thread_local Region region;
}  // namespace

Scratch::Scratch(size_t size) : size_(size) {
  if (!region.in_use) {
    if (region.bytes.size() < size) {
      // Grow geometrically so a few sizes settle quickly.
      size_t cap = region.bytes.size() ? region.bytes.size() : 4096;
      while (cap < size) cap *= 2;
      region.bytes = SecretBytes(cap);
    }
    region.in_use = true;
    borrowed_ = true;
    data_ = region.bytes.data();
    return;
  }
  own_ = SecretBytes(size);
  data_ = own_.data();
}

Scratch::~Scratch() {
  if (data_ != nullptr && size_ > 0) sodium_memzero(data_, size_);
  if (borrowed_) region.in_use = false;
}

}  // namespace fieldcase::crypto
