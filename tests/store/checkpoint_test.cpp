// WAL checkpoints run beside the writer (store/src/checkpointer.h): the database file takes
// the commits while the store stays open, the WAL stays bounded, nothing is lost.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store_fixture.h"

using namespace fieldcase;

namespace {

uintmax_t SizeOf(const std::filesystem::path& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

TEST_CASE("store: the WAL is checkpointed while the store is open and stays bounded", "[store]") {
  test::StoreFixture f;
  auto key = test::KeyFromByte(7);
  const uintmax_t start = SizeOf(f.db());
  const Bytes payload(1024 * 1024, 0x5a);
  store::Entry prev;
  int written = 0;
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i, ++written) {
      store::Entry e = f.Next(key, written == 0 ? nullptr : &prev, payload);
      auto r = f.log->Append(e, false, 1);
      REQUIRE(r.status.ok());
      prev = e;
    }
  };
  auto db_grows_to = [&](uintmax_t want) {
    for (int wait = 0; wait < 200 && SizeOf(f.db()) < want; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return SizeOf(f.db()) >= want;
  };
  // 24 MiB, one commit per entry: past the 16 MiB that wakes the thread, short of the
  // 64 MiB at which a commit checkpoints itself. Only the thread can have moved pages into
  // the database file, and it does while the store stays open.
  write(24);
  CHECK(db_grows_to(start + 16u * 1024 * 1024));
  // 56 MiB more: past the bound. The WAL restarts and stays within it and one commit.
  write(56);
  CHECK(db_grows_to(start + 64u * 1024 * 1024));
  CHECK(SizeOf(f.dir / "fieldcase.db-wal") <= 66u * 1024 * 1024);
  f.Reopen();
  auto n = f.log->CountEntries();
  REQUIRE(n.ok());
  CHECK(*n == written);
  auto head = f.log->HeadOf(key.public_key());
  REQUIRE(head.ok());
  REQUIRE(head->has_value());
  CHECK((*head)->id == prev.id);
}
