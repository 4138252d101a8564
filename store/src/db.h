// Thin RAII over sqlite3: a connection and cached prepared statements. Private to store/.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"

namespace fieldcase::store {

// Maps an SQLite result code to a Status with a message a person can act on.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(s_, o.s_);
    return *this;
  }

  Stmt& Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    return *this;
  }
  Stmt& Bind(int i, ByteView b) {
    sqlite3_bind_blob(s_, i, b.data(), int(b.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindStatic(int i, ByteView b) {
    sqlite3_bind_blob(s_, i, b.data(), int(b.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& BindText(int i, std::string_view t) {
    sqlite3_bind_text(s_, i, t.data(), int(t.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW → true, SQLITE_DONE → false, anything else → error status.
  Result<bool> Step(std::string_view what) {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteStatus(rc, db_, what);
  }
  Status Run(std::string_view what) {
    auto r = Step(what);
    sqlite3_reset(s_);
    return r.ok() ? Status::Ok() : r.status();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  ByteView Blob(int col) const {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
    return {p, size_t(sqlite3_column_bytes(s_, col))};
  }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  template <size_t N>
  bool BlobInto(int col, Array<N>& out) const {
    ByteView b = Blob(col);
    if (b.size() != N) return false;
    std::memcpy(out.data(), b.data(), N);
    return true;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool read_only);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  sqlite3* raw() { return db_; }
  // Rows the last INSERT, UPDATE or DELETE changed.
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Holds a write transaction; rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  Status Begin() {
    FC_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    FC_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    open_ = false;
    return Status::Ok();
  }
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace fieldcase::store
