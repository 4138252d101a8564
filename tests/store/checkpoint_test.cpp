// WAL checkpoints run beside the writer (store/src/checkpointer.h): the database file takes
// the commits while the store stays open, the WAL stays bounded, nothing is lost.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include <sqlite3.h>

#include "store_fixture.h"

using namespace fieldcase;

namespace {

int64_t PageSize(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "PRAGMA page_size", -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(h);
  return n;
}

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

TEST_CASE("store: a new store has 8 KiB pages, and one made with 4 KiB pages keeps them and works",
          "[store]") {
  {
    test::StoreFixture f;
    REQUIRE(f.log->Append(f.Next(f.root, nullptr), false, 1).status.ok());
    f.log.reset();
    CHECK(PageSize(f.db()) == 8192);
  }
  // As earlier builds made them: 4 KiB pages, WAL.
  test::TempDir dir;
  const auto path = dir / "fieldcase.db";
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  auto opened = store::Store::Open(path, test::AnyPayload);
  REQUIRE(opened.ok());
  auto& log = **opened;
  test::StoreFixture keys;  // for its signing key and org
  REQUIRE(log.SetOrgId(keys.org).ok());
  auto e1 = keys.Next(keys.root, nullptr);
  auto e2 = keys.Next(keys.root, &e1);
  REQUIRE(log.Append(e1, false, 1).status.ok());
  REQUIRE(log.Append(e2, false, 1).status.ok());
  CHECK(*log.CountEntries() == 2);
  opened->reset();
  CHECK(PageSize(path) == 4096);
}
