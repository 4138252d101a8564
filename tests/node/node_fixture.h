// Several nodes of one organisation in one process, each in its own data folder, and the
// moves between them that sync will make over a wire. Shared by the node and regression tests.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "fieldcase/node/node.h"
#include "fieldcase/org/enrolment.h"
#include "test_util.h"

namespace fieldcase::test {

using node::FoundOptions;
using node::Node;
using org::Role;

inline constexpr int64_t kNow = 1764374400000;

inline crypto::SecretBytes Pass() {
  return crypto::SecretBytes::CopyFrom(AsBytes("Correct-Horse-42"));
}

// A case of the built-in stalking template with one field and one note kind.
inline record::OpenCase SmallCase() {
  record::OpenCase op;
  op.template_name = "stalking";
  op.fields = {{"victim", {}}};
  op.note_kinds = {"incident"};
  return op;
}

// Several nodes of one organisation in one process, each in its own data folder.
struct Org {
  test::TempDir tmp;
  std::unique_ptr<Node> hq;  // root, admin and supervisor keys
  Id128 case_id{};

  Org() {
    FoundOptions o;
    o.org_name = "Test Force";
    o.person_name = "Sgt Hq";
    o.cost = crypto::KdfCost::kInsecureFast;
    o.recovery_out = tmp.path() / "recovery";
    auto n = Node::Found({tmp.path() / "hq"}, o, Pass(),
                         crypto::SecretBytes::CopyFrom(AsBytes("Recovery-Staple-77")), kNow);
    REQUIRE(n.ok());
    hq = std::move(n).value();
    auto c = hq->OpenCase(SmallCase(), kNow);
    REQUIRE(c.ok());
    case_id = *c;
    REQUIRE(hq->Write(case_id, record::AddNote{"incident", "written at HQ"}, kNow).ok());
  }

  std::unique_ptr<Node> Device(const std::string& name, Role role) {
    auto d = Node::InitDevice({tmp.path() / name}, Pass(), crypto::KdfCost::kInsecureFast);
    REQUIRE(d.ok());
    auto req = (*d)->MakeEnrolRequest(name, "B-" + name);
    REQUIRE(req.ok());
    auto decoded = org::DecodeEnrolRequest(*req);
    REQUIRE(decoded.ok());
    auto out = hq->Enrol(*decoded, role, kNow);
    REQUIRE(out.ok());
    auto resp = org::DecodeEnrolResponse(out->response);
    REQUIRE(resp.ok());
    REQUIRE((*d)->Join(*resp, Pass(), kNow).ok());
    return std::move(d).value();
  }
};

// Moves everything `from` holds into `to` (what sync will do over a wire).
inline sync::ImportReport Sync(Node& from, Node& to) {
  auto all = from.ExportAll();
  REQUIRE(all.ok());
  auto rep = to.Import(*all, kNow);
  REQUIRE(rep.ok());
  return *rep;
}

}  // namespace fieldcase::test
