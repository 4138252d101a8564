#include "fieldcase/record/hlc.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

using namespace fieldcase::record;

namespace {
constexpr uint64_t kDayMs = 24ull * 60 * 60 * 1000;
constexpr uint64_t kNow = 1'700'000'000'000;  // 2023-11-14, a plausible wall clock in ms
constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();
}  // namespace

TEST_CASE("record: hlc packs 48-bit milliseconds and a 16-bit counter", "[sync][hlc]") {
  const uint64_t h = MakeHlc(kNow, 7);
  CHECK(HlcMillis(h) == kNow);
  CHECK(HlcCounter(h) == 7);
  CHECK(MakeHlc(kHlcMaxMillis, 0xFFFF) == kMax64);
  // A wall clock past 48 bits is clamped, never wrapped into the counter.
  CHECK(MakeHlc(uint64_t{1} << 50) == MakeHlc(kHlcMaxMillis));
}

TEST_CASE("record: local ticks are strictly increasing and follow the wall", "[sync][hlc]") {
  HybridClock clock;
  auto a = clock.Tick(kNow);
  REQUIRE(a.ok());
  CHECK(*a == MakeHlc(kNow));
  // Same millisecond: the counter moves.
  auto b = clock.Tick(kNow);
  REQUIRE(b.ok());
  CHECK(*b == MakeHlc(kNow, 1));
  // Wall went backwards (NTP step): still strictly increasing.
  auto c = clock.Tick(kNow - 1000);
  REQUIRE(c.ok());
  CHECK(*c == MakeHlc(kNow, 2));
  // Wall moves on: the clock jumps to it.
  auto d = clock.Tick(kNow + 5);
  REQUIRE(d.ok());
  CHECK(*d == MakeHlc(kNow + 5));
  CHECK(clock.last() == *d);
}

TEST_CASE("record: counter overflow carries into milliseconds", "[sync][hlc]") {
  HybridClock clock(MakeHlc(kNow, 0xFFFF));
  auto t = clock.Tick(kNow);
  REQUIRE(t.ok());
  CHECK(HlcMillis(*t) == kNow + 1);
  CHECK(HlcCounter(*t) == 0);
}

TEST_CASE("record: the clock fails instead of wrapping past 2^64-1", "[sync][hlc]") {
  HybridClock clock(kMax64 - 1);
  auto last = clock.Tick(kNow);
  REQUIRE(last.ok());
  CHECK(*last == kMax64);
  auto none = clock.Tick(kNow);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == fieldcase::Status::Code::kInvalidArgument);
  CHECK(none.status().message() == "clock exhausted");
  CHECK(clock.last() == kMax64);  // unchanged by the failure
}

TEST_CASE("record: a wall clock at or past 2^48 ms is clamped", "[sync][hlc]") {
  HybridClock clock;
  auto t = clock.Tick(kHlcMaxMillis);
  REQUIRE(t.ok());
  CHECK(*t == MakeHlc(kHlcMaxMillis));
  auto u = clock.Tick(kMax64);  // absurd wall: clamped, then last + 1
  REQUIRE(u.ok());
  CHECK(*u == MakeHlc(kHlcMaxMillis, 1));
}

TEST_CASE("record: a peer 24 h ahead drags the clock at most 5 min ahead of wall", "[sync][hlc]") {
  HybridClock ahead;  // the peer's wall clock is a day fast
  auto sent = ahead.Tick(kNow + kDayMs);
  REQUIRE(sent.ok());

  HybridClock mine(MakeHlc(kNow - 10));
  mine.Observe(*sent, kNow);
  CHECK(mine.last() == MakeHlc(kNow + kFutureSkewMs, 0xFFFF));
  CHECK(HlcMillis(mine.last()) - kNow <= kFutureSkewMs);
  auto next = mine.Tick(kNow);
  REQUIRE(next.ok());
  CHECK(HlcMillis(*next) <= kNow + kFutureSkewMs + 1);  // last + 1 carries at most one ms
  CHECK(*next == MakeHlc(kNow + kFutureSkewMs + 1));

  // Receipt flags the entry; our own next entry is not flagged by a receiver on time.
  CHECK(IsFutureDated(*sent, kNow));
  CHECK_FALSE(IsFutureDated(MakeHlc(kNow + kFutureSkewMs, 0xFFFF), kNow));
}

TEST_CASE("record: an hlc of 2^48-1 ms is accepted, capped and flagged", "[sync][hlc]") {
  const uint64_t far = MakeHlc(kHlcMaxMillis, 0xFFFF);
  HybridClock mine(MakeHlc(kNow));
  mine.Observe(far, kNow);
  CHECK(mine.last() == MakeHlc(kNow + kFutureSkewMs, 0xFFFF));
  CHECK(IsFutureDated(far, kNow));
  // Near the end of time the cap itself saturates instead of overflowing.
  HybridClock late(MakeHlc(kHlcMaxMillis - 10));
  late.Observe(far, kHlcMaxMillis - 10);
  CHECK(late.last() == far);
  late.Observe(far, kMax64);  // absurd receiver wall: no overflow, no change
  CHECK(late.last() == far);
  CHECK_FALSE(IsFutureDated(far, kMax64));
}

TEST_CASE("record: a peer 24 h behind is not flagged and keeps the clock moving", "[sync][hlc]") {
  HybridClock behind;
  auto old = behind.Tick(kNow - kDayMs);
  REQUIRE(old.ok());
  CHECK_FALSE(IsFutureDated(*old, kNow));

  HybridClock mine;
  auto t1 = mine.Tick(kNow);
  REQUIRE(t1.ok());
  mine.Observe(*old, kNow);  // older than ours: no effect
  CHECK(mine.last() == *t1);

  // The slow device observes our entry: its wall + 5 min caps it, yet it never goes backwards.
  behind.Observe(*t1, kNow - kDayMs);
  CHECK(behind.last() == MakeHlc(kNow - kDayMs + kFutureSkewMs, 0xFFFF));
  auto t2 = behind.Tick(kNow - kDayMs);
  REQUIRE(t2.ok());
  CHECK(*t2 > *old);
}

TEST_CASE("record: observe never lowers the clock", "[sync][hlc]") {
  HybridClock mine(MakeHlc(kNow + 1000));
  mine.Observe(MakeHlc(kNow), kNow);
  CHECK(mine.last() == MakeHlc(kNow + 1000));
  mine.Observe(0, 0);
  CHECK(mine.last() == MakeHlc(kNow + 1000));
  mine.Observe(MakeHlc(kNow + 2000, 3), kNow);
  CHECK(mine.last() == MakeHlc(kNow + 2000, 3));
}

TEST_CASE("record: future-dated is strictly more than 5 min ahead of receipt", "[sync][hlc]") {
  CHECK_FALSE(IsFutureDated(MakeHlc(kNow + kFutureSkewMs, 0xFFFF), kNow));
  CHECK(IsFutureDated(MakeHlc(kNow + kFutureSkewMs + 1), kNow));
  CHECK_FALSE(IsFutureDated(MakeHlc(kNow), kNow));
  CHECK_FALSE(IsFutureDated(0, kNow));
}
