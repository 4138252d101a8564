// Node: writing cases — opening one (its first key entry and the open-case op) and data
// entries under the preferred case key.
#include "fieldcase/crypto/secret.h"
#include "fieldcase/node/node.h"
#include "fieldcase/record/data_payload.h"
#include "parts.h"

namespace fieldcase::node {

using org::KeyOpCode;

Result<Id128> Node::OpenCase(const record::OpenCase& op, int64_t now_ms,
                             const std::vector<Id128>& restricted_to) {
  Parts& p = *p_;
  const org::Role role = p.signer.writer_role();
  FC_RETURN_IF_ERROR(p.signer.CheckMayWrite(role, p.members, *p.log));
  const bool restricted = !restricted_to.empty();
  if (!restricted && !p.ring.preferred_team_key()) {
    return Status::NotPermitted("this node holds no team key yet; sync with a supervisor first");
  }
  FC_RETURN_IF_ERROR(record::CheckOp(op));
  std::set<Id128> persons(restricted_to.begin(), restricted_to.end());
  if (restricted) {
    if (const org::Member* me = p.members.Find(p.signer.writer().public_key())) {
      persons.insert(me->person_id);  // the opener is named
    }
  }
  FC_ASSIGN_OR_RETURN(Id orglog, p.CurrentOrgLogDigest());
  auto case_key = crypto::SecretBytes::Random(org::kSymmetricKeyBytes);
  // The case id derives from the key entry's (author, seq), which the signer assigns; the
  // header's case_id must be set before signing, so compute it from the next seq here.
  const PublicKey& author = p.signer.writer().public_key();
  FC_ASSIGN_OR_RETURN(auto head, p.log->HeadOf(author));
  const uint64_t seq = head ? head->seq + 1 : 1;
  const Id128 case_id = store::CaseIdFor(author, seq);
  const Id128 key_id = store::KeyIdFor(author, seq);
  std::vector<Draft> drafts;
  drafts.push_back(KeyDraft(role, case_id, [&](org::KeyPayload& k, const store::Header&) {
    k.op = KeyOpCode::kCaseKey;
    k.key_id = key_id;
    k.generation = 1;
    k.check = org::KeyCheck(case_key);
    k.orglog_digest = orglog;
    FC_ASSIGN_OR_RETURN(k.wraps,
                        p.CaseKeyWraps(case_key, case_id, key_id, restricted ? &persons : nullptr));
    return Status::Ok();
  }));
  Bytes op_bytes = record::EncodeOp(op);
  Draft data =
      Draft::Of(role, store::Kind::kData, case_id, [&](const store::Header& h) -> Result<Bytes> {
        return record::SealData(case_key, p.org_id, h, op_bytes);
      });
  data.header.key_id = key_id;
  drafts.push_back(std::move(data));
  auto ids = p.Commit(std::move(drafts), now_ms);
  crypto::Wipe(op_bytes.data(), op_bytes.size());
  FC_RETURN_IF_ERROR(ids.status());
  return case_id;
}

Result<std::vector<Id>> Node::WriteBatch(const std::vector<std::pair<Id128, record::Op>>& ops,
                                         int64_t now_ms) {
  Parts& p = *p_;
  const org::Role role = p.signer.writer_role();
  FC_RETURN_IF_ERROR(p.signer.CheckMayWrite(role, p.members, *p.log));
  // Lazy rotation: never encrypt under a key a revoked device could read.
  std::set<Id128> cases;
  for (const auto& [case_id, op] : ops) cases.insert(case_id);
  for (const Id128& c : cases) {
    FC_RETURN_IF_ERROR(p.ring.EnsureCase(c));
    FC_RETURN_IF_ERROR(p.RotateCaseKeyIfExposed(c, now_ms));
  }
  std::vector<Draft> drafts;
  drafts.reserve(ops.size());
  for (const auto& [case_id, op] : ops) {
    FC_RETURN_IF_ERROR(record::CheckOp(op));
    const auto ck = p.ring.PreferredCaseKey(case_id);
    if (!ck) {
      return Status::NotFound("no case " + ToHex(case_id) +
                              " readable here; see `fieldcase case list`");
    }
    const crypto::SecretBytes* key = p.ring.Key(ck->key_id);
    const record::Op* opp = &op;
    const Id* org = &p.org_id;
    Draft d = Draft::Of(role, store::Kind::kData, case_id,
                        [key, opp, org](const store::Header& h) -> Result<Bytes> {
                          Bytes b = record::EncodeOp(*opp);
                          Bytes out = record::SealData(*key, *org, h, b);
                          crypto::Wipe(b.data(), b.size());
                          return out;
                        });
    d.header.key_id = ck->key_id;
    drafts.push_back(std::move(d));
  }
  return p.Commit(std::move(drafts), now_ms);
}

Result<Id> Node::Write(const Id128& case_id, const record::Op& op, int64_t now_ms) {
  FC_ASSIGN_OR_RETURN(auto ids, WriteBatch({{case_id, op}}, now_ms));
  return ids.front();
}

}  // namespace fieldcase::node
