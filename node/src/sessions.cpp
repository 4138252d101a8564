// Node: this device as a party to a sync session (net/ drives the session; the CLI wires
// these into net::Host).
#include <chrono>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/org_log.h"
#include "parts.h"

namespace fieldcase::node {

using org::Role;

namespace {

constexpr std::string_view kPeerSyncs = "peer-syncs";
constexpr size_t kPeerSyncBytes = 32 + 8 + 8 + 8;

}  // namespace

Result<SessionIdentity> Node::SessionIdentityNow() {
  Parts& p = *p_;
  if (!is_member()) {
    return Status::NotPermitted("this device has not joined an organisation yet; `fieldcase join`");
  }
  SessionIdentity id;
  for (Role r : {Role::kOfficer, Role::kSupervisor, Role::kAdmin, Role::kHub, Role::kAuditor}) {
    if (!p.signer.Has(r)) continue;
    const auto& key = p.signer.Key(r);
    if (p.members.Find(key.public_key()) == nullptr || p.members.IsRevoked(key.public_key())) {
      continue;
    }
    id.key = &key;
    break;
  }
  if (id.key == nullptr) {
    return Status::NotPermitted(
        "this device holds no current member key to sync with (revoked?); see `fieldcase "
        "status`");
  }
  // The entry that enrolled it, so a peer that has not heard of it yet can check it.
  store::EntryFilter control;
  control.kind = uint8_t(store::Kind::kControl);
  FC_RETURN_IF_ERROR(p.log->ForEach(control, [&](store::StoredEntry& se) {
    if (!id.enrolment.empty() || !se.entry.payload) return Status::Ok();
    auto payload = org::DecodeControlPayload(*se.entry.payload);
    if (!payload.ok()) return Status::Ok();
    const auto* en = std::get_if<org::Enrolment>(&*payload);
    if (en == nullptr || en->subject != id.key->public_key()) return Status::Ok();
    ByteWriter w;
    store::PutRawEntry(w, {Bytes(se.entry.header_bytes.begin(), se.entry.header_bytes.end()),
                           se.entry.signature, se.entry.payload});
    id.enrolment = w.Take();
    return Status::Ok();
  }));
  FC_ASSIGN_OR_RETURN(id.org_log_digest, p.CurrentOrgLogDigest());
  return id;
}

namespace {

// The role an enrolment record grants `key`, when it is a control entry of this org, signed
// by a current administrator (root for an administrator), naming `key`, not expired. The
// record may not chain onto what this node holds yet (the enrolments before it travel in
// the org-log phase), so it is checked on its own: its author's authority, its signature
// over the exact header bytes, its payload against the header.
std::optional<Role> EnrolledBy(const org::Membership& members, const Id& org_id,
                               const PublicKey& key, ByteView record, int64_t now_ms) {
  ByteReader r(record);
  store::RawEntry e;
  if (!store::GetRawEntry(r, e).ok() || r.remaining() != 0 || !e.payload) return std::nullopt;
  auto h = store::DecodeHeader(e.header);
  if (!h.ok() || h->kind != uint8_t(store::Kind::kControl)) return std::nullopt;
  const org::Member* author = members.Find(h->author);
  if (author == nullptr || members.IsRevoked(h->author) ||
      (author->role != Role::kAdmin && author->role != Role::kRoot)) {
    return std::nullopt;
  }
  if (store::PayloadHash(*e.payload) != h->payload_hash ||
      !store::VerifyEntrySignature(org_id, e.header, h->author, e.signature)) {
    return std::nullopt;
  }
  auto payload = org::DecodeControlPayload(*e.payload);
  if (!payload.ok()) return std::nullopt;
  const auto* en = std::get_if<org::Enrolment>(&*payload);
  if (en == nullptr || en->subject != key || en->role == Role::kRoot ||
      (en->role == Role::kAdmin && author->role != Role::kRoot) ||
      (en->expiry_ms != 0 && uint64_t(now_ms) >= en->expiry_ms)) {
    return std::nullopt;
  }
  return en->role;
}

}  // namespace

Result<std::string> Node::AdmitPeer(const PublicKey& key, ByteView enrolment, int64_t now_ms) {
  Parts& p = *p_;
  if (p.members.IsRevoked(key)) return Status::NotPermitted("revoked");
  std::optional<Role> role;
  std::string name;
  if (const org::Member* m = p.members.Find(key)) {
    if (m->role != Role::kRoot && (m->expiry_ms == 0 || uint64_t(now_ms) < m->expiry_ms)) {
      role = m->role;
    }
    if (m->personal) name = m->personal->name;
  } else if (!enrolment.empty()) {
    role = EnrolledBy(p.members, p.org_id, key, enrolment, now_ms);
  }
  if (!role) return Status::NotPermitted("not a current member device");
  std::string label = org::ToString(*role);
  if (!name.empty()) label += " " + name;
  return label + " " + ToHex(key).substr(0, 12);
}

sync::Reconciler::Local Node::ReconcileLocal() {
  sync::Reconciler::Local l;
  l.log = p_->log.get();
  l.org_authors = [this] { return p_->members.OrgAuthors(); };
  // Batches are stored as they arrive; statuses and membership settle once per phase (the
  // org log's before the peer is checked again), or at the next unlock if the session is cut.
  l.ingest = [this](const std::vector<store::RawEntry>& entries, int64_t now_ms) {
    return Import(entries, now_ms, /*settle=*/false);
  };
  l.phase_done = [this](sync::Phase) {
    return Settle(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
  };
  return l;
}

Result<std::vector<PeerSync>> Node::PeerSyncs() {
  FC_ASSIGN_OR_RETURN(auto raw, p_->log->GetMeta(kPeerSyncs));
  std::vector<PeerSync> out;
  if (!raw) return out;
  ByteReader r(*raw);
  while (r.remaining() >= kPeerSyncBytes) {
    PeerSync s;
    uint64_t at = 0;
    FC_RETURN_IF_ERROR(r.Fixed(s.peer, "peer"));
    FC_RETURN_IF_ERROR(r.U64(at, "time"));
    FC_RETURN_IF_ERROR(r.U64(s.entries_in, "in"));
    FC_RETURN_IF_ERROR(r.U64(s.entries_out, "out"));
    s.at_ms = int64_t(at);
    out.push_back(s);
  }
  return out;
}

Status Node::RecordPeerSync(const PeerSync& sync) {
  FC_ASSIGN_OR_RETURN(auto all, PeerSyncs());
  std::erase_if(all, [&](const PeerSync& s) { return s.peer == sync.peer; });
  all.push_back(sync);
  ByteWriter w;
  for (const auto& s : all) {
    w.Fixed(s.peer);
    w.U64(uint64_t(s.at_ms));
    w.U64(s.entries_in);
    w.U64(s.entries_out);
  }
  return p_->log->PutMeta(kPeerSyncs, w.Take());
}

}  // namespace fieldcase::node
