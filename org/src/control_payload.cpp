#include "fieldcase/org/control_payload.h"

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/aead.h"
#include "fieldcase/record/portable_binary.h"

namespace fieldcase::org {

const char* ToString(Role r) {
  // Indexed by the persisted role value.
  static constexpr const char* kNames[] = {"unknown", "root", "admin",  "supervisor",
                                           "officer", "hub",  "auditor"};
  return IsKnownRole(uint8_t(r)) ? kNames[uint8_t(r)] : kNames[0];
}

std::optional<Role> ParseRole(std::string_view s) {
  for (Role r : kAllRoles) {
    if (s == ToString(r)) return r;
  }
  return std::nullopt;
}

Bytes EncodeControlPayload(const ControlPayload& p) {
  record::strict::Writer w;
  if (const auto* f = std::get_if<Founding>(&p)) {
    w.U8(uint8_t(ControlOpCode::kFounding));
    w.Str(f->org_name);
    w.Fixed(f->recovery_public_key);
  } else if (const auto* c = std::get_if<CutOff>(&p)) {
    w.U8(uint8_t(c->op));
    w.Fixed(c->device);
    w.U64(c->last_seq);
    w.Fixed(c->last_id);
  } else {
    const auto& e = std::get<Enrolment>(p);
    w.U8(uint8_t(ControlOpCode::kEnrol));
    w.Fixed(e.subject);
    w.Fixed(e.box_key);
    w.U8(uint8_t(e.role));
    w.Fixed(e.person_id);
    w.U64(e.expiry_ms);
    w.Blob(e.sealed_personal);
    w.U8(e.predecessor ? 1 : 0);
    if (e.predecessor) {
      w.Fixed(*e.predecessor);
      w.U64(e.predecessor_last_seq);
      w.Fixed(e.predecessor_last_id);
    }
  }
  return w.Take();
}

Result<ControlPayload> DecodeControlPayload(ByteView bytes) {
  ControlPayload out;
  Status s =
      record::strict::Decode(bytes, "control payload", [&](record::strict::Reader& r) -> Status {
        uint8_t op = 0;
        FC_RETURN_IF_ERROR(r.U8(op, "control op"));
        if (op == uint8_t(ControlOpCode::kFounding)) {
          Founding f;
          FC_RETURN_IF_ERROR(r.Str(f.org_name, kMaxOrgNameBytes, "org name"));
          FC_RETURN_IF_ERROR(r.Fixed(f.recovery_public_key, "recovery key"));
          out = std::move(f);
        } else if (op == uint8_t(ControlOpCode::kEnrol)) {
          Enrolment e;
          uint8_t role = 0;
          FC_RETURN_IF_ERROR(r.Fixed(e.subject, "subject key"));
          FC_RETURN_IF_ERROR(r.Fixed(e.box_key, "device key"));
          FC_RETURN_IF_ERROR(r.U8(role, "role"));
          if (!IsKnownRole(role)) return Status::Corruption("control payload: unknown role");
          e.role = Role(role);
          FC_RETURN_IF_ERROR(r.Fixed(e.person_id, "person id"));
          FC_RETURN_IF_ERROR(r.U64(e.expiry_ms, "expiry"));
          FC_RETURN_IF_ERROR(r.Blob(e.sealed_personal, kMaxPersonalBytes, "personal data"));
          uint8_t successor = 0;
          FC_RETURN_IF_ERROR(r.U8(successor, "successor flag"));
          if (successor > 1) return Status::Corruption("control payload: bad successor flag");
          if (successor == 1) {
            PublicKey old{};
            FC_RETURN_IF_ERROR(r.Fixed(old, "predecessor key"));
            FC_RETURN_IF_ERROR(r.U64(e.predecessor_last_seq, "predecessor last seq"));
            FC_RETURN_IF_ERROR(r.Fixed(e.predecessor_last_id, "predecessor last id"));
            if ((e.predecessor_last_seq == 0) != IsZero(e.predecessor_last_id)) {
              return Status::Corruption(
                  "control payload: last_id must be zero exactly when last_seq is 0");
            }
            e.predecessor = old;
          }
          out = std::move(e);
        } else if (op == uint8_t(ControlOpCode::kRevoke) ||
                   op == uint8_t(ControlOpCode::kAcceptUpTo)) {
          CutOff c;
          c.op = ControlOpCode(op);
          FC_RETURN_IF_ERROR(r.Fixed(c.device, "device key"));
          FC_RETURN_IF_ERROR(r.U64(c.last_seq, "last seq"));
          FC_RETURN_IF_ERROR(r.Fixed(c.last_id, "last id"));
          if ((c.last_seq == 0) != IsZero(c.last_id)) {
            return Status::Corruption(
                "control payload: last_id must be zero exactly when last_seq is 0");
          }
          out = c;
        } else {
          return Status::NeedsUpgrade("control payload: unknown op needs upgrade");
        }
        return Status::Ok();
      });
  if (!s.ok()) return s;
  return out;
}

namespace {
Bytes PersonalAd(const Id& org_id, const PublicKey& subject) {
  Bytes ad;
  Append(ad, org_id);
  Append(ad, subject);
  return ad;
}
}  // namespace

Bytes SealPersonal(const Personal& p, const crypto::SecretBytes& directory_key, const Id& org_id,
                   const PublicKey& subject) {
  record::strict::Writer w;
  w.Str(p.name);
  w.Str(p.badge);
  Bytes plain = w.Take();
  auto nonce = crypto::RandomArray<crypto::kAeadNonceBytes>();
  Bytes out(nonce.begin(), nonce.end());
  Append(out, crypto::AeadEncrypt(directory_key, nonce, plain, PersonalAd(org_id, subject)));
  crypto::Wipe(plain.data(), plain.size());
  return out;
}

Result<Personal> OpenPersonal(ByteView sealed, const crypto::SecretBytes& directory_key,
                              const Id& org_id, const PublicKey& subject) {
  ByteReader in(sealed);
  crypto::AeadNonce nonce;
  if (!in.Fixed(nonce, "nonce").ok()) return Status::Corruption("personal data truncated");
  FC_ASSIGN_OR_RETURN(
      crypto::SecretBytes plain,
      crypto::AeadDecrypt(directory_key, nonce, in.Rest(), PersonalAd(org_id, subject)));
  Personal p;
  FC_RETURN_IF_ERROR(
      record::strict::Decode(plain.view(), "personal data", [&](record::strict::Reader& r) {
        FC_RETURN_IF_ERROR(r.Str(p.name, kMaxPersonalFieldBytes, "name"));
        return r.Str(p.badge, kMaxPersonalFieldBytes, "badge");
      }));
  return p;
}

}  // namespace fieldcase::org
