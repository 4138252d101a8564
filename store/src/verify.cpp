#include "fieldcase/store/verify.h"

#include <map>
#include <set>

#include "db.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"
#include "parallel.h"
#include "schema.h"

namespace fieldcase::store {

namespace {

struct Row {
  Id id{};
  Header h;
  Array<kHeaderV1Bytes> header{};
  Signature sig{};
  bool evidence = false;
};

// What pass 1 checks on the workers for one row.
struct Check {
  Row row;
  Bytes payload;
  bool hash_payload = false;
  bool id_ok = false, sig_ok = false, hash_ok = false;
};
constexpr size_t kCheckBatch = 4096;
constexpr size_t kCheckBatchBytes = 64u << 20;

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
                          "e.case_id, e.hlc, e.key_id, e.status, e.evidence, p.payload, "
                          "p.id IS NOT NULL FROM entries e LEFT JOIN payloads p ON p.id = e.id "
                          "ORDER BY e.author, e.seq"));
  std::map<PublicKey, std::map<uint64_t, std::vector<Row>>> chains;
  // Ids, signatures and payload hashes are checked on worker threads, a batch at a time.
  std::vector<Check> batch;
  size_t batch_bytes = 0;  // payload copies held: bounded, whatever the entries' sizes
  auto check_batch = [&] {
    ParallelFor(batch.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        Check& c = batch[i];
        c.id_ok = EntryId(c.row.header, c.row.sig) == c.row.id;
        c.sig_ok = VerifyEntrySignature(org, c.row.header, c.row.h.author, c.row.sig);
        c.hash_ok = !c.hash_payload || PayloadHash(c.payload) == c.row.h.payload_hash;
      }
    });
    for (const Check& c : batch) {
      auto problem = [&](std::string what) {
        rep.problems.push_back({c.row.id, c.row.h.author, c.row.h.seq, std::move(what)});
      };
      if (!c.id_ok) problem("id does not match header and signature");
      if (!c.sig_ok) problem("bad signature");
      if (!c.hash_ok) {
        problem("payload hash does not match header");
      } else if (c.hash_payload && validator &&
                 (c.row.h.kind == uint8_t(Kind::kKey) || c.row.h.kind == uint8_t(Kind::kControl))) {
        Status v = validator(c.row.h, c.payload);
        if (!v.ok() && !v.IsNeedsUpgrade()) problem(v.message());
      }
    }
    batch.clear();
    batch_bytes = 0;
  };
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
    const bool key_or_control =
        r.h.kind == uint8_t(Kind::kKey) || r.h.kind == uint8_t(Kind::kControl);
    if (!q.Int(13) && key_or_control) {
      // Not a fault of this store (a header may arrive before its payload, DESIGN §4.1),
      // but members, roles and keys follow from these payloads: named, so it is seen.
      rep.missing.push_back({r.id, r.h.author, r.h.seq,
                             std::string(r.h.kind == uint8_t(Kind::kKey) ? "key" : "control") +
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
    r.evidence = q.Int(11) != 0;
    chains[r.h.author][r.h.seq].push_back(r);
    batch_bytes += batch.back().payload.size();
    if (batch.size() == kCheckBatch || batch_bytes >= kCheckBatchBytes) check_batch();
  }
  check_batch();
  rep.authors = int64_t(chains.size());

  // Pass 2: chains — seq 1 ⇔ prev zero, each prev names the held entry at seq-1, hlc
  // rises. A missing seq below the newest held is a removed entry.
  for (auto& [author, by_seq] : chains) {
    uint64_t expect = 1;
    for (auto& [seq, rows] : by_seq) {
      for (Row& r : rows) {
        auto problem = [&](std::string what) {
          rep.problems.push_back({r.id, author, seq, std::move(what)});
        };
        if (seq != expect) {
          problem("chain gap: entries " + std::to_string(expect) + ".." + std::to_string(seq - 1) +
                  " of this author are missing");
        }
        if ((seq == 1) != IsZero(r.h.prev)) problem("prev must be zero exactly at seq 1");
        if (seq > 1) {
          auto it = by_seq.find(seq - 1);
          const Row* parent = nullptr;
          if (it != by_seq.end()) {
            for (const Row& c : it->second)
              if (c.id == r.h.prev) parent = &c;
          }
          if (parent == nullptr && it != by_seq.end()) {
            problem("prev does not match the held entry at seq - 1");
          } else if (parent != nullptr && r.h.hlc <= parent->h.hlc) {
            problem("hlc does not increase along the chain");
          }
        }
      }
      // The evidence flag is an index of forks: exactly one row of a seq has it clear.
      size_t clear = 0;
      for (const Row& r : rows) clear += r.evidence ? 0 : 1;
      if (clear != 1) {
        rep.problems.push_back({rows.front().id, author, seq,
                                rows.size() == 1 ? "evidence flag set on an entry that is no fork"
                                                 : "evidence flags disagree with the fork"});
      }
      if (rows.size() > 1) {
        ForkProof proof{author, seq, {}, {}};
        for (const Row& r : rows) {
          proof.ids.push_back(r.id);
          Bytes hs(r.header.begin(), r.header.end());
          Append(hs, r.sig);
          proof.headers.push_back(std::move(hs));
        }
        rep.forks.push_back(std::move(proof));
      }
      expect = seq + 1;
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
  std::set<Id> parents, expected_heads;
  for (const auto& [author, by_seq] : chains)
    for (const auto& [seq, rows] : by_seq)
      for (const Row& r : rows) parents.insert(r.h.prev);
  std::map<Id, std::pair<PublicKey, uint64_t>> where;
  for (const auto& [author, by_seq] : chains) {
    for (const auto& [seq, rows] : by_seq) {
      for (const Row& r : rows) {
        where[r.id] = {author, seq};
        if (!parents.count(r.id)) expected_heads.insert(r.id);
      }
    }
  }
  FC_ASSIGN_OR_RETURN(Stmt hq, db->Prepare("SELECT id FROM heads"));
  std::set<Id> listed;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool more, hq.Step("reading heads"));
    if (!more) break;
    Id id{};
    hq.BlobInto(0, id);
    listed.insert(id);
    if (!where.count(id)) {
      rep.problems.push_back({id, {}, 0, "head names an entry that is not held"});
    } else if (!expected_heads.count(id)) {
      rep.problems.push_back({id, where[id].first, where[id].second,
                              "heads table lists an entry that a later entry follows"});
    }
  }
  for (const Id& id : expected_heads) {
    if (!listed.count(id)) {
      rep.problems.push_back({id, where[id].first, where[id].second,
                              "heads table is missing the newest entry of a chain"});
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
