#include "fieldcase/org/payload_rules.h"

#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/receipt_payload.h"

namespace fieldcase::org {

Status ValidateKeyOrControl(const store::Header& h, ByteView payload) {
  if (h.kind == uint8_t(store::Kind::kKey)) {
    FC_ASSIGN_OR_RETURN(KeyPayload p, DecodeKeyPayload(payload));
    if (!IsZero(h.key_id)) return Status::Rejected("key entry: header key_id must be zero");
    if (p.op != KeyOpCode::kGrant && p.key_id != store::KeyIdFor(h.author, h.seq)) {
      return Status::Rejected("key entry: key_id does not derive from author and seq");
    }
    if (p.op == KeyOpCode::kTeamKey && !IsZero(h.case_id)) {
      return Status::Rejected("team-key entry: case_id must be zero");
    }
    if (p.op == KeyOpCode::kCaseKey && IsZero(h.case_id)) {
      return Status::Rejected("case-key entry: case_id must not be zero");
    }
    if (p.generation == 1 && !IsZero(p.previous_key_id)) {
      return Status::Rejected("key entry: generation 1 has no previous key");
    }
    return Status::Ok();
  }
  if (h.kind == uint8_t(store::Kind::kControl)) {
    FC_ASSIGN_OR_RETURN(ControlPayload p, DecodeControlPayload(payload));
    if (!IsZero(h.key_id) || !IsZero(h.case_id)) {
      return Status::Rejected("control entry: case_id and key_id must be zero");
    }
    if (std::holds_alternative<Founding>(p) && h.seq != 1) {
      return Status::Rejected("founding entry must be its author's seq 1");
    }
    return Status::Ok();
  }
  if (h.kind == uint8_t(store::Kind::kReceipt)) {
    FC_ASSIGN_OR_RETURN(Receipt r, DecodeReceipt(payload));
    (void)r;
    if (!IsZero(h.key_id) || !IsZero(h.case_id)) {
      return Status::Rejected("receipt: case_id and key_id must be zero");
    }
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace fieldcase::org
