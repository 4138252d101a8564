#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>

using namespace fieldcase;
using namespace fieldcase::record;

// --- allocation probe ----------------------------------------------------------------------
// Replaces the plain (non-aligned) global operator new/delete of this test binary, so that
// tests can assert the largest single allocation DecodeOp made. All variants go to
// malloc/free so sanitizers see matching pairs.
namespace {
bool g_probe_on = false;
size_t g_largest_alloc = 0;

void* Allocate(size_t n) {
  if (g_probe_on && n > g_largest_alloc) g_largest_alloc = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

// Runs f with the probe on and returns the largest single allocation it made.
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

Id MakeId(uint8_t fill) {
  Id id{};
  id.fill(fill);
  return id;
}

std::vector<Id> MakeIds(size_t n) {
  std::vector<Id> ids(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i].fill(0);
    ids[i][0] = static_cast<uint8_t>(i);
    ids[i][1] = static_cast<uint8_t>(i >> 8);
  }
  return ids;
}

std::vector<Op> EveryOp() {
  return {
      OpenCase{"stalking-v1",
               {{"risk", {"standard", "medium", "high"}}, {"suspect_name", {}}, {"", {""}}},
               {"incident", "breach", "contact", "action", "referral"}},
      OpenCase{},
      SetField{"risk", "high", {MakeId(1), MakeId(2)}},
      SetField{"suspect_name", "Zoë Ångström \xe2\x80\x94 o'Neil", {}},
      SetField{"risk", "medium", MakeIds(kMaxSupersedes)},
      AddNote{"incident", "Followed victim from work, 18:05.\nSecond line."},
      AddNote{"", ""},
      AddNote{"breach", "Seen outside her house.", 1764540600000},
      Tag{"priority"},
      Untag{"priority", {MakeId(9)}},
      Untag{"x", {}},
      SetStatus{CaseStatus::kClosed, {MakeId(3)}},
      SetStatus{CaseStatus::kOpen, {}},
  };
}

Bytes Header(uint8_t code) { return Bytes{0x01, code}; }
void PutStr(Bytes& b, std::string_view s) {
  PutLE<uint64_t>(b, s.size());
  Append(b, AsBytes(s));
}

void RequireCorrupt(ByteView b) {
  size_t largest = 0;
  Result<Op> r = Op(UnknownOp{});
  largest = LargestAllocation([&] { r = DecodeOp(b); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK_FALSE(r.status().message().empty());
  // Nothing sized by a hostile prefix: allocations stay near the input size (plus error text
  // and the stream objects).
  CHECK(largest <= b.size() + 4096);
}

}  // namespace

TEST_CASE("record: every op round-trips", "[sync][ops]") {
  for (const Op& op : EveryOp()) {
    INFO("op index " << op.index());
    const Bytes b = EncodeOp(op);  // empty strings too: what another device may have written
    REQUIRE(b.size() >= 2);
    CHECK(b[0] == 0x01);
    auto back = DecodeOp(b);
    REQUIRE(back.ok());
    CHECK(*back == op);
    CHECK(EncodeOp(*back) == b);
  }
}

TEST_CASE("record: op bytes match the format table", "[sync][ops]") {
  // tag "x": flag, code 4, u64 length 1 little-endian, 'x'.
  CHECK(EncodeOp(Tag{"x"}) == Bytes{0x01, 0x04, 1, 0, 0, 0, 0, 0, 0, 0, 'x'});
  // set status closed, no supersedes.
  CHECK(EncodeOp(SetStatus{CaseStatus::kClosed, {}}) ==
        Bytes{0x01, 0x06, 0x02, 0, 0, 0, 0, 0, 0, 0, 0});
  // set field: str field, str value, ids.
  Bytes want = Header(2);
  PutStr(want, "f");
  PutStr(want, "v");
  PutLE<uint64_t>(want, 1);
  Append(want, MakeId(0xAB));
  CHECK(EncodeOp(SetField{"f", "v", {MakeId(0xAB)}}) == want);
}

TEST_CASE("record: an unknown op code is accepted as an unknown change", "[sync][ops]") {
  for (uint8_t code : {uint8_t{0}, uint8_t{7}, uint8_t{99}, uint8_t{255}}) {
    Bytes b = Header(code);
    auto r = DecodeOp(b);
    REQUIRE(r.ok());
    CHECK(std::get<UnknownOp>(*r).code == code);
    // A later version's fields follow; they are skipped, not judged.
    b.insert(b.end(), {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x42});
    r = DecodeOp(b);
    REQUIRE(r.ok());
    CHECK(std::get<UnknownOp>(*r).code == code);
  }
  CHECK(EncodeOp(UnknownOp{99}) == Header(99));
  CHECK(CheckOp(UnknownOp{99}).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("record: op decoding rejects a wrong first byte", "[sync][ops]") {
  Bytes b = EncodeOp(Tag{"x"});
  for (uint8_t flag : {uint8_t{0x00}, uint8_t{0x02}, uint8_t{0xFF}}) {
    b[0] = flag;
    RequireCorrupt(b);
  }
  RequireCorrupt(Bytes{});
  RequireCorrupt(Bytes{0x01});  // flag only, no op code
}

TEST_CASE("record: op decoding rejects every truncation", "[sync][ops]") {
  for (const Op& op : EveryOp()) {
    const Bytes b = EncodeOp(op);
    for (size_t len = 0; len < b.size(); ++len) {
      INFO("op index " << op.index() << ", truncated to " << len << " of " << b.size());
      RequireCorrupt(ByteView(b).first(len));
    }
  }
}

TEST_CASE("record: op decoding rejects trailing bytes", "[sync][ops]") {
  for (const Op& op : EveryOp()) {
    INFO("op index " << op.index());
    Bytes b = EncodeOp(op);
    b.push_back(0);
    RequireCorrupt(b);
  }
}

TEST_CASE("record: huge size prefixes fail before allocating", "[sync][ops]") {
  const uint64_t sizes[] = {uint64_t{1} << 62, ~uint64_t{0}, store::kMaxPayloadBytes + 1,
                            1'000'000};
  for (uint64_t huge : sizes) {
    INFO("size prefix " << huge);
    {  // string length: tag
      Bytes b = Header(4);
      PutLE<uint64_t>(b, huge);
      b.push_back('x');
      RequireCorrupt(b);
    }
    {  // string length in second position: set field value
      Bytes b = Header(2);
      PutStr(b, "f");
      PutLE<uint64_t>(b, huge);
      RequireCorrupt(b);
    }
    {  // id count: set field supersedes
      Bytes b = Header(2);
      PutStr(b, "f");
      PutStr(b, "v");
      PutLE<uint64_t>(b, huge);
      Append(b, MakeId(1));
      RequireCorrupt(b);
    }
    {  // field list count: open case
      Bytes b = Header(1);
      PutStr(b, "t");
      PutLE<uint64_t>(b, huge);
      RequireCorrupt(b);
    }
    {  // allowed values count inside a field def
      Bytes b = Header(1);
      PutStr(b, "t");
      PutLE<uint64_t>(b, 1);
      PutStr(b, "risk");
      PutLE<uint64_t>(b, huge);
      RequireCorrupt(b);
    }
    {  // note kinds count
      Bytes b = Header(1);
      PutStr(b, "t");
      PutLE<uint64_t>(b, 0);
      PutLE<uint64_t>(b, huge);
      RequireCorrupt(b);
    }
    {  // removes count: untag
      Bytes b = Header(5);
      PutStr(b, "t");
      PutLE<uint64_t>(b, huge);
      RequireCorrupt(b);
    }
  }
}

TEST_CASE("record: a count within its limit but beyond the bytes left fails", "[sync][ops]") {
  // 1024 note kinds announced, 8 bytes present: each needs at least 8.
  Bytes b = Header(1);
  PutStr(b, "t");
  PutLE<uint64_t>(b, 0);
  PutLE<uint64_t>(b, kMaxListLength);
  PutLE<uint64_t>(b, 0);
  RequireCorrupt(b);
}

TEST_CASE("record: 257 supersedes are rejected, 256 accepted", "[sync][ops]") {
  const Bytes ok = EncodeOp(SetField{"f", "v", MakeIds(kMaxSupersedes)});
  CHECK(DecodeOp(ok).ok());
  const Bytes over = EncodeOp(SetField{"f", "v", MakeIds(kMaxSupersedes + 1)});
  RequireCorrupt(over);
  RequireCorrupt(EncodeOp(SetStatus{CaseStatus::kOpen, MakeIds(kMaxSupersedes + 1)}));
  RequireCorrupt(EncodeOp(Untag{"t", MakeIds(kMaxSupersedes + 1)}));
  CHECK(CheckOp(SetField{"f", "v", MakeIds(kMaxSupersedes + 1)}).code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE("record: list limits are enforced on both sides", "[sync][ops]") {
  OpenCase big;
  big.template_name = "t";
  big.note_kinds.assign(kMaxListLength + 1, "k");
  CHECK(CheckOp(big).code() == Status::Code::kInvalidArgument);
  RequireCorrupt(EncodeOp(big));
  big.note_kinds.resize(kMaxListLength);
  CHECK(CheckOp(big).ok());
  CHECK(DecodeOp(EncodeOp(big)).ok());
}

TEST_CASE("record: text this device signs is plain, valid UTF-8 and not blank", "[ops]") {
  CHECK(CheckOp(AddNote{"incident", "Followed victim from work, 18:05.\nSecond line."}).ok());
  CHECK(CheckOp(SetField{"suspect_name", "Zoë Ångström \xe2\x80\x94 o'Neil", {}}).ok());
  CHECK(CheckOp(SetField{"risk", "", {MakeId(1)}}).ok());  // an empty value clears
  for (const Op& bad : std::vector<Op>{
           AddNote{"incident", ""},
           AddNote{"incident", " \n\t "},
           AddNote{"", "text"},
           AddNote{"incident", "2026-01-01  breach   forged\r2026"},
           AddNote{"incident", "a\x1b[2Jb"},
           AddNote{"incident", "\xff\xfe"},
           SetField{"risk", "   ", {}},
           SetField{"risk", "high\nrisk_level high", {}},
           SetField{"", "x", {}},
           Tag{"\xe2\x80\xae" "gat"},
           Tag{" "},
           Untag{"", {}},
           OpenCase{"", {}, {"incident"}},
       }) {
    INFO("op index " << bad.index());
    CHECK(CheckOp(bad).code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("record: a status byte other than open or closed is rejected", "[sync][ops]") {
  for (uint8_t s : {uint8_t{0}, uint8_t{3}, uint8_t{0xFF}}) {
    Bytes b = Header(6);
    b.push_back(s);
    PutLE<uint64_t>(b, 0);
    RequireCorrupt(b);
  }
}

TEST_CASE("record: an op over 16 MiB is rejected", "[sync][ops]") {
  Bytes b = Header(4);
  PutLE<uint64_t>(b, store::kMaxPayloadBytes);
  b.resize(b.size() + store::kMaxPayloadBytes, 'x');
  auto r = DecodeOp(b);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK(CheckOp(Tag{std::string(store::kMaxPayloadBytes, 'x')}).code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE("record: random damage to ops never crashes nor allocates big", "[sync][ops]") {
  const uint64_t seed = 20240501;
  std::mt19937_64 rng(seed);
  const std::vector<Op> ops = EveryOp();
  for (int i = 0; i < 3000; ++i) {
    Bytes b = EncodeOp(ops[rng() % ops.size()]);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[1 + rng() % (b.size() - 1)] = static_cast<uint8_t>(rng());
    INFO("seed " << seed << " iteration " << i);
    Result<Op> r = Op(UnknownOp{});
    const size_t largest = LargestAllocation([&] { r = DecodeOp(b); });
    CHECK(largest <= b.size() + 4096);
    if (r.ok()) {
      // Whatever decodes must be a faithful reading: it re-encodes to the same bytes, except
      // that an unknown op drops what followed its code.
      if (!std::holds_alternative<UnknownOp>(*r)) CHECK(EncodeOp(*r) == b);
    } else {
      CHECK(r.status().code() == Status::Code::kCorruption);
    }
  }
}
