// Builds signed entries of a test organisation directly (no keystore, no node), so the
// validity rules can be exercised entry by entry and across several stores.
#pragma once

#include <map>

#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/validity.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::test {

struct OrgBuilder {
  std::map<std::string, crypto::SigningKey> keys;
  std::map<PublicKey, std::pair<uint64_t, Id>> heads;
  uint64_t hlc = uint64_t(1764374400000) << 16;
  Id org{};
  std::vector<store::Entry> log;

  OrgBuilder() {
    Key("root");
    org = store::OrgId(Pk("root"));
  }
  const crypto::SigningKey& Key(const std::string& name) {
    auto it = keys.find(name);
    if (it == keys.end()) it = keys.emplace(name, crypto::SigningKey::Generate()).first;
    return it->second;
  }
  PublicKey Pk(const std::string& name) { return Key(name).public_key(); }

  // Signs the next entry of `who` (or a sibling of seq `at_seq` to make a fork).
  store::Entry Write(const std::string& who, uint8_t kind, Bytes payload, Id128 case_id = {},
                     Id128 key_id = {}, std::optional<uint64_t> fork_at = std::nullopt) {
    const auto& k = Key(who);
    auto& head = heads[k.public_key()];
    store::Header h;
    h.kind = kind;
    h.case_id = case_id;
    h.key_id = key_id;
    h.hlc = ++hlc;
    if (fork_at) {
      // A second entry at seq *fork_at: chain to the entry before it.
      h.seq = *fork_at;
      h.prev = Id{};
      for (const auto& e : log) {
        if (e.header.author == k.public_key() && e.header.seq == *fork_at - 1) h.prev = e.id;
      }
    } else {
      h.seq = head.first + 1;
      h.prev = head.second;
    }
    auto e = store::SignEntry(h, std::move(payload), org, k);
    if (!fork_at) head = {h.seq, e.id};
    log.push_back(e);
    return e;
  }
  store::Entry Found() {
    return Write("root", 3, org::EncodeControlPayload(org::Founding{"Test Force", {}}));
  }
  store::Entry Enrol(const std::string& by, const std::string& who, org::Role role) {
    org::Enrolment en;
    en.subject = Pk(who);
    en.role = role;
    return Write(by, 3, org::EncodeControlPayload(en));
  }
  store::Entry Revoke(const std::string& by, const std::string& who, uint64_t last_seq, Id last_id,
                      org::ControlOpCode op = org::ControlOpCode::kRevoke) {
    return Write(by, 3, org::EncodeControlPayload(org::CutOff{op, Pk(who), last_seq, last_id}));
  }
  // A case-key entry that opens a case; returns it (its case_id is derived from it).
  store::Entry OpenCaseKey(const std::string& who) {
    const auto& k = Key(who);
    uint64_t seq = heads[k.public_key()].first + 1;
    org::KeyPayload p;
    p.op = org::KeyOpCode::kCaseKey;
    p.key_id = store::KeyIdFor(k.public_key(), seq);
    return Write(who, 2, org::EncodeKeyPayload(p), store::CaseIdFor(k.public_key(), seq));
  }
  store::Entry TeamKey(const std::string& who) {
    const auto& k = Key(who);
    uint64_t seq = heads[k.public_key()].first + 1;
    org::KeyPayload p;
    p.op = org::KeyOpCode::kTeamKey;
    p.key_id = store::KeyIdFor(k.public_key(), seq);
    return Write(who, 2, org::EncodeKeyPayload(p));
  }
  store::Entry Data(const std::string& who, const store::Entry& case_key) {
    return Write(who, 1, Bytes(72, 0xAB), case_key.header.case_id,
                 store::KeyIdFor(case_key.header.author, case_key.header.seq));
  }

  std::vector<org::ValidityInput> Inputs(const std::vector<store::Entry>& entries) const {
    std::vector<org::ValidityInput> in;
    for (const auto& e : entries) {
      store::StoredEntry se;
      se.entry = e;
      in.push_back(org::MakeValidityInput(se));
    }
    return in;
  }
  std::map<Id, store::EntryStatus> Statuses(const std::vector<store::Entry>& entries) const {
    const auto inputs = Inputs(entries);
    return org::StatusById(inputs, org::ComputeValidity(org, inputs));
  }
};

}  // namespace fieldcase::test
