#include "fieldcase/net/frame.h"

namespace fieldcase::net {

Bytes EncodeFrame(ByteView payload) {
  Bytes out;
  out.reserve(kFrameHeaderBytes + payload.size());
  PutLE(out, uint32_t(payload.size()));
  Append(out, payload);
  return out;
}

Result<uint32_t> DecodeFrameLength(ByteView header4, uint32_t max) {
  if (header4.size() != kFrameHeaderBytes) return Status::Corruption("frame header cut short");
  const uint64_t n = GetLE(header4.data(), kFrameHeaderBytes);
  if (n == 0) return Status::Corruption("empty frame");
  if (n > max) return Status::Corruption("frame of " + std::to_string(n) + " bytes, above the limit");
  return uint32_t(n);
}

Status FrameReader::Feed(ByteView bytes) {
  if (!failed_.ok()) return failed_;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  // Check the next header as soon as it is whole, before more is buffered.
  if (buffer_.size() - start_ >= kFrameHeaderBytes) {
    auto n = DecodeFrameLength(ByteView(buffer_).subspan(start_, kFrameHeaderBytes), max_);
    if (!n.ok()) failed_ = n.status();
  }
  return failed_;
}

std::optional<Bytes> FrameReader::Next() {
  if (!failed_.ok() || buffer_.size() - start_ < kFrameHeaderBytes) return std::nullopt;
  auto n = DecodeFrameLength(ByteView(buffer_).subspan(start_, kFrameHeaderBytes), max_);
  if (!n.ok()) {
    failed_ = n.status();
    return std::nullopt;
  }
  if (buffer_.size() - start_ - kFrameHeaderBytes < *n) return std::nullopt;
  const auto first = buffer_.begin() + long(start_ + kFrameHeaderBytes);
  Bytes frame(first, first + *n);
  start_ += kFrameHeaderBytes + *n;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > (1u << 20)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + long(start_));
    start_ = 0;
  }
  // Check the header after this frame too, so a bad length fails at once.
  if (buffer_.size() - start_ >= kFrameHeaderBytes) {
    auto next = DecodeFrameLength(ByteView(buffer_).subspan(start_, kFrameHeaderBytes), max_);
    if (!next.ok()) failed_ = next.status();
  }
  return frame;
}

}  // namespace fieldcase::net
