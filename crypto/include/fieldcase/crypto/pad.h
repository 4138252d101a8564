// ISO/IEC 7816-4 padding (sodium_pad) to a multiple of a block size, so value lengths do
// not show through ciphertext lengths. Data payloads use 64-byte blocks.
#pragma once

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

inline constexpr size_t kPadBlock = 64;

SecretBytes Pad(ByteView plaintext, size_t block = kPadBlock);
// The padded size of n bytes: the next multiple of block strictly above n.
inline size_t PaddedSize(size_t n, size_t block = kPadBlock) { return (n / block + 1) * block; }
// Pads into caller-provided memory of exactly PaddedSize(plaintext.size()) bytes.
void PadInto(ByteView plaintext, std::span<uint8_t> out, size_t block = kPadBlock);
// Fails (Corruption) if the padding is malformed.
Result<size_t> UnpaddedLength(ByteView padded, size_t block = kPadBlock);

}  // namespace fieldcase::crypto
