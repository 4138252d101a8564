// Byte containers and little-endian integer helpers shared by every codec.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fieldcase {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
template <size_t N>
using Array = std::array<uint8_t, N>;

using Id = Array<32>;     // entry ids, hashes
using Id128 = Array<16>;  // case ids, key ids
using PublicKey = Array<32>;
using Signature = Array<64>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

template <typename T>
inline void PutLE(Bytes& out, T v, size_t width = sizeof(T)) {
  for (size_t i = 0; i < width; ++i) out.push_back(static_cast<uint8_t>(uint64_t(v) >> (8 * i)));
}
inline uint64_t GetLE(const uint8_t* p, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

template <size_t N>
inline bool IsZero(const Array<N>& a) {
  uint8_t acc = 0;
  for (auto b : a) acc |= b;
  return acc == 0;
}

std::string ToHex(ByteView b);
inline std::string ToHex(std::string_view s) { return ToHex(AsBytes(s)); }
template <size_t N>
std::string ToHex(const Array<N>& a) {
  return ToHex(ByteView(a));
}
// Returns false on odd length or a non-hex digit.
bool FromHex(std::string_view hex, Bytes& out);
template <size_t N>
bool FromHex(std::string_view hex, Array<N>& out) {
  Bytes b;
  if (hex.size() != 2 * N || !FromHex(hex, b)) return false;
  std::memcpy(out.data(), b.data(), N);
  return true;
}

}  // namespace fieldcase
