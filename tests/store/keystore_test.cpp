#include <catch2/catch.hpp>

#include "fieldcase/store/keystore.h"
#include "test_util.h"

using namespace fieldcase;

namespace {
crypto::SecretBytes Pass(std::string_view s) { return crypto::SecretBytes::CopyFrom(AsBytes(s)); }
}  // namespace

TEST_CASE("store: keystore round-trips sealed secrets", "[store]") {
  test::TempDir d;
  store::Keystore ks;
  ks.Put("sign:root", crypto::SecretBytes::CopyFrom(Bytes(32, 7)));
  ks.Put("key:directory", crypto::SecretBytes::CopyFrom(Bytes(32, 9)));
  REQUIRE(store::WriteKeystore(d / "keystore", ks, Pass("Correct-Horse-42"),
                               crypto::KdfCost::kInsecureFast)
              .ok());
  auto back = store::ReadKeystore(d / "keystore", Pass("Correct-Horse-42"));
  REQUIRE(back.ok());
  REQUIRE(back->Find("sign:root") != nullptr);
  CHECK(crypto::ConstantTimeEqual(back->Find("sign:root")->view(), Bytes(32, 7)));
  CHECK(back->Find("nope") == nullptr);
  // The secret bytes never appear in the file.
  std::string file = test::ReadFile(d / "keystore");
  CHECK(file.find(std::string(32, '\x07')) == std::string::npos);
}

TEST_CASE("store: wrong passphrase and a damaged keystore are told apart", "[store]") {
  test::TempDir d;
  store::Keystore ks;
  ks.Put("k", crypto::SecretBytes::CopyFrom(Bytes(32, 1)));
  REQUIRE(store::WriteKeystore(d / "keystore", ks, Pass("Correct-Horse-42"),
                               crypto::KdfCost::kInsecureFast)
              .ok());
  auto wrong = store::ReadKeystore(d / "keystore", Pass("Correct-Horse-43"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Status::Code::kWrongPassphrase);

  std::string file = test::ReadFile(d / "keystore");
  for (size_t pos : {size_t(0), size_t(6), file.size() / 2, file.size() - 1}) {
    std::string bad = file;
    bad[pos] ^= 0x10;
    test::WriteFile(d / "keystore", bad);
    auto r = store::ReadKeystore(d / "keystore", Pass("Correct-Horse-42"));
    REQUIRE_FALSE(r.ok());
    INFO(pos);
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
  test::WriteFile(d / "keystore", file.substr(0, 20));
  CHECK(store::ReadKeystore(d / "keystore", Pass("Correct-Horse-42")).status().code() ==
        Status::Code::kCorruption);
  CHECK(store::ReadKeystore(d / "absent", Pass("x")).status().code() == Status::Code::kNotFound);
}

TEST_CASE("store: keystore contents parse strictly", "[store]") {
  CHECK_FALSE(store::Keystore::Parse(Bytes{5, 0}).ok());  // 5 items, none there
  CHECK_FALSE(store::Keystore::Parse(Bytes{1, 0, 1, 'a', 255, 255, 0, 0}).ok());  // huge length
  CHECK_FALSE(store::Keystore::Parse(Bytes{0, 0, 1}).ok());                       // trailing byte
  CHECK(store::Keystore::Parse(Bytes{0, 0}).ok());
}
