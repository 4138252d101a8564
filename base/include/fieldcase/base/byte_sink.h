// Bytes written a piece at a time to a file or to memory: a bundle (up to 4 GiB) is written
// message by message and never sits in memory whole (the writer's side of byte_source.h).
#pragma once

#include <utility>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // All of `bytes`, after what was written before, or an error that says why not.
  virtual Status Write(ByteView bytes) = 0;
};

class MemorySink final : public ByteSink {
 public:
  Status Write(ByteView bytes) override {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }
  const Bytes& bytes() const { return bytes_; }
  Bytes Take() { return std::move(bytes_); }

 private:
  Bytes bytes_;
};

}  // namespace fieldcase
