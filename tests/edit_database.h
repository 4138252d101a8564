// Editing a closed store as someone with the file would (tests of what verify and
// report check catch): the append-only triggers are dropped for the edit and put back.
#pragma once

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fieldcase::test {

// Edits a closed store the way someone with the file would: the append-only triggers are
// dropped for the edit and put back, so only the edit itself differs.
inline void EditDatabase(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  std::vector<std::pair<std::string, std::string>> triggers;
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'", -1,
                             &q, nullptr) == SQLITE_OK);
  while (sqlite3_step(q) == SQLITE_ROW) {
    triggers.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                          reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
  }
  sqlite3_finalize(q);
  std::string all;
  for (const auto& [name, ddl] : triggers) all += "DROP TRIGGER " + name + ";";
  all += sql + ";";
  for (const auto& [name, ddl] : triggers) all += ddl + ";";
  char* err = nullptr;
  const int rc = sqlite3_exec(h, all.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace fieldcase::test
