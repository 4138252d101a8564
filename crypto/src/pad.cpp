#include "fieldcase/crypto/pad.h"

#include <sodium.h>

#include <stdexcept>

namespace fieldcase::crypto {

void PadInto(ByteView plaintext, std::span<uint8_t> out, size_t block) {
  if (out.size() != PaddedSize(plaintext.size(), block)) throw std::logic_error("pad size");
  if (!plaintext.empty()) std::memcpy(out.data(), plaintext.data(), plaintext.size());
  size_t padded = 0;
  sodium_pad(&padded, out.data(), plaintext.size(), block, out.size());
}

SecretBytes Pad(ByteView plaintext, size_t block) {
  // sodium_pad always adds at least one byte, so the padded size is the next multiple
  // strictly above the length.
  size_t padded_max = (plaintext.size() / block + 1) * block;
  SecretBytes out(padded_max);
  if (!plaintext.empty()) std::memcpy(out.data(), plaintext.data(), plaintext.size());
  size_t padded = 0;
  sodium_pad(&padded, out.data(), plaintext.size(), block, padded_max);
  return out;
}

Result<size_t> UnpaddedLength(ByteView padded, size_t block) {
  size_t len = 0;
  if (padded.empty() || padded.size() % block != 0 ||
      sodium_unpad(&len, padded.data(), padded.size(), block) != 0) {
    return Status::Corruption("malformed padding");
  }
  return len;
}

}  // namespace fieldcase::crypto
