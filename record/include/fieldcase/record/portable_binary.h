// Strict Cereal PortableBinary reading and writing, shared by every payload codec in
// sync/ (data ops, key payloads, control payloads). Private to sync/.
//
// The layout is cereal's PortableBinary archive written little-endian: one endianness flag
// byte 0x01, then integers little-endian and byte strings as they are. Cereal's stream
// archives cost an std::istream / std::ostringstream (locale, dynamic_cast) per payload,
// more than decoding a note op itself, so the same bytes are read and written here
// directly over a byte span / a byte vector. tests/record/ops_test.cpp pins the bytes.
//
// Cereal's own std::string / std::vector loaders resize to the size prefix before
// reading, so a hostile 2^62 prefix would allocate first; here every size is read as a
// u64 and bounded by a limit and by the bytes left before anything is allocated. The
// bounded reading and writing are base's ByteReader / ByteWriter; this adds the flag byte
// and cereal's vector layouts (u64 count, then the items).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::record::strict {

inline constexpr uint8_t kLittleEndianFlag = 0x01;

class Reader : public ByteReader {
 public:
  // `b` must begin with the little-endian flag; callers check it first (Decode, DecodeOp)
  // and report it with their own message. Throws std::invalid_argument otherwise, as a
  // guard: the callers turn exceptions into Corruption.
  explicit Reader(ByteView b) : ByteReader(AfterFlag(b)) {}

  Status Strs(std::vector<std::string>& v, uint64_t max_items, uint64_t max_len, const char* what) {
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
    for (auto& id : v) FC_RETURN_IF_ERROR(Fixed(id, what));
    return Status::Ok();
  }

 private:
  static ByteView AfterFlag(ByteView b) {
    if (b.empty() || b[0] != kLittleEndianFlag) {
      throw std::invalid_argument("no little-endian flag");
    }
    return b.subspan(1);
  }
};

// Writes the layout above; Sizer below counts the same bytes without writing them. Take()
// once, at the end.
class Writer : public ByteWriter {
 public:
  Writer() { U8(kLittleEndianFlag); }
  // `expected` bytes (a Sizer's count) are reserved up front; only a hint.
  explicit Writer(uint64_t expected) : ByteWriter(size_t(expected)) { U8(kLittleEndianFlag); }

  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Ids(const std::vector<Id>& v) {
    U64(v.size());
    for (const auto& id : v) Fixed(id);
  }
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
    return Status::Corruption(std::string(what) +
                              ": first byte is not the little-endian flag 0x01");
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
