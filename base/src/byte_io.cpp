#include "fieldcase/base/byte_io.h"

#include <stdexcept>

namespace fieldcase {

Status ByteReader::Bound(uint64_t n, uint64_t limit, uint64_t min_item_bytes,
                         const char* what) const {
  if (n > limit) {
    return Status::Corruption(std::string(what) + ": size " + std::to_string(n) +
                              " over the limit of " + std::to_string(limit));
  }
  // Division, not n * min_item_bytes: the product of a hostile n could wrap.
  if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
    return Status::Corruption(std::string(what) + ": size " + std::to_string(n) +
                              " larger than the " + std::to_string(remaining()) + " bytes left");
  }
  return Status::Ok();
}

Status ByteReader::Truncated(const char* what) {
  return Status::Corruption(std::string("truncated at ") + what);
}

Status ByteReader::Trailing(const char* what) const {
  return Status::Corruption(std::string(what) + ": " + std::to_string(remaining()) +
                            " trailing bytes");
}

void ByteWriter::Overflow() {
  throw std::length_error("ByteWriter: write past the end of its fixed storage");
}

}  // namespace fieldcase
