// Helpers shared by the issue 7 regression tests: reading keys and notes back, editing a
// closed store as someone with the file would, and making enrolment responses.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fieldcase/node/node.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "edit_database.h"
#include "forger.h"
#include "node/node_fixture.h"

namespace fieldcase::test {

// The introducing key entries of a case (zero: the team key), by generation.
inline std::vector<Id128> KeyIds(node::Node& n, const Id128& case_id) {
  std::vector<std::pair<uint32_t, Id128>> found;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kKey);
  REQUIRE(n.log()
              .ForEach(f,
                       [&](store::StoredEntry& se) {
                         auto p = org::DecodeKeyPayload(*se.entry.payload);
                         if (p.ok() && p->op != org::KeyOpCode::kGrant &&
                             se.entry.header.case_id == case_id) {
                           found.emplace_back(p->generation, store::KeyIdFor(se.entry.header.author,
                                                                             se.entry.header.seq));
                         }
                         return Status::Ok();
                       })
              .ok());
  std::sort(found.begin(), found.end());
  std::vector<Id128> out;
  for (auto& [gen, id] : found) out.push_back(id);
  return out;
}

inline Id128 KeyIdOfEntry(node::Node& n, const Id& id) {
  auto e = n.log().Get(id);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  return (*e)->entry.header.key_id;
}

inline std::string NoteTexts(node::Node& n, const Id128& case_id) {
  auto v = n.LoadCase(case_id);
  REQUIRE(v.ok());
  std::string out;
  for (const auto& note : v->notes) out += note.text + "|";
  return out;
}

inline PublicKey BoxKeyOf(node::Node& n, const PublicKey& member) {
  return n.members().at(member).box_key;
}

// The control entry that enrolled `member`, as the node holds it.
inline store::StoredEntry CertificateOf(node::Node& n, const PublicKey& member) {
  std::optional<store::StoredEntry> cert;
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kControl);
  REQUIRE(n.log()
              .ForEach(f,
                       [&](store::StoredEntry& se) {
                         auto p = org::DecodeControlPayload(*se.entry.payload);
                         if (p.ok() && std::holds_alternative<org::Enrolment>(*p) &&
                             std::get<org::Enrolment>(*p).subject == member) {
                           cert = se;
                         }
                         return Status::Ok();
                       })
              .ok());
  REQUIRE(cert);
  return *cert;
}

inline std::string Blob(ByteView b) { return "x'" + ToHex(b) + "'"; }

inline std::unique_ptr<node::Node> Reopen(const std::filesystem::path& dir) {
  auto n = node::Node::Unlock({dir}, Pass());
  REQUIRE(n.ok());
  return std::move(n).value();
}

inline bool IsRevoked(node::Node& n, const PublicKey& key) {
  for (const auto& v : n.Members())
    if (v.member.key == key) return v.revoked;
  FAIL("not a member");
  return false;
}

struct Enrolment {
  std::unique_ptr<node::Node> device;
  Bytes response;
};

inline Enrolment NewDeviceAndResponse(Org& org, const std::string& name) {
  auto d = node::Node::InitDevice({org.tmp.path() / name}, Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(d.ok());
  auto req = (*d)->MakeEnrolRequest(name, "B-" + name);
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  return {std::move(d).value(), out->response};
}

}  // namespace fieldcase::test
