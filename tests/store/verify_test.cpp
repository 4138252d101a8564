#include <sqlite3.h>
#include <catch2/catch.hpp>

#include "fieldcase/store/verify.h"
#include "store_fixture.h"

using namespace fieldcase;

namespace {

// Bypasses the append-only triggers the way someone editing the file would: drop them,
// edit, and leave. verify must notice whatever they did.
void Tamper(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  std::string all =
      "DROP TRIGGER entries_signed_columns_immutable; DROP TRIGGER entries_no_delete;"
      "DROP TRIGGER payloads_immutable; DROP TRIGGER payloads_no_delete;" +
      sql;
  char* err = nullptr;
  int rc = sqlite3_exec(h, all.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

struct Chain {
  test::StoreFixture f;
  std::vector<store::Entry> entries;
  Chain() {
    entries.push_back(f.Next(f.root, nullptr, Bytes(100, 1)));
    for (int i = 0; i < 4; ++i) entries.push_back(f.Next(f.root, &entries.back(), Bytes(100, 2)));
    for (auto& e : entries) REQUIRE(f.log->Append(e, false, 1).status.ok());
    f.log.reset();
  }
  store::VerifyReport Verify() {
    auto r = store::VerifyStore(f.db(), test::AnyPayload);
    REQUIRE(r.ok());
    return *r;
  }
  std::string Hex(int i) { return "x'" + ToHex(entries[size_t(i)].id) + "'"; }
};

// Problems beyond the append-only guards Tamper drops.
std::vector<std::string> Besides(const store::VerifyReport& r) {
  std::vector<std::string> out;
  for (auto& p : r.problems)
    if (p.what.find("append-only guard") == std::string::npos) out.push_back(p.what);
  return out;
}

bool Names(const store::VerifyReport& r, const Id& id, const std::string& what) {
  for (auto& p : r.problems)
    if (p.id == id && p.what.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("store: verify passes an untouched store", "[store]") {
  Chain c;
  auto r = c.Verify();
  CHECK(r.ok());
  CHECK(r.entries == 5);
  CHECK(r.payloads == 5);
  CHECK(r.accepted == 5);
}

TEST_CASE("store: verify names the entry for a flipped byte anywhere in it", "[store]") {
  // Every byte of the header and signature of one entry, and bytes of its payload.
  Chain c;
  const auto& e = c.entries[2];
  for (size_t i = 0; i < store::kHeaderV1Bytes + store::kSignatureBytes; i += 3) {
    Chain fresh;
    const auto& target = fresh.entries[2];
    std::string col = i < store::kHeaderV1Bytes ? "header" : "signature";
    size_t pos = i < store::kHeaderV1Bytes ? i : i - store::kHeaderV1Bytes;
    Bytes bytes = col == "header" ? Bytes(target.header_bytes.begin(), target.header_bytes.end())
                                  : Bytes(target.signature.begin(), target.signature.end());
    bytes[pos] ^= 0x01;
    Tamper(fresh.f.db(),
           "UPDATE entries SET " + col + " = x'" + ToHex(bytes) + "' WHERE id = " + fresh.Hex(2));
    auto r = fresh.Verify();
    INFO(col << " byte " << pos);
    CHECK_FALSE(r.ok());
    CHECK(Names(r, target.id, ""));
  }
  (void)e;
  for (size_t pos : {0, 50, 99}) {
    Chain fresh;
    Bytes p = *fresh.entries[2].payload;
    p[pos] ^= 0x80;
    Tamper(fresh.f.db(),
           "UPDATE payloads SET payload = x'" + ToHex(p) + "' WHERE id = " + fresh.Hex(2));
    auto r = fresh.Verify();
    CHECK(Names(r, fresh.entries[2].id, "payload hash"));
  }
}

TEST_CASE("store: verify detects a removed, reordered or inserted entry", "[store]") {
  SECTION("removed below the newest") {
    Chain c;
    Tamper(c.f.db(), "DELETE FROM entries WHERE id = " + c.Hex(1));
    auto r = c.Verify();
    CHECK(Names(r, c.entries[2].id, "chain gap"));
  }
  SECTION("reordered: two entries swap seq") {
    Chain c;
    Tamper(c.f.db(), "UPDATE entries SET seq = 99 WHERE id = " + c.Hex(1) +
                         "; UPDATE entries SET seq = 2 WHERE id = " + c.Hex(2) +
                         "; UPDATE entries SET seq = 3 WHERE id = " + c.Hex(1));
    auto r = c.Verify();
    CHECK(Names(r, c.entries[1].id, "disagree"));
  }
  SECTION("the id column altered") {
    Chain c;
    Tamper(c.f.db(),
           "UPDATE entries SET id = x'" + std::string(64, 'a') + "' WHERE id = " + c.Hex(3));
    CHECK_FALSE(c.Verify().ok());
  }
}

TEST_CASE("store: verify checks the heads table against the entries", "[store]") {
  SECTION("the newest entry's head row removed") {
    Chain c;
    Tamper(c.f.db(), "DELETE FROM heads WHERE id = " + c.Hex(4));
    CHECK(Names(c.Verify(), c.entries[4].id, "missing the newest entry"));
  }
  SECTION("an entry that a later one follows listed as a head") {
    Chain c;
    Tamper(c.f.db(), "INSERT INTO heads(author, id, seq) VALUES (x'" +
                         ToHex(c.entries[1].header.author) + "', " + c.Hex(1) + ", 2)");
    auto r = c.Verify();
    CHECK(Names(r, c.entries[1].id, "a later entry follows"));
    CHECK(Besides(r).size() == 1);
  }
  SECTION("a head naming an entry not held") {
    Chain c;
    const std::string ghost = "x'" + std::string(64, 'b') + "'";
    Tamper(c.f.db(), "INSERT INTO heads(author, id, seq) VALUES (x'" +
                         ToHex(c.entries[1].header.author) + "', " + ghost + ", 9)");
    auto r = c.Verify();
    REQUIRE(Besides(r).size() == 1);
    CHECK_THAT(Besides(r)[0], Catch::Contains("not held"));
  }
  SECTION("a fork continued on one branch: both branch ends are heads") {
    test::StoreFixture f;
    auto e1 = f.Next(f.root, nullptr);
    auto a2 = f.Next(f.root, &e1, {0xA});
    auto b2 = f.Next(f.root, &e1, {0xB});
    auto a3 = f.Next(f.root, &a2, {0xC});
    for (const auto* e : {&e1, &a2, &b2, &a3}) REQUIRE(f.log->Append(*e, false, 1).status.ok());
    f.log.reset();
    auto r = store::VerifyStore(f.db(), test::AnyPayload);
    REQUIRE(r.ok());
    CHECK(r->ok());
    CHECK(r->forks.size() == 1);
    Tamper(f.db(), "DELETE FROM heads WHERE id = x'" + ToHex(b2.id) + "'");
    r = store::VerifyStore(f.db(), test::AnyPayload);
    REQUIRE(r.ok());
    CHECK(Names(*r, b2.id, "missing the newest entry"));
  }
}

TEST_CASE("store: verify of a missing store says where it looked", "[store]") {
  test::TempDir d;
  auto r = store::VerifyStore(d / "nothing.db", test::AnyPayload);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("no store"));
}

TEST_CASE("store: verify reports a fork with both signed headers as proof", "[store]") {
  test::StoreFixture f;
  auto e1 = f.Next(f.root, nullptr);
  auto a2 = f.Next(f.root, &e1, {0xA});
  auto b2 = f.Next(f.root, &e1, {0xB});
  for (const auto* e : {&e1, &a2, &b2}) REQUIRE(f.log->Append(*e, false, 1).status.ok());
  f.log.reset();
  auto r = store::VerifyStore(f.db(), test::AnyPayload);
  REQUIRE(r.ok());
  CHECK(r->ok());  // the store is intact; the fork is the signer's fault
  REQUIRE(r->forks.size() == 1);
  CHECK(r->forks[0].seq == 2);
  REQUIRE(r->forks[0].headers.size() == 2);
  for (const auto& hs : r->forks[0].headers) {
    Signature sig;
    std::copy(hs.begin() + 151, hs.end(), sig.begin());
    CHECK(store::VerifyEntrySignature(f.org, ByteView(hs).first(151), f.root.public_key(), sig));
  }
}
