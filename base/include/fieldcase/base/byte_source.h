// Bytes read a piece at a time from a file or from memory: a bundle (up to 4 GiB) is read
// message by message this way and never sits in memory whole. Every read is of a length
// the caller has already bounded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly out.size() bytes from `offset`; Corruption when the source ends first.
  virtual Status ReadAt(uint64_t offset, std::span<uint8_t> out) = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(ByteView bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset) {
      return Status::Corruption("truncated: " + std::to_string(out.size()) + " bytes wanted at " +
                                std::to_string(offset) + " of " + std::to_string(bytes_.size()));
    }
    std::copy_n(bytes_.begin() + long(offset), out.size(), out.begin());
    return Status::Ok();
  }

 private:
  ByteView bytes_;
};

}  // namespace fieldcase
