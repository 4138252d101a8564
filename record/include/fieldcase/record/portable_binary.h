// Strict Cereal PortableBinary reading and writing, shared by every payload codec in
// sync/ (data ops, key payloads, control payloads). Private to sync/.
//
// The layout is cereal's PortableBinary archive written little-endian: one endianness flag
// byte 0x01, then integers little-endian and byte strings as they are. Cereal's stream
// archives cost an std::istream / std::ostringstream (locale, dynamic_cast) per payload,
// more than decoding a note op itself, so the same bytes are read and written here
// directly over a byte span / a byte vector. tests/sync/ops_test.cpp pins the bytes.
//
// Cereal's own std::string / std::vector loaders resize to the size prefix before
// reading, so a hostile 2^62 prefix would allocate first; here every size is read as a
// u64 and bounded by a limit and by the bytes left before anything is allocated.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::record::strict {

inline constexpr uint8_t kLittleEndianFlag = 0x01;

class Reader {
 public:
  // `b` must begin with the little-endian flag; callers check it first (Decode, DecodeOp)
  // and report it with their own message. Throws std::invalid_argument otherwise, as a
  // guard: the callers turn exceptions into Corruption.
  explicit Reader(ByteView b) : p_(b.data()), end_(b.data() + b.size()) {
    if (b.empty() || b[0] != kLittleEndianFlag) {
      throw std::invalid_argument("no little-endian flag");
    }
    ++p_;
  }

  uint64_t remaining() const { return static_cast<uint64_t>(end_ - p_); }

  Status U8(uint8_t& v, const char* what) { return Prim(v, what); }
  Status U32(uint32_t& v, const char* what) { return Prim(v, what); }
  Status U64(uint64_t& v, const char* what) { return Prim(v, what); }
  template <size_t N>
  Status Fixed(Array<N>& a, const char* what) {
    if (remaining() < N) return Truncated(what);
    std::memcpy(a.data(), p_, N);
    p_ += N;
    return Status::Ok();
  }
  // A count or length, checked against its limit and against what the bytes left can hold.
  Status Count(uint64_t& n, uint64_t limit, uint64_t min_item_bytes, const char* what) {
    FC_RETURN_IF_ERROR(U64(n, what));
    if (n > limit) {
      return Status::Corruption(std::string(what) + ": size " + std::to_string(n) +
                                " over the limit of " + std::to_string(limit));
    }
    if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
      return Status::Corruption(std::string(what) + ": size " + std::to_string(n) +
                                " larger than the " + std::to_string(remaining()) +
                                " bytes left");
    }
    return Status::Ok();
  }
  Status Str(std::string& s, uint64_t limit, const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, limit, 1, what));
    s.assign(reinterpret_cast<const char*>(p_), size_t(n));
    p_ += n;
    return Status::Ok();
  }
  Status Blob(Bytes& b, uint64_t limit, const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, limit, 1, what));
    b.assign(p_, p_ + n);
    p_ += n;
    return Status::Ok();
  }
  Status Strs(std::vector<std::string>& v, uint64_t max_items, uint64_t max_len,
              const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, max_items, 8, what));
    v.resize(n);
    for (auto& s : v) FC_RETURN_IF_ERROR(Str(s, max_len, what));
    return Status::Ok();
  }
  Status Ids(std::vector<Id>& v, uint64_t max_items, const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, max_items, 32, what));
    v.resize(n);
    for (auto& id : v) {
      std::memcpy(id.data(), p_, id.size());
      p_ += id.size();
    }
    return Status::Ok();
  }
  Status End(const char* what) {
    if (remaining() == 0) return Status::Ok();
    return Status::Corruption(std::string(what) + ": " + std::to_string(remaining()) +
                              " trailing bytes");
  }

 private:
  template <typename T>
  Status Prim(T& v, const char* what) {
    if (remaining() < sizeof(T)) return Truncated(what);
    v = static_cast<T>(GetLE(p_, sizeof(T)));
    p_ += sizeof(T);
    return Status::Ok();
  }
  static Status Truncated(const char* what) {
    return Status::Corruption(std::string("truncated at ") + what);
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

// Writes the layout above; Sizer below counts the same bytes without writing them. Take()
// once, at the end.
class Writer {
 public:
  Writer() { buf_.push_back(kLittleEndianFlag); }
  // `expected` bytes (a Sizer's count) are reserved up front; only a hint.
  explicit Writer(uint64_t expected) {
    buf_.reserve(size_t(expected));
    buf_.push_back(kLittleEndianFlag);
  }

  void U8(uint8_t v) { buf_.push_back(v); }
  void U32(uint32_t v) { PutLE(buf_, v, 4); }
  void U64(uint64_t v) { PutLE(buf_, v, 8); }
  template <size_t N>
  void Fixed(const Array<N>& a) {
    Append(buf_, a);
  }
  void Str(const std::string& s) {
    U64(s.size());
    Append(buf_, AsBytes(s));
  }
  void Blob(ByteView b) {
    U64(b.size());
    Append(buf_, b);
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Ids(const std::vector<Id>& v) {
    U64(v.size());
    for (const auto& id : v) Append(buf_, id);
  }
  Bytes Take() { return std::move(buf_); }

 private:
  Bytes buf_;
};

// The size Writer would produce, flag included.
class Sizer {
 public:
  void U8(uint8_t) { n_ += 1; }
  void U32(uint32_t) { n_ += 4; }
  void U64(uint64_t) { n_ += 8; }
  template <size_t N>
  void Fixed(const Array<N>&) {
    n_ += N;
  }
  void Str(const std::string& s) { n_ += 8 + uint64_t(s.size()); }
  void Blob(ByteView b) { n_ += 8 + uint64_t(b.size()); }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Ids(const std::vector<Id>& v) { n_ += 8 + 32 * uint64_t(v.size()); }
  uint64_t size() const { return n_; }

 private:
  uint64_t n_ = 1;  // the flag
};

// Runs a decode with the first-byte check and exceptions turned into Corruption.
template <typename Fn>
Status Decode(ByteView bytes, const char* what, Fn&& body) {
  if (bytes.empty()) return Status::Corruption(std::string(what) + ": empty");
  if (bytes[0] != kLittleEndianFlag) {
    return Status::Corruption(std::string(what) + ": first byte is not the little-endian flag 0x01");
  }
  try {
    Reader r(bytes);
    FC_RETURN_IF_ERROR(body(r));
    return r.End(what);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + ": cannot decode: " + e.what());
  }
}

}  // namespace fieldcase::record::strict
