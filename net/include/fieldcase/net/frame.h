// Frames on a TCP connection (docs/formats/protocol.md, "Transport"): every message, in
// clear during the handshake and sealed after it, travels as
//
//   u32 length (little-endian, 1..kMaxFrameBytes) ‖ bytes
//
// The length is checked before anything is allocated: an oversize or empty frame ends the
// session. Pure functions, no sockets: the fuzz targets and tests drive them directly.
#pragma once

#include <optional>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::net {

// One batch of entries (at most ~1 MiB, or one entry of up to 16 MiB) sealed, plus slack.
inline constexpr uint32_t kMaxFrameBytes = (17u << 20) + 65536;
inline constexpr size_t kFrameHeaderBytes = 4;

Bytes EncodeFrame(ByteView payload);
// The length a frame header announces, refused when 0 or above `max`.
Result<uint32_t> DecodeFrameLength(ByteView header4, uint32_t max = kMaxFrameBytes);

// Frames out of a byte stream that arrives in pieces (tests and fuzzing; the session reads
// the header, then exactly the payload).
class FrameReader {
 public:
  explicit FrameReader(uint32_t max = kMaxFrameBytes) : max_(max) {}
  // Adds bytes; fails (and stays failed) on a bad length.
  Status Feed(ByteView bytes);
  std::optional<Bytes> Next();

 private:
  uint32_t max_;
  Bytes buffer_;
  size_t start_ = 0;
  Status failed_;
};

}  // namespace fieldcase::net
