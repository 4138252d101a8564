#include "db.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>

#include "fieldcase/base/system_error.h"

namespace fieldcase::store {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string w(what);
  // What the system refused underneath (file descriptors, disk): named as it is elsewhere.
  if (const int err = db ? sqlite3_system_errno(db) : 0;
      ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR) &&
      (IsOutOfDescriptors(err) || err == ENOSPC || err == EDQUOT)) {
    return ErrnoStatus(err, w);
  }
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status::IOError(w + ": disk full; free some space and retry (nothing was written)");
    case SQLITE_IOERR:
      return Status::IOError(w + ": I/O error (" + detail + "); check the disk");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return Status::IOError(w + ": cannot open or write the database (" + detail +
                             "); check the data folder's permissions");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(w + ": the database is busy; another fieldcase may be using it");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(w + ": the database file is damaged (" + detail +
                                "); restore it from a backup or resync from a peer");
    case SQLITE_CONSTRAINT:
      return Status::Corruption(w + ": refused by the store (" + detail + ")");
    default:
      return Status::IOError(w + ": " + detail);
  }
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, raw, "opening " + path);
    sqlite3_close(raw);
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  std::error_code ec;
  const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
  const bool wal_pending = !ec && wal_size > 0;  // immutable would silently ignore it
  if (read_only && !wal_pending &&
      (sqlite3_exec(raw, "PRAGMA user_version", nullptr, nullptr, nullptr) & 0xff) ==
          SQLITE_CANTOPEN) {
    // A WAL database on a read-only medium: SQLite cannot make its shared-memory file
    // there. Nothing writes it, so it is opened as immutable.
    sqlite3_close(raw);
    raw = nullptr;
    std::string uri = "file:";
    for (char c : path) {
      if (c == '%' || c == '?' || c == '#') {
        char esc[4];
        std::snprintf(esc, sizeof esc, "%%%02X", static_cast<unsigned char>(c));
        uri += esc;
      } else {
        uri += c;
      }
    }
    uri += "?immutable=1";
    rc = sqlite3_open_v2(uri.c_str(), &raw, flags | SQLITE_OPEN_URI, nullptr);
    if (rc != SQLITE_OK) {
      Status s = SqliteStatus(rc, raw, "opening " + path);
      sqlite3_close(raw);
      return s;
    }
    sqlite3_extended_result_codes(raw, 1);
  }
  return std::unique_ptr<Db>(new Db(raw));
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) {
    const char* file = sqlite3_db_filename(db_, "main");
    return SqliteStatus(rc, db_, std::string("using the database ") + (file ? file : ""));
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "preparing a query");
  return Stmt(db_, s);
}

}  // namespace fieldcase::store
