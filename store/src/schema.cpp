#include "schema.h"

#include <array>
#include <string>

namespace fieldcase::store {

namespace {

// Append-only is enforced by the database itself, not only by our code: the signed
// columns refuse UPDATE and rows refuse DELETE. Payload rows may later be cleared only
// by the erasure path (DESIGN §8), which will come as its own migration.
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE entries(
  rowid       INTEGER PRIMARY KEY,
  id          BLOB NOT NULL UNIQUE,
  author      BLOB NOT NULL,
  seq         INTEGER NOT NULL,
  prev        BLOB NOT NULL,
  kind        INTEGER NOT NULL,
  case_id     BLOB NOT NULL,
  hlc         INTEGER NOT NULL,
  key_id      BLOB NOT NULL,
  header      BLOB NOT NULL,
  signature   BLOB NOT NULL,
  status      INTEGER NOT NULL,
  evidence    INTEGER NOT NULL DEFAULT 0,
  received_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX entries_author_seq ON entries(author, seq) WHERE evidence = 0;
CREATE INDEX entries_case ON entries(case_id);
CREATE INDEX entries_kind ON entries(kind);
CREATE INDEX entries_evidence ON entries(author) WHERE evidence = 1;

-- A rowid table whose rowid is its entry's rowid: a batch writes adjacent pages and scans
-- join in order; keyed by the (random) id alone, every row would land on another page.
CREATE TABLE payloads(
  rowid   INTEGER PRIMARY KEY,
  id      BLOB NOT NULL UNIQUE,
  payload BLOB NOT NULL
);

CREATE TABLE heads(
  author BLOB NOT NULL,
  id     BLOB NOT NULL,
  seq    INTEGER NOT NULL,
  PRIMARY KEY(author, id)
) WITHOUT ROWID;

CREATE TABLE opaque(
  id          BLOB PRIMARY KEY,
  header      BLOB NOT NULL,
  signature   BLOB NOT NULL,
  payload     BLOB,
  received_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER opaque_immutable BEFORE UPDATE ON opaque
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

CREATE TRIGGER entries_signed_columns_immutable
BEFORE UPDATE OF id, author, seq, prev, kind, case_id, hlc, key_id, header, signature ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

-- Only rows that do not count (pending, needs upgrade) may go, for the pending bound.
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries WHEN OLD.status NOT IN (2, 3)
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

CREATE TRIGGER payloads_immutable BEFORE UPDATE ON payloads
BEGIN SELECT RAISE(ABORT, 'payloads are immutable'); END;

CREATE TRIGGER payloads_no_delete BEFORE DELETE ON payloads
WHEN EXISTS (SELECT 1 FROM entries e WHERE e.rowid = OLD.rowid)
BEGIN SELECT RAISE(ABORT, 'payloads are removed only by an erasure entry'); END;
)sql";

// v2: an index on (author, seq) over every row, evidence or not: the next seq, forks and
// a node's refusal to sign a held seq are read from the signed rows, never from the heads
// table or the evidence flag alone (issue 7 #10).
constexpr const char* kV2 = R"sql(
CREATE INDEX entries_author_seq_any ON entries(author, seq);
)sql";

// v3: the rows whose status may still change on their own (pending, needs upgrade), by
// author: an incremental settle re-derives those authors' chains, and the pending bound
// counts them, without reading every row.
constexpr const char* kV3 = R"sql(
CREATE INDEX entries_unsettled ON entries(author) WHERE status IN (2, 3);
)sql";

constexpr std::array<const char*, kSchemaVersion> kMigrations = {kV1, kV2, kV3};

}  // namespace

Status CheckSchema(Db& db) {
  FC_ASSIGN_OR_RETURN(Stmt q, db.Prepare("PRAGMA user_version"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("reading schema version"));
  const int64_t version = row ? q.Int(0) : 0;
  q.Reset();
  // v2 stores read the same (v3 added an index only writes use).
  if (version == kSchemaVersion || version == 2) return Status::Ok();
  if (version <= 0) {
    return Status::Corruption("the database is empty or not a fieldcase store (schema " +
                              std::to_string(version) +
                              "); restore the folder from a backup");
  }
  if (version > kSchemaVersion) {
    return Status::NeedsUpgrade("this store was written by a newer fieldcase (schema " +
                                std::to_string(version) + "); upgrade fieldcase to open it");
  }
  return Status::NeedsUpgrade("this store has an older schema (" + std::to_string(version) +
                              "); open it once with write access (any command that unlocks) "
                              "to upgrade it");
}

Status Migrate(Db& db) {
  FC_ASSIGN_OR_RETURN(Stmt q, db.Prepare("PRAGMA user_version"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("reading schema version"));
  int version = row ? int(q.Int(0)) : 0;
  q.Reset();
  if (version < 0) {
    return Status::Corruption("the database's schema version is " + std::to_string(version) +
                              ", which no fieldcase writes: the file is damaged or not a "
                              "fieldcase store; restore the folder from a backup");
  }
  if (version > kSchemaVersion) {
    return Status::NeedsUpgrade("this store was written by a newer fieldcase (schema " +
                                std::to_string(version) + "); upgrade fieldcase to open it");
  }
  if (version == kSchemaVersion) return Status::Ok();
  Transaction tx(db);
  FC_RETURN_IF_ERROR(tx.Begin());
  for (int v = version; v < kSchemaVersion; ++v) FC_RETURN_IF_ERROR(db.Exec(kMigrations[v]));
  FC_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)));
  return tx.Commit();
}

}  // namespace fieldcase::store
