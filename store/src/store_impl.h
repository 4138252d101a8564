// The store's private parts, shared by its source files (store.cpp: opening, reading,
// meta; append.cpp: the structural checks and inserts; pending_bound.cpp). Private to store/.
#pragma once

#include <memory>

#include "checkpointer.h"
#include "db.h"
#include "fieldcase/store/store.h"

namespace fieldcase::store {

// Payloads join their entries by id — the one join every reader uses (verify too). A
// payload row normally shares its entry's rowid, which keeps scans in order (p); a row
// found there must also carry the entry's id, and when it does not (moved, swapped) the
// payload is looked up by id (q). So a row moved by hand is neither lost nor taken for
// another entry's payload. Select kPayloadColumn.
inline constexpr const char* kPayloadJoin =
    "payloads p ON p.rowid = e.rowid AND p.id = e.id "
    "LEFT JOIN payloads q ON p.rowid IS NULL AND q.id = e.id";
inline constexpr const char* kPayloadColumn = "coalesce(p.payload, q.payload)";
// Another row at e's (author, seq): what makes e a fork, whatever its evidence flag says.
inline constexpr const char* kHasSibling =
    "EXISTS (SELECT 1 FROM entries f WHERE f.author = e.author AND f.seq = e.seq AND f.id != e.id)";

// Key and control payloads decide statuses, members and keys: a reader believes one only
// when it hashes to what the signed header says (a data payload is bound by its AEAD).
inline bool PayloadTrusted(const Header& h, ByteView payload) {
  if (h.kind != uint8_t(Kind::kKey) && h.kind != uint8_t(Kind::kControl)) return true;
  return payload.size() == h.payload_len && PayloadHash(payload) == h.payload_hash;
}

class Store::Impl {
 public:
  std::unique_ptr<Db> db;
  Stmt find_id, insert_late_payload, find_author_seq, find_prev, fork_point, insert_entry,
      insert_payload, drop_head, add_head, head_of, status_of, get_meta, fork_evidence;

  Status Prepare() {
    FC_ASSIGN_OR_RETURN(find_id, db->Prepare("SELECT e.rowid, " + std::string(kPayloadColumn) +
                                             " IS NULL FROM entries e LEFT JOIN " +
                                             std::string(kPayloadJoin) + " WHERE e.id = ?1"));
    FC_ASSIGN_OR_RETURN(insert_late_payload,
                        db->Prepare("INSERT OR IGNORE INTO payloads(rowid, id, payload) "
                                    "VALUES(?1, ?2, ?3)"));
    FC_ASSIGN_OR_RETURN(find_author_seq,
                        db->Prepare("SELECT id, hlc FROM entries WHERE author = ?1 AND seq = ?2"));
    FC_ASSIGN_OR_RETURN(
        insert_entry,
        db->Prepare("INSERT INTO entries(id, author, seq, prev, kind, case_id, hlc, key_id, "
                    "header, signature, status, received_ms, evidence) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    // INDEXED BY: given min(seq), SQLite would otherwise walk the author's whole chain in
    // (author, seq) order looking for evidence rows — once per append, quadratic in a chain.
    FC_ASSIGN_OR_RETURN(fork_point,
                        db->Prepare("SELECT min(e.seq) FROM entries e INDEXED BY entries_evidence "
                                    "WHERE e.author = ?1 "
                                    "AND e.evidence = 1 AND " +
                                    std::string(kHasSibling)));
    FC_ASSIGN_OR_RETURN(find_prev,
                        db->Prepare("SELECT author, seq, hlc FROM entries WHERE id = ?1"));
    FC_ASSIGN_OR_RETURN(status_of, db->Prepare("SELECT status FROM entries WHERE id = ?1"));
    FC_ASSIGN_OR_RETURN(insert_payload,
                        // The payload row shares its entry's rowid, so scans join in order.
                        db->Prepare("INSERT OR IGNORE INTO payloads(rowid, id, payload) "
                                    "VALUES(last_insert_rowid(), ?1, ?2)"));
    FC_ASSIGN_OR_RETURN(drop_head, db->Prepare("DELETE FROM heads WHERE author = ?1 AND id = ?2"));
    FC_ASSIGN_OR_RETURN(
        add_head, db->Prepare("INSERT OR IGNORE INTO heads(author, id, seq) VALUES(?1, ?2, ?3)"));
    // From the signed rows, not the heads table: a node takes its next seq from here, and
    // the heads table is only an index (verify checks it).
    FC_ASSIGN_OR_RETURN(head_of, db->Prepare("SELECT seq, id, hlc FROM entries WHERE author = ?1 "
                                             "ORDER BY seq DESC, id LIMIT 1"));
    // Every write reads these (Signer::CheckMayWrite): prepared once, not per write.
    FC_ASSIGN_OR_RETURN(get_meta, db->Prepare("SELECT value FROM meta WHERE key = ?1"));
    // A fork is two rows at one (author, seq), whatever the evidence flag says: the flag is
    // only an index, and a flag set by hand on a lone row is no fork. The partial index of
    // flagged rows is searched, never the author's whole chain.
    FC_ASSIGN_OR_RETURN(fork_evidence,
                        db->Prepare("SELECT 1 FROM entries e INDEXED BY entries_evidence WHERE "
                                    "e.author = ?1 AND e.evidence = 1 AND " +
                                    std::string(kHasSibling) + " LIMIT 1"));
    return Status::Ok();
  }

  // Last: stopped before the statements and the connection go.
  std::unique_ptr<Checkpointer> checkpointer;
};

}  // namespace fieldcase::store
