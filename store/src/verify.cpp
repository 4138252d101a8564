#include "fieldcase/store/verify.h"

#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "db.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"
#include "parallel.h"
#include "schema.h"
#include "store_impl.h"

namespace fieldcase::store {

namespace {

struct Row {
  Id id{};
  Header h;
  Array<kHeaderV1Bytes> header{};
  Signature sig{};
};

// What pass 2 keeps of every row: a tenth of a Row, held for the whole store.
struct Link {
  Id id{};
  Id prev{};
  uint64_t seq = 0;
  uint64_t hlc = 0;
  bool evidence = false;
  bool has_child = false;  // a held entry at seq + 1 names it as prev
};

// What pass 1 checks on the workers for one row.
struct Check {
  Row row;
  Bytes payload;
  bool hash_payload = false;
  bool id_ok = false, sig_ok = false, hash_ok = false;
};
constexpr size_t kCheckBatch = 4096;
constexpr size_t kCheckBatchBytes = 32u << 20;  // two batches are held: one read, one checked

}  // namespace

Result<VerifyReport> VerifyStore(const std::filesystem::path& db_path,
                                 const PayloadValidator& validator) {
  if (!std::filesystem::exists(db_path)) {
    return Status::NotFound("no store at " + db_path.string() + "; check --data");
  }
  FC_ASSIGN_OR_RETURN(auto db, Db::Open(db_path.string(), /*read_only=*/true));
  FC_RETURN_IF_ERROR(CheckSchema(*db));
  VerifyReport rep;

  FC_ASSIGN_OR_RETURN(Stmt meta, db->Prepare("SELECT value FROM meta WHERE key = 'org_id'"));
  FC_ASSIGN_OR_RETURN(bool has_org, meta.Step("reading org id"));
  Id org{};
  if (!has_org || !meta.BlobInto(0, org)) {
    return Status::Corruption("the store has no valid organisation id; it cannot be verified");
  }

  // Pass 1: every row on its own — decode, columns agree with the signed bytes, id,
  // signature, payload.
  FC_ASSIGN_OR_RETURN(
      Stmt q, db->Prepare("SELECT e.id, e.header, e.signature, e.author, e.seq, e.prev, e.kind, "
                          "e.case_id, e.hlc, e.key_id, e.status, e.evidence, " +
                          std::string(kPayloadColumn) + ", " + kPayloadColumn +
                          " IS NOT NULL FROM entries e LEFT JOIN " + kPayloadJoin +
                          " ORDER BY e.author, e.seq"));
  // Each author's rows in seq order (the query's order); a fork is adjacent rows at one seq.
  std::map<PublicKey, std::vector<Link>> chains;
  // Ids, signatures and payload hashes are checked on worker threads, a batch at a time,
  // while the next batch is read: the signatures are most of the cost (docs/benchmarks.md).
  std::vector<Check> batch, checking;
  size_t batch_bytes = 0;  // payload copies held: bounded, whatever the entries' sizes
  std::thread checker;
  auto finish_checks = [&] {
    if (checker.joinable()) checker.join();
    for (const Check& c : checking) {
      auto problem = [&](std::string what) {
        rep.problems.push_back({c.row.id, c.row.h.author, c.row.h.seq, std::move(what)});
      };
      if (!c.id_ok) problem("id does not match header and signature");
      if (!c.sig_ok) problem("bad signature");
      if (!c.hash_ok) {
        problem("payload hash does not match header");
      } else if (c.hash_payload && validator && HasPlainPayload(c.row.h.kind)) {
        Status v = validator(c.row.h, c.payload);
        if (!v.ok() && !v.IsNeedsUpgrade()) problem(v.message());
      }
    }
    checking.clear();
  };
  auto check_batch = [&] {
    finish_checks();
    checking.swap(batch);
    batch_bytes = 0;
    auto work = [&org, &checking] {
      ParallelFor(checking.size(), [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          Check& c = checking[i];
          c.id_ok = EntryId(c.row.header, c.row.sig) == c.row.id;
          c.sig_ok = VerifyEntrySignature(org, c.row.header, c.row.h.author, c.row.sig);
          c.hash_ok = !c.hash_payload || PayloadHash(c.payload) == c.row.h.payload_hash;
        }
      });
    };
    try {
      checker = std::thread(work);
    } catch (const std::system_error&) {
      work();  // no thread to spare: checked here, before reading on
    }
  };
  // The checker thread reads `checking` and `org`: joined on every way out.
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join_on_exit{checker};
  while (true) {
    FC_ASSIGN_OR_RETURN(bool more, q.Step("reading entries"));
    if (!more) break;
    ++rep.entries;
    Row r;
    auto problem = [&](std::string what) {
      rep.problems.push_back({r.id, r.h.author, r.h.seq, std::move(what)});
    };
    bool id_ok = q.BlobInto(0, r.id);
    if (!id_ok || !q.BlobInto(1, r.header) || !q.BlobInto(2, r.sig)) {
      problem("row damaged: id, header or signature has the wrong length");
      continue;
    }
    auto h = DecodeHeader(r.header);
    if (!h.ok()) {
      problem("header does not decode: " + h.status().message());
      continue;
    }
    r.h = *h;
    Check& check = batch.emplace_back();
    check.row = r;
    PublicKey col_author{};
    Id col_prev{};
    Id128 col_case{}, col_key{};
    if (!q.BlobInto(3, col_author) || col_author != r.h.author || uint64_t(q.Int(4)) != r.h.seq ||
        !q.BlobInto(5, col_prev) || col_prev != r.h.prev || q.Int(6) != r.h.kind ||
        !q.BlobInto(7, col_case) || col_case != r.h.case_id || uint64_t(q.Int(8)) != r.h.hlc ||
        !q.BlobInto(9, col_key) || col_key != r.h.key_id) {
      problem("indexed columns disagree with the signed header");
    }
    if (!q.Int(13) && HasPlainPayload(r.h.kind)) {
      // Not a fault of this store (a header may arrive before its payload, DESIGN §4.1),
      // but members, roles and keys follow from these payloads: named, so it is seen.
      rep.missing.push_back({r.id, r.h.author, r.h.seq,
                             std::string(r.h.kind == uint8_t(Kind::kKey)       ? "key"
                                         : r.h.kind == uint8_t(Kind::kControl) ? "control"
                                                                               : "receipt") +
                                 " entry held without its payload (pending until a device "
                                 "that holds it syncs)"});
    }
    if (q.Int(13)) {
      ++rep.payloads;
      ByteView p = q.Blob(12);
      if (p.size() != r.h.payload_len) {
        problem("payload length does not match header");
      } else {
        check.payload.assign(p.begin(), p.end());  // hashed, then checked, on the workers
        check.hash_payload = true;
      }
    }
    switch (EntryStatus(q.Int(10))) {
      case EntryStatus::kAccepted:
        ++rep.accepted;
        break;
      case EntryStatus::kPending:
        ++rep.pending;
        break;
      case EntryStatus::kNeedsUpgrade:
        ++rep.needs_upgrade;
        break;
      case EntryStatus::kQuarantined:
        ++rep.quarantined;
        break;
      default:
        problem("unknown status value " + std::to_string(q.Int(10)));
    }
    chains[r.h.author].push_back({r.id, r.h.prev, r.h.seq, r.h.hlc, q.Int(11) != 0, false});
    batch_bytes += batch.back().payload.size();
    if (batch.size() == kCheckBatch || batch_bytes >= kCheckBatchBytes) check_batch();
  }
  check_batch();
  finish_checks();
  rep.authors = int64_t(chains.size());

  // Pass 2: chains — seq 1 ⇔ prev zero, each prev names the held entry at seq-1, hlc
  // rises. A missing seq below the newest held is a removed entry.
  FC_ASSIGN_OR_RETURN(Stmt signed_bytes,
                      db->Prepare("SELECT header, signature FROM entries WHERE id = ?1"));
  for (auto& [author, rows] : chains) {
    uint64_t expect = 1;
    size_t parents_begin = 0, parents_end = 0;  // the rows at seq - 1, when held
    for (size_t begin = 0; begin < rows.size();) {
      const uint64_t seq = rows[begin].seq;
      size_t end = begin;
      while (end < rows.size() && rows[end].seq == seq) ++end;
      const bool parents_held = parents_end > parents_begin && seq > 1 &&
                                rows[parents_begin].seq == seq - 1;
      for (size_t i = begin; i < end; ++i) {
        Link& r = rows[i];
        auto problem = [&](std::string what) {
          rep.problems.push_back({r.id, author, seq, std::move(what)});
        };
        if (seq != expect) {
          problem("chain gap: entries " + std::to_string(expect) + ".." + std::to_string(seq - 1) +
                  " of this author are missing");
        }
        if ((seq == 1) != IsZero(r.prev)) problem("prev must be zero exactly at seq 1");
        if (seq > 1 && parents_held) {
          Link* parent = nullptr;
          for (size_t j = parents_begin; j < parents_end; ++j)
            if (rows[j].id == r.prev) parent = &rows[j];
          if (parent == nullptr) {
            problem("prev does not match the held entry at seq - 1");
          } else {
            parent->has_child = true;
            if (r.hlc <= parent->hlc) problem("hlc does not increase along the chain");
          }
        }
      }
      // The evidence flag is an index of forks: exactly one row of a seq has it clear.
      size_t clear = 0;
      for (size_t i = begin; i < end; ++i) clear += rows[i].evidence ? 0 : 1;
      if (clear != 1) {
        rep.problems.push_back({rows[begin].id, author, seq,
                                end - begin == 1 ? "evidence flag set on an entry that is no fork"
                                                 : "evidence flags disagree with the fork"});
      }
      if (end - begin > 1) {
        ForkProof proof{author, seq, {}, {}};
        for (size_t i = begin; i < end; ++i) {
          proof.ids.push_back(rows[i].id);
          // Read again: forks are rare, and the signed bytes are not kept per row.
          signed_bytes.Reset();
          signed_bytes.Bind(1, rows[i].id);
          FC_ASSIGN_OR_RETURN(bool held, signed_bytes.Step("reading a forked entry"));
          Bytes hs;
          if (held) {
            ByteView header = signed_bytes.Blob(0), sig = signed_bytes.Blob(1);
            hs.assign(header.begin(), header.end());
            hs.insert(hs.end(), sig.begin(), sig.end());
          }
          proof.headers.push_back(std::move(hs));
        }
        rep.forks.push_back(std::move(proof));
      }
      expect = seq + 1;
      parents_begin = begin;
      parents_end = end;
      begin = end;
    }
  }

  // Entries of a newer header version: kept, counted, checked only for their id.
  FC_ASSIGN_OR_RETURN(Stmt oq, db->Prepare("SELECT id, header, signature FROM opaque"));
  while (true) {
    FC_ASSIGN_OR_RETURN(bool more, oq.Step("reading entries of newer versions"));
    if (!more) break;
    ++rep.entries;
    ++rep.needs_upgrade;
    Id id{};
    Signature sig{};
    if (!oq.BlobInto(0, id) || !oq.BlobInto(2, sig) || EntryId(oq.Blob(1), sig) != id) {
      rep.problems.push_back({id, {}, 0, "entry of a newer version does not match its id"});
    }
  }

  // The heads table is an index of the entries that end a chain or branch: it must say
  // exactly what the entries say (a node that took its next seq from it could fork itself).
  std::map<Id, std::pair<PublicKey, uint64_t>> expected_heads;
  for (const auto& [author, rows] : chains)
    for (const Link& r : rows)
      if (!r.has_child) expected_heads.emplace(r.id, std::make_pair(author, r.seq));
  FC_ASSIGN_OR_RETURN(Stmt hq, db->Prepare("SELECT id FROM heads"));
  FC_ASSIGN_OR_RETURN(Stmt held, db->Prepare("SELECT author, seq FROM entries WHERE id = ?1"));
  std::set<Id> listed;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool more, hq.Step("reading heads"));
    if (!more) break;
    Id id{};
    hq.BlobInto(0, id);
    listed.insert(id);
    if (expected_heads.count(id)) continue;
    held.Reset();
    held.Bind(1, id);
    FC_ASSIGN_OR_RETURN(bool is_held, held.Step("reading heads"));
    if (!is_held) {
      rep.problems.push_back({id, {}, 0, "head names an entry that is not held"});
    } else {
      PublicKey author{};
      held.BlobInto(0, author);
      rep.problems.push_back({id, author, uint64_t(held.Int(1)),
                              "heads table lists an entry that a later entry follows"});
    }
  }
  for (const auto& [id, where] : expected_heads) {
    if (!listed.count(id)) {
      rep.problems.push_back(
          {id, where.first, where.second, "heads table is missing the newest entry of a chain"});
    }
  }

  // What must be there at all: entries and the database's own guards. (That the founding
  // entry is among them needs the payload rules: node::VerifyFolder checks it.)
  if (rep.entries == 0) {
    rep.problems.push_back({{}, {}, 0, "the store holds no entries at all"});
  }
  for (const char* trigger : kAppendOnlyTriggers) {
    FC_ASSIGN_OR_RETURN(Stmt tq, db->Prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
                                             "AND name = ?1"));
    tq.BindText(1, trigger);
    FC_ASSIGN_OR_RETURN(bool present, tq.Step("reading the schema"));
    if (!present) {
      rep.problems.push_back(
          {{},
           {},
           0,
           std::string("the append-only guard '") + trigger + "' is missing from the database"});
    }
  }
  return rep;
}

}  // namespace fieldcase::store
