// Strict Cereal PortableBinary reading and writing, shared by every payload codec in
// sync/ (data ops, key payloads, control payloads). Private to sync/.
//
// Cereal's own std::string / std::vector loaders resize to the size prefix before
// reading, so a hostile 2^62 prefix would allocate first; here every size is read as a
// u64 and bounded by a limit and by the bytes left before anything is allocated.
#pragma once

#include <cereal/archives/portable_binary.hpp>

#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "fieldcase/bytes.h"
#include "fieldcase/status.h"

namespace fieldcase::sync::strict {

inline constexpr uint8_t kLittleEndianFlag = 0x01;

// A read-only streambuf over the input, so nothing is copied and the bytes left are known.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(ByteView b) {
    // std::streambuf wants char*; input areas are never written through (no putback here).
    auto* p = const_cast<char*>(reinterpret_cast<const char*>(b.data()));
    setg(p, p, p + b.size());
  }
  uint64_t remaining() const { return static_cast<uint64_t>(egptr() - gptr()); }
};

class Reader {
 public:
  explicit Reader(ByteView b) : buf_(b), stream_(&buf_), ar_(stream_) {}

  uint64_t remaining() const { return buf_.remaining(); }

  Status U8(uint8_t& v, const char* what) { return Prim(v, what); }
  Status U32(uint32_t& v, const char* what) { return Prim(v, what); }
  Status U64(uint64_t& v, const char* what) { return Prim(v, what); }
  template <size_t N>
  Status Fixed(Array<N>& a, const char* what) {
    if (remaining() < N) return Truncated(what);
    ar_(cereal::binary_data(a.data(), N));
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
    s.resize(n);
    if (n != 0) ar_(cereal::binary_data(s.data(), n));
    return Status::Ok();
  }
  Status Blob(Bytes& b, uint64_t limit, const char* what) {
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(Count(n, limit, 1, what));
    b.resize(n);
    if (n != 0) ar_(cereal::binary_data(b.data(), n));
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
    for (auto& id : v) ar_(cereal::binary_data(id.data(), id.size()));
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
    ar_(v);
    return Status::Ok();
  }
  static Status Truncated(const char* what) {
    return Status::Corruption(std::string("truncated at ") + what);
  }

  ViewBuf buf_;
  std::istream stream_;
  cereal::PortableBinaryInputArchive ar_;  // reads the endianness flag on construction
};

class Writer {
 public:
  Writer() : ar_(os_, cereal::PortableBinaryOutputArchive::Options::LittleEndian()) {}

  void U8(uint8_t v) { ar_(v); }
  void U32(uint32_t v) { ar_(v); }
  void U64(uint64_t v) { ar_(v); }
  template <size_t N>
  void Fixed(const Array<N>& a) {
    ar_(cereal::binary_data(a.data(), N));
  }
  void Str(const std::string& s) {
    U64(s.size());
    if (!s.empty()) ar_(cereal::binary_data(s.data(), s.size()));
  }
  void Blob(ByteView b) {
    U64(b.size());
    if (!b.empty()) ar_(cereal::binary_data(b.data(), b.size()));
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Ids(const std::vector<Id>& v) {
    U64(v.size());
    for (const auto& id : v) ar_(cereal::binary_data(id.data(), id.size()));
  }
  Bytes Take() {
    const std::string s = os_.str();
    return Bytes(s.begin(), s.end());
  }

 private:
  std::ostringstream os_;
  cereal::PortableBinaryOutputArchive ar_;  // writes the endianness flag on construction
};

// Runs a decode with the first-byte check and cereal exceptions turned into Corruption.
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

}  // namespace fieldcase::sync::strict
