#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "fieldcase/store/new_file.h"
#include "test_util.h"

using namespace fieldcase;

namespace {
size_t Files(const std::filesystem::path& d) {
  return size_t(std::distance(std::filesystem::directory_iterator(d),
                              std::filesystem::directory_iterator()));
}
}  // namespace

TEST_CASE("store: a new file appears whole at Commit, under its name only then",
          "[store][files]") {
  test::TempDir d;
  auto f = store::NewFile::Create(d / "out.bundle");
  REQUIRE(f.ok());
  REQUIRE((*f)->Write(AsBytes("hello ")).ok());
  REQUIRE((*f)->Write(AsBytes("world")).ok());
  CHECK((*f)->written() == 11);
  CHECK_FALSE(std::filesystem::exists(d / "out.bundle"));  // only the .tmp so far
  REQUIRE((*f)->Commit().ok());
  CHECK(test::ReadFile(d / "out.bundle") == "hello world");
  CHECK_FALSE(std::filesystem::exists(d / "out.bundle.tmp"));
}

TEST_CASE("store: a new file never replaces one, and leaves nothing when abandoned",
          "[store][files]") {
  test::TempDir d;
  {
    std::ofstream(d / "kept") << "precious";
  }
  auto refused = store::NewFile::Create(d / "kept");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("already exists"));

  // Abandoned part way (an export that failed): neither the name nor the .tmp remains.
  {
    auto f = store::NewFile::Create(d / "half");
    REQUIRE(f.ok());
    REQUIRE((*f)->Write(AsBytes("half a bundle")).ok());
  }
  CHECK(Files(d.path()) == 1);

  // The name taken by someone else while the file was written: the commit refuses, and
  // what was there is untouched.
  auto late = store::NewFile::Create(d / "race");
  REQUIRE(late.ok());
  REQUIRE((*late)->Write(AsBytes("mine")).ok());
  {
    std::ofstream(d / "race") << "theirs";
  }
  Status st = (*late)->Commit();
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("already exists"));
  CHECK(test::ReadFile(d / "race") == "theirs");
  CHECK_FALSE(std::filesystem::exists(d / "race.tmp"));

  // A folder that cannot be written: one line that says so.
  auto nowhere = store::NewFile::Create(d / "no-such-folder" / "x");
  REQUIRE_FALSE(nowhere.ok());
  CHECK_THAT(nowhere.status().message(), Catch::Contains("cannot write"));
}

TEST_CASE("store: a new file's .tmp is never shared, followed or left half-used",
          "[store][files][attack]") {
  test::TempDir d;
  // What a killed export left: taken over and emptied.
  test::WriteFile(d / "a.bundle.tmp", "left by a killed export");
  auto a = store::NewFile::Create(d / "a.bundle");
  REQUIRE(a.ok());
  // A second export to the same name while the first writes: refused, the first unharmed.
  auto b = store::NewFile::Create(d / "a.bundle");
  REQUIRE_FALSE(b.ok());
  CHECK_THAT(b.status().message(), Catch::Contains("another export is writing"));
  REQUIRE((*a)->Write(AsBytes("whole")).ok());
  REQUIRE((*a)->Commit().ok());
  CHECK(test::ReadFile(d / "a.bundle") == "whole");

  // A link planted where the .tmp goes: refused, never followed; its target untouched.
  test::WriteFile(d / "target", "not yours");
  std::filesystem::create_symlink(d / "target", d / "b.bundle.tmp");
  auto linked = store::NewFile::Create(d / "b.bundle");
  REQUIRE_FALSE(linked.ok());
  CHECK_THAT(linked.status().message(), Catch::Contains("is a link"));
  CHECK(test::ReadFile(d / "target") == "not yours");
  CHECK_FALSE(std::filesystem::exists(d / "b.bundle"));
}
