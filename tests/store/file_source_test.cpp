#include <catch2/catch.hpp>

#include <fstream>

#include "fieldcase/store/file_source.h"
#include "test_util.h"

using namespace fieldcase;

namespace {
void Write(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}
}  // namespace

TEST_CASE("store: a file is read a piece at a time, its kind and size checked first",
          "[store][files]") {
  test::TempDir d;
  Write(d / "ok", "FCBUhello world");
  auto f = store::FileSource::Open(d / "ok", 1024, "FCBU", "bundle");
  REQUIRE(f.ok());
  CHECK((*f)->size() == 15);
  Bytes part(5);
  REQUIRE((*f)->ReadAt(4, part).ok());
  CHECK(std::string(part.begin(), part.end()) == "hello");
  // Past the end: a clear error, nothing read.
  Bytes past(5);
  CHECK((*f)->ReadAt(12, past).IsCorruption());
  CHECK((*f)->ReadAt(16, std::span<uint8_t>()).IsCorruption());

  // Another kind of file is named as such before its size is judged.
  Write(d / "other", std::string(2000, 'x'));
  auto other = store::FileSource::Open(d / "other", 1024, "FCBU", "bundle");
  REQUIRE_FALSE(other.ok());
  CHECK_THAT(other.status().message(), Catch::Contains("not a valid fieldcase bundle file"));
  // A file of the right kind past its bound.
  Write(d / "big", "FCBU" + std::string(2000, 'x'));
  auto big = store::FileSource::Open(d / "big", 1024, "FCBU", "bundle");
  REQUIRE_FALSE(big.ok());
  CHECK_THAT(big.status().message(), Catch::Contains("larger than 1024 bytes"));
  // Shorter than its magic, missing, or a folder.
  Write(d / "short", "FC");
  CHECK_FALSE(store::FileSource::Open(d / "short", 1024, "FCBU", "bundle").ok());
  auto missing = store::FileSource::Open(d / "missing", 1024, "FCBU", "bundle");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsNotFound());
  CHECK_FALSE(store::FileSource::Open(d.path(), 1024, "", "bundle").ok());
}
