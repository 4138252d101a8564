#include "fieldcase/node/disclosure.h"

#include <cstdlib>
#include <map>
#include <set>

#include "fieldcase/base/cleanup.h"
#include "fieldcase/base/system_error.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/record/data_payload.h"
#include "fieldcase/record/hlc.h"
#include "fieldcase/sync/ingest.h"
#include "parts.h"

namespace fieldcase::node {

namespace {

constexpr size_t kKeyRecordBytes = 32 + 32;
constexpr size_t kFileHeadBytes = 4 + 1 + 32 + 16 + 4;

std::string Short(ByteView b) { return ToHex(b).substr(0, 16); }

}  // namespace

Bytes WriteDisclosure(const DisclosureFile& d) {
  ByteWriter w;
  w.Raw(AsBytes(kDisclosureMagic));
  w.U8(kDisclosureVersion);
  w.Fixed(d.org_id);
  w.Fixed(d.case_id);
  w.U32(uint32_t(d.entries.size()));
  for (const auto& e : d.entries) store::PutRawEntry(w, e);
  w.U32(uint32_t(d.keys.size()));
  for (const auto& k : d.keys) {
    w.Fixed(k.entry);
    w.Fixed(k.entry_key);
  }
  return w.Take();
}

Result<DisclosureFile> ReadDisclosure(ByteView file) {
  if (file.size() < kFileHeadBytes ||
      !std::equal(kDisclosureMagic.begin(), kDisclosureMagic.end(), file.begin())) {
    return Status::Corruption("not a fieldcase disclosure (no FCDS magic)");
  }
  ByteReader r(file);
  ByteView magic;
  uint8_t version = 0;
  FC_RETURN_IF_ERROR(r.Take(kDisclosureMagic.size(), magic, "magic"));
  FC_RETURN_IF_ERROR(r.U8(version, "version"));
  if (version != kDisclosureVersion) {
    return Status::Corruption("disclosure version " + std::to_string(version) +
                              " is not one this fieldcase reads (1)");
  }
  DisclosureFile d;
  FC_RETURN_IF_ERROR(r.Fixed(d.org_id, "organisation id"));
  FC_RETURN_IF_ERROR(r.Fixed(d.case_id, "case id"));
  uint32_t n = 0;
  FC_RETURN_IF_ERROR(r.U32(n, "entry count"));
  if (n == 0) return Status::Corruption("disclosure carries no entries");
  FC_RETURN_IF_ERROR(r.Bound(n, kMaxDisclosureEntries, store::kMinRawEntryRecordBytes, "entries"));
  d.entries.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    store::RawEntry& e = d.entries[i];
    Status s = store::GetRawEntry(r, e);
    if (!s.ok()) return Status::Corruption("entry " + std::to_string(i + 1) + ": " + s.message());
    if (e.header.size() != store::kHeaderV1Bytes || e.header[0] != store::kVersion1) {
      return Status::Corruption("entry " + std::to_string(i + 1) +
                                ": only version-1 headers of 151 bytes are disclosed");
    }
  }
  uint32_t k = 0;
  FC_RETURN_IF_ERROR(r.U32(k, "key count"));
  FC_RETURN_IF_ERROR(r.Bound(k, n, kKeyRecordBytes, "entry keys"));
  d.keys.resize(k);
  for (auto& key : d.keys) {
    FC_RETURN_IF_ERROR(r.Fixed(key.entry, "disclosed entry id"));
    FC_RETURN_IF_ERROR(r.Fixed(key.entry_key, "entry key"));
  }
  FC_RETURN_IF_ERROR(r.End("disclosure"));
  return d;
}

namespace {

// A throw-away data folder for the check, removed with everything in it.
Result<std::filesystem::path> MakeScratch(const std::filesystem::path& under) {
  std::string tmpl = (under / "fieldcase-disclosure-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return ErrnoStatus(errno, "cannot make a scratch folder under " + under.string() +
                                  " to check the disclosure in (set TMPDIR to a writable folder)");
  }
  return std::filesystem::path(tmpl);
}

}  // namespace

Result<DisclosureFindings> CheckDisclosure(const DisclosureFile& d,
                                           const std::filesystem::path& scratch_dir,
                                           int64_t now_ms) {
  DisclosureFindings out;
  out.org_id = d.org_id;
  out.case_id = d.case_id;
  out.entries = d.entries.size();
  auto& problems = out.problems;

  FC_ASSIGN_OR_RETURN(std::filesystem::path dir, MakeScratch(scratch_dir));
  Cleanup remove([&] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });
  // The same checks as every entry from elsewhere: structure, signature over the org id,
  // chain links, payload hashes, key and control payload rules, then statuses.
  FC_ASSIGN_OR_RETURN(auto log, OpenLog(store::DataDir{dir}));
  FC_RETURN_IF_ERROR(log->SetOrgId(d.org_id));
  record::HybridClock clock;
  FC_ASSIGN_OR_RETURN(sync::ImportReport rep, sync::Ingest(*log, clock, {}, d.entries, now_ms));
  for (const auto& reason : rep.reasons) problems.push_back("entry refused: " + reason);
  if (rep.duplicates > 0) {
    problems.push_back(std::to_string(rep.duplicates) + " entries are carried twice");
  }
  if (rep.gaps > 0) {
    problems.push_back(std::to_string(rep.gaps) +
                       " entries follow an entry the disclosure does not carry: a chain is "
                       "incomplete");
  }

  std::vector<store::StoredEntry> held;
  FC_RETURN_IF_ERROR(log->ForEach({}, [&](store::StoredEntry& se) {
    held.push_back(std::move(se));
    return Status::Ok();
  }));
  std::map<Id, const store::StoredEntry*> by_id;
  std::map<PublicKey, std::set<uint64_t>> seqs;
  std::vector<store::StoredEntry> control;
  for (const auto& se : held) {
    by_id.emplace(se.entry.id, &se);
    seqs[se.entry.header.author].insert(se.entry.header.seq);
    if (se.entry.header.kind == uint8_t(store::Kind::kControl)) control.push_back(se);
  }
  const auto members = org::Membership::Learn(d.org_id, std::move(control), nullptr);
  out.org_name = members.org_name();
  const store::StoredEntry* founding = nullptr;
  for (const auto& se : held) {
    const auto* m = members.Find(se.entry.header.author);
    if (m && m->role == org::Role::kRoot && se.entry.header.seq == 1 &&
        se.status == store::EntryStatus::kAccepted) {
      founding = &se;
    }
  }
  if (founding == nullptr) {
    problems.push_back("the founding entry of organisation " + Short(d.org_id) +
                       " is not carried, or does not verify: nothing can be proven");
  } else {
    out.root = founding->entry.header.author;
  }
  // Each chain from seq 1 to its last carried entry (the store links prev to prev).
  for (const auto& [author, s] : seqs) {
    if (s.empty() || *s.begin() != 1 || *s.rbegin() != s.size()) {
      problems.push_back("author " + Short(author) + ": the chain is not carried from seq 1 "
                         "without a gap");
    }
  }

  // The disclosed entries: each key must open its entry, and be checked by its commitment.
  std::map<Id, record::Op> opened;
  for (const auto& k : d.keys) {
    auto it = by_id.find(k.entry);
    if (it == by_id.end()) {
      problems.push_back("a key names entry " + Short(k.entry) +
                         ", which the disclosure does not carry (or which was refused)");
      continue;
    }
    const store::Entry& e = it->second->entry;
    if (e.header.kind != uint8_t(store::Kind::kData) || e.header.case_id != d.case_id ||
        !e.payload) {
      problems.push_back("a key names entry " + Short(k.entry) +
                         ", which is not a data entry of the case with its payload");
      continue;
    }
    if (opened.count(k.entry)) {
      problems.push_back("entry " + Short(k.entry) + " has two keys");
      continue;
    }
    auto op = record::OpenDataOpWithEntryKey(k.entry_key, d.org_id, e.header, *e.payload);
    if (!op.ok()) {
      problems.push_back("entry " + Short(k.entry) + ": its key does not open it (" +
                         op.status().message() + ")");
      continue;
    }
    opened.emplace(k.entry, std::move(op).value());
  }

  record::CaseState state;
  std::map<PublicKey, DisclosedAuthor> authors;
  for (const auto& se : held) {
    const store::Entry& e = se.entry;
    const bool of_case = e.header.case_id == d.case_id &&
                         (e.header.kind == uint8_t(store::Kind::kData) ||
                          e.header.kind == uint8_t(store::Kind::kKey));
    const bool disclosed = opened.count(e.id) > 0;
    if (e.header.kind == uint8_t(store::Kind::kData) && e.payload && !disclosed) {
      problems.push_back("entry " + Short(e.id) +
                         " carries an encrypted payload but no key that opens it");
    }
    if (!of_case) continue;
    DisclosedLine l;
    static_cast<record::EntryStamp&>(l) = record::StampOf(e);
    l.kind = e.header.kind;
    l.status = se.status;
    if (disclosed) {
      l.op = opened.at(e.id);
      // Only accepted entries are in the view, as on every device.
      if (se.status == store::EntryStatus::kAccepted) {
        state.Apply(record::RecordEntry{record::StampOf(e), *l.op});
      }
    }
    if (e.header.kind == uint8_t(store::Kind::kData)) {
      ++out.case_entries;
      if (disclosed) ++out.disclosed;
    }
    DisclosedAuthor& a = authors[e.header.author];
    a.key = e.header.author;
    a.disclosed += disclosed ? 1 : 0;
    out.lines.push_back(std::move(l));
  }
  if (out.case_entries == 0) {
    problems.push_back("the disclosure carries no data entry of case " + ToHex(d.case_id) +
                       ": it discloses nothing of it");
  }
  out.view = std::move(state).View();
  std::map<Id, std::vector<Id>> superseded;
  for (auto& [name, field] : out.view.fields)
    for (auto& item : field.history) superseded[item.set.id] = item.superseded_by;
  for (auto& item : out.view.status.history) superseded[item.set.id] = item.superseded_by;
  for (auto& l : out.lines) {
    if (auto it = superseded.find(l.id); it != superseded.end()) l.superseded_by = it->second;
  }
  std::sort(out.lines.begin(), out.lines.end(), [](const DisclosedLine& a, const DisclosedLine& b) {
    return record::CanonicalLess(a, b);
  });
  // Receipts: accepted (so by a hub key), their covered head of a case author carried.
  for (const auto& se : held) {
    if (se.entry.header.kind != uint8_t(store::Kind::kReceipt) || !se.entry.payload ||
        se.status != store::EntryStatus::kAccepted) {
      continue;
    }
    auto r = org::DecodeReceipt(*se.entry.payload);
    if (!r.ok()) continue;
    for (const auto& h : r->heads) {
      if (!authors.count(h.author)) continue;
      auto carried = by_id.find(h.id);
      if (carried == by_id.end()) continue;  // covers more than was disclosed: says nothing here
      const store::Header& hh = carried->second->entry.header;
      if (hh.author != h.author || hh.seq != h.seq) {
        problems.push_back("receipt " + Short(se.entry.id) + " names entry " + Short(h.id) +
                           " at another author or seq than the entry has");
        continue;
      }
      out.receipts.push_back({se.entry.id, se.entry.header.author, r->hub_time_ms, h.author, h.seq, h.id});
    }
  }
  for (const auto& [key, m] : members.members()) out.roles.emplace(key, m.role);
  for (auto& [key, a] : authors) {
    if (const org::Member* m = members.Find(key)) {
      a.role = m->role;
      a.person_id = m->person_id;
    }
    a.revoked = members.IsRevoked(key);
    auto s = seqs.find(key);
    a.last_seq = s == seqs.end() || s->second.empty() ? 0 : *s->second.rbegin();
    out.authors.push_back(a);
  }
  return out;
}

}  // namespace fieldcase::node
