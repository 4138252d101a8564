#include "fieldcase/base/byte_io.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

using namespace fieldcase;

// --- allocation probe ----------------------------------------------------------------------
// The point of the size checks is that a hostile prefix fails before anything is allocated
// for it; replacing operator new in this binary lets a test see the largest allocation.
namespace {
bool g_probe_on = false;
size_t g_largest_alloc = 0;

void* Allocate(size_t n) {
  if (g_probe_on && n > g_largest_alloc) g_largest_alloc = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

template <typename F>
size_t LargestAllocation(F&& f) {
  g_largest_alloc = 0;
  g_probe_on = true;
  f();
  g_probe_on = false;
  return g_largest_alloc;
}
}  // namespace

void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

constexpr uint64_t kLimit = 1024;

struct Sample {
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  Array<4> e{};
  std::string f;
  Bytes g;
};

Sample Filled() {
  return {0xA1, 0xB2C3, 0xD4E5F607, 0x0102030405060708ull, {9, 10, 11, 12}, "name", {0xEE, 0xFF}};
}

Bytes Write(const Sample& s) {
  ByteWriter w;
  w.U8(s.a);
  w.U16(s.b);
  w.U32(s.c);
  w.U64(s.d);
  w.Fixed(s.e);
  w.Str(s.f);
  w.Blob(s.g);
  return w.Take();
}

Status Read(ByteView in, Sample& s) {
  ByteReader r(in);
  FC_RETURN_IF_ERROR(r.U8(s.a, "a"));
  FC_RETURN_IF_ERROR(r.U16(s.b, "b"));
  FC_RETURN_IF_ERROR(r.U32(s.c, "c"));
  FC_RETURN_IF_ERROR(r.U64(s.d, "d"));
  FC_RETURN_IF_ERROR(r.Fixed(s.e, "e"));
  FC_RETURN_IF_ERROR(r.Str(s.f, kLimit, "f"));
  FC_RETURN_IF_ERROR(r.Blob(s.g, kLimit, "g"));
  return r.End("sample");
}

Bytes U64Prefix(uint64_t n) {
  ByteWriter w;
  w.U64(n);
  return w.Take();
}

}  // namespace

TEST_CASE("base: writer output is little-endian at fixed widths", "[base]") {
  const Bytes b = Write(Filled());
  const Bytes want = {
      0xA1,                                                                  // a
      0xC3, 0xB2,                                                            // b
      0x07, 0xF6, 0xE5, 0xD4,                                                // c
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,                        // d
      9,    10,   11,   12,                                                  // e
      4,    0,    0,    0,    0,    0,    0,    0,    'n',  'a',  'm', 'e',  // f
      2,    0,    0,    0,    0,    0,    0,    0,    0xEE, 0xFF,            // g
  };
  CHECK(b == want);
}

TEST_CASE("base: reader round-trips what the writer wrote", "[base]") {
  const Sample in = Filled();
  const Bytes b = Write(in);
  Sample out;
  REQUIRE(Read(b, out).ok());
  CHECK(out.a == in.a);
  CHECK(out.b == in.b);
  CHECK(out.c == in.c);
  CHECK(out.d == in.d);
  CHECK(out.e == in.e);
  CHECK(out.f == in.f);
  CHECK(out.g == in.g);

  // Extremes survive too: all-ones and empty strings.
  Sample edge;
  edge.a = 0xFF;
  edge.b = 0xFFFF;
  edge.c = 0xFFFFFFFF;
  edge.d = ~uint64_t{0};
  Sample back;
  REQUIRE(Read(Write(edge), back).ok());
  CHECK(back.d == edge.d);
  CHECK(back.c == edge.c);
  CHECK(back.f.empty());
  CHECK(back.g.empty());
}

TEST_CASE("base: truncation at every length fails and names the field", "[base]") {
  const Bytes b = Write(Filled());
  // Where each field starts, in the order written.
  struct Field {
    size_t at;
    const char* name;
  };
  const Field fields[] = {{0, "a"}, {1, "b"}, {3, "c"}, {7, "d"}, {15, "e"}, {19, "f"}, {31, "g"}};
  for (size_t len = 0; len < b.size(); ++len) {
    INFO("truncated to " << len << " of " << b.size());
    const char* expect = nullptr;
    for (const Field& f : fields) {
      if (f.at <= len) expect = f.name;
    }
    Sample s;
    const Status st = Read(ByteView(b).first(len), s);
    REQUIRE(st.IsCorruption());
    // A cut inside a fixed field is "truncated at"; one inside a string's bytes is caught
    // by the length check, which names the field first.
    const std::string& m = st.message();
    const bool named =
        m == std::string("truncated at ") + expect || m.rfind(std::string(expect) + ": ", 0) == 0;
    CHECK(named);
  }
}

TEST_CASE("base: messages follow the documented forms", "[base]") {
  uint32_t v = 0;
  const Bytes two = {1, 2};
  ByteReader short_input(two);
  CHECK_THAT(short_input.U32(v, "generation").message(), Equals("truncated at generation"));

  const Bytes over = U64Prefix(kLimit + 1);
  std::string s;
  ByteReader r1(over);
  CHECK_THAT(r1.Str(s, kLimit, "note text").message(),
             Equals("note text: size 1025 over the limit of 1024"));

  const Bytes beyond = U64Prefix(5);
  ByteReader r2(beyond);
  CHECK_THAT(r2.Str(s, kLimit, "tag").message(),
             Equals("tag: size 5 larger than the 0 bytes left"));

  const Bytes extra = {0, 0, 0};
  ByteReader r3(extra);
  uint8_t b = 0;
  REQUIRE(r3.U8(b, "flag").ok());
  CHECK_THAT(r3.End("fields").message(), Equals("fields: 2 trailing bytes"));
}

TEST_CASE("base: a 2^62 length prefix fails without allocating", "[base]") {
  Bytes b = U64Prefix(uint64_t{1} << 62);
  b.resize(b.size() + 16, 0x41);
  std::string s;
  Bytes blob;
  Status st_over, st_beyond, st_blob;
  const size_t largest = LargestAllocation([&] {
    // Over the caller limit.
    ByteReader r(b);
    st_over = r.Str(s, kLimit, "huge");
    // Under an absurd limit, but beyond the bytes left.
    ByteReader r2(b);
    st_beyond = r2.Str(s, ~uint64_t{0}, "huge");
    ByteReader r3(b);
    st_blob = r3.Blob(blob, ~uint64_t{0}, "huge");
  });
  CHECK(st_over.IsCorruption());
  CHECK(st_beyond.IsCorruption());
  CHECK(st_blob.IsCorruption());
  CHECK_THAT(st_over.message(), Contains("over the limit"));
  CHECK_THAT(st_beyond.message(), Contains("bytes left"));
  CHECK(s.empty());
  CHECK(blob.empty());
  // Only the error messages were allocated.
  CHECK(largest < 256);
}

TEST_CASE("base: counts are bounded by the limit and by the bytes items need", "[base]") {
  // 3 items of at least 8 bytes each need 24 bytes; 16 are left.
  Bytes b = U64Prefix(3);
  b.resize(b.size() + 16, 0);
  uint64_t n = 0;
  ByteReader r(b);
  const Status st = r.Count(n, 10, 8, "items");
  CHECK_THAT(st.message(), Equals("items: size 3 larger than the 16 bytes left"));

  ByteReader ok(b);
  REQUIRE(ok.Count(n, 10, 4, "items").ok());
  CHECK(n == 3);
  CHECK(ok.remaining() == 16);
  CHECK(ok.offset() == 8);

  ByteReader limited(b);
  CHECK_THAT(limited.Count(n, 2, 0, "items").message(),
             Equals("items: size 3 over the limit of 2"));

  // A min item size of zero skips the bytes-left bound (sizes in other widths, items
  // that may be empty).
  ByteReader any(b);
  CHECK(any.Count(n, 10, 0, "items").ok());

  // Bound on a size read in another width; the division cannot wrap.
  ByteReader bound(b);
  CHECK(bound.Bound(~uint64_t{0}, ~uint64_t{0}, 3, "w").IsCorruption());
  CHECK(bound.Bound(24, 24, 1, "w").ok());
  CHECK(bound.Bound(25, 24, 0, "w").IsCorruption());
}

TEST_CASE("base: Take is a view, Rest takes what is left", "[base]") {
  const Bytes b = {1, 2, 3, 4, 5};
  ByteReader r(b);
  ByteView v;
  REQUIRE(r.Take(2, v, "head").ok());
  CHECK(v.data() == b.data());
  CHECK(v.size() == 2);
  CHECK_THAT(r.Take(4, v, "body").message(), Equals("truncated at body"));
  CHECK(r.offset() == 2);  // a failed read consumes nothing
  ByteView rest = r.Rest();
  CHECK(rest.data() == b.data() + 2);
  CHECK(rest.size() == 3);
  CHECK(r.remaining() == 0);
  CHECK(r.End("all").ok());
  CHECK(r.Rest().empty());
}

TEST_CASE("base: writing in place fills fixed storage and refuses to overflow", "[base]") {
  Array<11> a{};
  ByteWriter w(a);
  w.U8(0x7F);
  w.U16(0x0201);
  w.U64(0x0807060504030201ull);
  CHECK(w.size() == 11);
  CHECK(a == Array<11>{0x7F, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(w.Take().empty());
  CHECK_THROWS_AS(w.U8(0), std::length_error);
  CHECK(a[10] == 8);  // the refused write left the storage alone

  // The same bytes as the growing writer.
  ByteWriter grow;
  grow.U8(0x7F);
  grow.U16(0x0201);
  grow.U64(0x0807060504030201ull);
  CHECK(grow.size() == 11);
  const Bytes g = grow.Take();
  CHECK(Bytes(a.begin(), a.end()) == g);
}
