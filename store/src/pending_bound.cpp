// Format constant kMaxPendingRows: the one deletion of entries the schema allows.
#include <algorithm>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/store/store.h"
#include "store_impl.h"

namespace fieldcase::store {

Result<int64_t> Store::DropOldestPending(int64_t keep) {
  FC_ASSIGN_OR_RETURN(
      Stmt count,
      impl_->db->Prepare("SELECT (SELECT count(*) FROM entries WHERE status IN (2, 3)), "
                         "(SELECT count(*) FROM opaque)"));
  FC_ASSIGN_OR_RETURN(bool row, count.Step("counting pending entries"));
  int64_t pending = row ? count.Int(0) + count.Int(1) : 0;
  const int64_t opaque = row ? count.Int(1) : 0;
  count.Reset();
  if (pending <= keep) return int64_t(0);
  Transaction tx(*impl_->db);
  FC_RETURN_IF_ERROR(tx.Begin());
  int64_t dropped = 0;
  // Entries this version cannot read at all go first, oldest first: no chain of this
  // version depends on them, and a peer that can read them re-offers them.
  if (opaque > 0) {
    const int64_t n = std::min(opaque, pending - keep);
    FC_ASSIGN_OR_RETURN(Stmt drop,
                        impl_->db->Prepare("DELETE FROM opaque WHERE id IN (SELECT id FROM opaque "
                                           "ORDER BY received_ms, id LIMIT ?1)"));
    FC_RETURN_IF_ERROR(drop.Bind(1, n).Run("dropping entries of newer versions"));
    dropped += n;
  }
  // Only chain tails go, oldest first, so no chain is left with a hole (verify would
  // report one as a removed entry); a dropped tail's parent becomes a head again.
  FC_ASSIGN_OR_RETURN(
      Stmt tails,
      impl_->db->Prepare(
          "SELECT e.rowid, e.id, e.author, e.prev FROM entries e JOIN heads h ON h.id = e.id "
          "WHERE e.status IN (2, 3) ORDER BY e.received_ms, e.rowid LIMIT ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del, impl_->db->Prepare("DELETE FROM entries WHERE rowid = ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del_payload,
                      impl_->db->Prepare("DELETE FROM payloads WHERE rowid = ?1"));
  FC_ASSIGN_OR_RETURN(Stmt del_head, impl_->db->Prepare("DELETE FROM heads WHERE id = ?1"));
  FC_ASSIGN_OR_RETURN(
      Stmt parent, impl_->db->Prepare(
                       "SELECT p.author, p.id, p.seq FROM entries p WHERE p.id = ?1 AND NOT EXISTS "
                       "(SELECT 1 FROM entries c WHERE c.author = p.author AND c.prev = p.id)"));
  while (dropped < pending - keep) {
    struct Tail {
      int64_t rowid;
      Id id, prev;
    };
    std::vector<Tail> batch;
    tails.Reset().Bind(1, pending - keep - dropped);
    while (true) {
      FC_ASSIGN_OR_RETURN(bool more, tails.Step("finding pending tails"));
      if (!more) break;
      Tail t{tails.Int(0), {}, {}};
      tails.BlobInto(1, t.id);
      tails.BlobInto(3, t.prev);
      batch.push_back(t);
    }
    tails.Reset();
    if (batch.empty()) break;
    for (const Tail& t : batch) {
      FC_RETURN_IF_ERROR(del.Reset().Bind(1, t.rowid).Run("dropping a pending entry"));
      FC_RETURN_IF_ERROR(del_payload.Reset().Bind(1, t.rowid).Run("dropping its payload"));
      FC_RETURN_IF_ERROR(del_head.Reset().Bind(1, t.id).Run("updating heads"));
      if (IsZero(t.prev)) continue;
      parent.Reset().Bind(1, t.prev);
      FC_ASSIGN_OR_RETURN(bool has, parent.Step("finding the new head"));
      if (has) {
        PublicKey author{};
        Id id{};
        parent.BlobInto(0, author);
        parent.BlobInto(1, id);
        int64_t seq = parent.Int(2);
        parent.Reset();
        FC_RETURN_IF_ERROR(
            impl_->add_head.Reset().Bind(1, author).Bind(2, id).Bind(3, seq).Run("updating heads"));
      }
      parent.Reset();
      ++dropped;
    }
  }
  FC_RETURN_IF_ERROR(tx.Commit());
  return dropped;
}

}  // namespace fieldcase::store
