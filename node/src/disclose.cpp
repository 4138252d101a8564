// Node::Disclose: gathers what a disclosure carries (node/disclosure.h) from this store.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "fieldcase/node/disclosure.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/record/data_payload.h"
#include "parts.h"

namespace fieldcase::node {

namespace {

store::RawEntry Raw(const store::Entry& e, bool with_payload) {
  store::RawEntry r;
  r.header.assign(e.header_bytes.begin(), e.header_bytes.end());
  r.signature = e.signature;
  if (with_payload) r.payload = e.payload;
  return r;
}

// The data entries of the case a list of id prefixes names, each exactly one.
Result<std::set<Id>> Chosen(const std::vector<std::string>& prefixes,
                            const std::vector<store::StoredEntry>& data) {
  std::set<Id> out;
  for (const std::string& p : prefixes) {
    std::string t = p;
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (t.size() < 8 || t.size() > 64 || t.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::InvalidArgument("'" + p + "' is not an entry id (8 to 64 hex digits); see "
                                     "`fieldcase case history CASE`");
    }
    const store::StoredEntry* match = nullptr;
    for (const auto& se : data) {
      if (ToHex(se.entry.id).compare(0, t.size(), t) != 0) continue;
      if (match != nullptr) {
        return Status::InvalidArgument("entry id prefix '" + t + "' is ambiguous; give more digits");
      }
      match = &se;
    }
    if (match == nullptr) {
      return Status::NotFound("no data entry " + t + " in this case; see `fieldcase case history CASE`");
    }
    out.insert(match->entry.id);
  }
  return out;
}

}  // namespace

Result<DisclosureFile> Node::Disclose(const Id128& case_id,
                                      const std::vector<std::string>& entry_prefixes) {
  FC_RETURN_IF_ERROR(p_->ring.EnsureCase(case_id));
  std::vector<store::StoredEntry> of_case;
  store::EntryFilter f;
  f.case_id = case_id;
  FC_RETURN_IF_ERROR(p_->log->ForEach(f, [&](store::StoredEntry& se) {
    of_case.push_back(std::move(se));
    return Status::Ok();
  }));
  std::vector<store::StoredEntry> data;
  for (const auto& se : of_case) {
    if (se.entry.header.kind == uint8_t(store::Kind::kData) && se.entry.payload) data.push_back(se);
  }
  std::set<Id> chosen;
  if (entry_prefixes.empty()) {
    // Every entry this device can open; one it cannot (another key, a bad commitment)
    // travels as a header, undisclosed, rather than stopping the disclosure.
    for (const auto& se : data) {
      const crypto::SecretBytes* key = p_->ring.Key(se.entry.header.key_id);
      const org::KeyInfo* info = p_->ring.Info(se.entry.header.key_id);
      if (key == nullptr || info == nullptr || info->case_id != case_id) continue;
      if (!record::OpenDataOp(*key, p_->org_id, se.entry.header, *se.entry.payload).ok()) continue;
      chosen.insert(se.entry.id);
    }
  } else {
    FC_ASSIGN_OR_RETURN(chosen, Chosen(entry_prefixes, data));
  }

  DisclosureFile d;
  d.org_id = p_->org_id;
  d.case_id = case_id;
  std::map<Id, store::RawEntry> carried;
  std::map<PublicKey, uint64_t> last_seq;
  auto carry = [&](const store::Entry& e, bool with_payload) {
    carried.emplace(e.id, Raw(e, with_payload));
    uint64_t& s = last_seq[e.header.author];
    s = std::max(s, e.header.seq);
  };
  // The organisation log, whole: enrolments, roles and revocations are proven from it.
  store::EntryFilter control;
  control.kind = uint8_t(store::Kind::kControl);
  FC_RETURN_IF_ERROR(p_->log->ForEach(control, [&](store::StoredEntry& se) {
    carry(se.entry, true);
    return Status::Ok();
  }));
  for (const auto& se : of_case) {
    const store::Entry& e = se.entry;
    if (e.header.kind == uint8_t(store::Kind::kKey)) {
      carry(e, true);
    } else if (!chosen.count(e.id)) {
      carry(e, false);
    } else {
      const crypto::SecretBytes* key = p_->ring.Key(e.header.key_id);
      const org::KeyInfo* info = p_->ring.Info(e.header.key_id);
      if (key == nullptr || info == nullptr || info->case_id != case_id) {
        return Status::NotPermitted("entry " + ToHex(e.id).substr(0, 16) +
                                    " cannot be read on this device, so it cannot be disclosed "
                                    "from here");
      }
      FC_ASSIGN_OR_RETURN(crypto::SecretBytes entry_key,
                          record::EntryKeyOf(*key, e.header, *e.payload));
      DisclosedKey k;
      k.entry = e.id;
      std::copy(entry_key.view().begin(), entry_key.view().end(), k.entry_key.begin());
      d.keys.push_back(k);
      carry(e, true);
    }
  }
  // Hub receipts: for each hub and each author of the case, the earliest receipt whose
  // head of that author is at or past the author's last entry carried — the hub held all
  // of them by its time. The chain is then carried up to that head.
  std::map<PublicKey, uint64_t> case_last;
  for (const auto& se : of_case) {
    uint64_t& s = case_last[se.entry.header.author];
    s = std::max(s, se.entry.header.seq);
  }
  std::vector<store::StoredEntry> receipts;
  store::EntryFilter rf;
  rf.kind = uint8_t(store::Kind::kReceipt);
  FC_RETURN_IF_ERROR(p_->log->ForEach(rf, [&](store::StoredEntry& se) {
    if (se.status == store::EntryStatus::kAccepted && se.entry.payload) receipts.push_back(std::move(se));
    return Status::Ok();
  }));
  std::vector<const store::StoredEntry*> in_order;  // by hub, then its seq
  for (const auto& se : receipts) in_order.push_back(&se);
  std::sort(in_order.begin(), in_order.end(), [](const store::StoredEntry* a, const store::StoredEntry* b) {
    return std::tie(a->entry.header.author, a->entry.header.seq) <
           std::tie(b->entry.header.author, b->entry.header.seq);
  });
  std::set<std::pair<PublicKey, PublicKey>> witnessed;  // (hub, author)
  for (const store::StoredEntry* rp : in_order) {
    const store::StoredEntry& se = *rp;
    auto r = org::DecodeReceipt(*se.entry.payload);
    if (!r.ok()) continue;
    bool used = false;
    for (const auto& h : r->heads) {
      auto last = case_last.find(h.author);
      if (last == case_last.end() || h.seq < last->second ||
          witnessed.count({se.entry.header.author, h.author})) {
        continue;
      }
      FC_ASSIGN_OR_RETURN(bool held, p_->log->Contains(h.id));
      if (!held) continue;
      witnessed.insert({se.entry.header.author, h.author});
      uint64_t& s = last_seq[h.author];
      s = std::max(s, h.seq);
      used = true;
    }
    if (used) carry(se.entry, true);
  }
  // Every author's chain from seq 1: headers of what lies between, no payloads.
  for (const auto& [author, upto] : last_seq) {
    store::EntryFilter mine;
    mine.author = author;
    mine.payloads = false;
    FC_RETURN_IF_ERROR(p_->log->ForEach(mine, [&](store::StoredEntry& se) {
      if (se.entry.header.seq <= upto && !carried.count(se.entry.id)) {
        carried.emplace(se.entry.id, Raw(se.entry, false));
      }
      return Status::Ok();
    }));
  }
  for (auto& [id, raw] : carried) d.entries.push_back(std::move(raw));
  return d;
}

}  // namespace fieldcase::node
