// The one bounded byte reader/writer every hand-written codec uses.
//
// - Little-endian, fixed widths: the bytes are signed or hashed, so each has one reading.
// - Every read is bounded by the bytes that remain; nothing reads past the end.
// - A size or count read from the input is checked against a caller limit (and against
//   what the remaining bytes can hold) BEFORE anything is allocated for it, so a hostile
//   2^62 prefix costs nothing.
// - Errors are Status::Corruption naming the field: "truncated at <what>",
//   "<what>: size N over the limit of L", "<what>: N trailing bytes".
//   Codecs with their own user-facing messages map these to theirs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase {

class ByteReader {
 public:
  explicit ByteReader(ByteView b) : b_(b) {}

  size_t remaining() const { return b_.size() - off_; }
  size_t offset() const { return off_; }

  Status U8(uint8_t& v, const char* what) { return Int(v, what); }
  Status U16(uint16_t& v, const char* what) { return Int(v, what); }
  Status U32(uint32_t& v, const char* what) { return Int(v, what); }
  Status U64(uint64_t& v, const char* what) { return Int(v, what); }

  template <size_t N>
  Status Fixed(Array<N>& a, const char* what) {
    ByteView v;
    FC_RETURN_IF_ERROR(Take(N, v, what));
    std::copy(v.begin(), v.end(), a.begin());
    return Status::Ok();
  }
  // A view into the input, not a copy: it lives as long as the input does.
  Status Take(size_t n, ByteView& out, const char* what) {
    if (remaining() < n) return Truncated(what);
    out = b_.subspan(off_, n);
    off_ += n;
    return Status::Ok();
  }
  // Everything left (for a trailing ciphertext); never fails.
  ByteView Rest() {
    ByteView out = b_.subspan(off_);
    off_ = b_.size();
    return out;
  }

  // Checks a size already read (in whatever width the format uses) against `limit` and,
  // when items take at least `min_item_bytes` each, against what the bytes left can hold.
  Status Bound(uint64_t n, uint64_t limit, uint64_t min_item_bytes, const char* what) const;
  // A u64 count or length prefix, bounded as above.
  Status Count(uint64_t& n, uint64_t limit, uint64_t min_item_bytes, const char* what) {
    FC_RETURN_IF_ERROR(U64(n, what));
    return Bound(n, limit, min_item_bytes, what);
  }
  // A u64 length prefix and that many bytes.
  Status Str(std::string& s, uint64_t limit, const char* what) {
    ByteView v;
    FC_RETURN_IF_ERROR(Sized(v, limit, what));
    s.assign(AsChars(v));
    return Status::Ok();
  }
  Status Blob(Bytes& b, uint64_t limit, const char* what) {
    ByteView v;
    FC_RETURN_IF_ERROR(Sized(v, limit, what));
    b.assign(v.begin(), v.end());
    return Status::Ok();
  }

  Status End(const char* what) const {
    if (remaining() == 0) return Status::Ok();
    return Trailing(what);
  }

 private:
  template <typename T>
  Status Int(T& v, const char* what) {
    if (remaining() < sizeof(T)) return Truncated(what);
    v = static_cast<T>(GetLE(b_.data() + off_, sizeof(T)));
    off_ += sizeof(T);
    return Status::Ok();
  }
  Status Sized(ByteView& v, uint64_t limit, const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, limit, 1, what));
    return Take(size_t(n), v, what);
  }
  // Out of line: building a message is the cold path.
  static Status Truncated(const char* what);
  Status Trailing(const char* what) const;

  ByteView b_;
  size_t off_ = 0;
};

// Appends to a vector it owns, or writes in place into fixed storage (a stack array, or
// sodium memory for secrets, which must never pass through a std::vector).
class ByteWriter {
 public:
  ByteWriter() = default;
  // `reserve` is only a hint.
  explicit ByteWriter(size_t reserve) { buf_.reserve(reserve); }
  // In place: writing past the end of `fixed` is a programmer error and throws.
  explicit ByteWriter(std::span<uint8_t> fixed) : fixed_(fixed), in_place_(true) {}

  void U8(uint8_t v) { Int(v); }
  void U16(uint16_t v) { Int(v); }
  void U32(uint32_t v) { Int(v); }
  void U64(uint64_t v) { Int(v); }
  template <size_t N>
  void Fixed(const Array<N>& a) {
    Raw(a);
  }
  void Raw(ByteView b) {
    if (!in_place_) {
      Append(buf_, b);
      return;
    }
    if (fixed_.size() - at_ < b.size()) Overflow();
    std::copy(b.begin(), b.end(), fixed_.begin() + static_cast<std::ptrdiff_t>(at_));
    at_ += b.size();
  }
  // u64 length prefix, then the bytes.
  void Str(std::string_view s) { Blob(AsBytes(s)); }
  void Blob(ByteView b) {
    U64(b.size());
    Raw(b);
  }

  size_t size() const { return in_place_ ? at_ : buf_.size(); }
  // The owned bytes; call once, at the end. Empty when writing in place.
  Bytes Take() { return std::move(buf_); }

 private:
  template <typename T>
  void Int(T v) {
    Array<sizeof(T)> le;
    for (size_t i = 0; i < sizeof(T); ++i) le[i] = static_cast<uint8_t>(uint64_t(v) >> (8 * i));
    Raw(le);
  }
  [[noreturn]] static void Overflow();

  Bytes buf_;
  std::span<uint8_t> fixed_;
  size_t at_ = 0;
  bool in_place_ = false;
};

}  // namespace fieldcase
