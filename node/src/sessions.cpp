// Node: this device as a party to a sync session (net/ drives the session; the CLI wires
// these into net::Host).
#include <chrono>
#include <memory>
#include <set>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/org_log.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/sync/receipts.h"
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
    if (p.members.Find(key.public_key()) == nullptr || p.members.IsRevoked(key.public_key()) ||
        p.members.IsRetired(key.public_key())) {
      continue;
    }
    id.key = &key;
    break;
  }
  if (id.key == nullptr) {
    return Status::NotPermitted(
        "this device holds no current member key to sync with (revoked, or replaced by a "
        "successor key?); see `fieldcase status`");
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
  // An administrator now: not revoked, not expired, not replaced by a successor (today only
  // writing keys get successors; the check holds whatever may get one later).
  const org::Member* author = members.Find(h->author);
  if (author == nullptr || members.IsRevoked(h->author) || members.IsRetired(h->author) ||
      (author->role != Role::kAdmin && author->role != Role::kRoot) ||
      (author->expiry_ms != 0 && uint64_t(now_ms) >= author->expiry_ms)) {
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
  // A key replaced by a successor is a copy of a device that moved on (a restored backup, a
  // clone): it reads no more than it may write.
  if (p.members.IsRevoked(key) || p.members.IsRetired(key)) {
    return Status::NotPermitted("not a current member device");
  }
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

sync::Reconciler::Local Node::ReconcileLocal(const PublicKey& peer) {
  sync::Reconciler::Local l;
  l.log = p_->log.get();
  l.org_authors = [this] { return p_->members.OrgAuthors(); };
  l.receipt_authors = [this] {
    std::vector<PublicKey> hubs;
    for (const auto& [key, m] : p_->members.members())
      if (m.role == Role::kHub) hubs.push_back(key);
    return hubs;
  };
  // Heads when the session began: an author whose heads differ when the entries phase ends
  // grew here during the session (from this peer, or another at the same time).
  auto before = std::make_shared<std::set<std::pair<PublicKey, Id>>>();
  if (auto heads = p_->log->Heads(); heads.ok()) {
    for (const auto& h : *heads) before->emplace(h.author, h.id);
  }
  const bool hub = p_->signer.Has(Role::kHub);
  // Batches are stored as they arrive; statuses and membership settle once per phase (the
  // org log's before the peer is checked again), or at the next unlock if the session is cut.
  l.ingest = [this](const std::vector<store::RawEntry>& entries, int64_t now_ms) {
    return Import(entries, now_ms, /*settle=*/false);
  };
  l.phase_done = [this, before, hub, peer](sync::Phase phase) -> Status {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    FC_RETURN_IF_ERROR(Settle(now));
    if (!hub || phase != sync::Phase::kAll) return Status::Ok();
    FC_ASSIGN_OR_RETURN(auto heads, p_->log->Heads());
    std::set<PublicKey> grew;
    for (const auto& h : heads)
      if (!before->count({h.author, h.id})) grew.insert(h.author);
    const PublicKey me = p_->signer.Key(Role::kHub).public_key();
    grew.erase(me);  // its own receipts are not what it receipts
    std::vector<store::Head> covered;
    for (const auto& h : heads)
      if (grew.count(h.author)) covered.push_back(h);
    // One receipt per kMaxReceiptHeads heads (a payload holds no more).
    for (size_t at = 0; at < covered.size(); at += org::kMaxReceiptHeads) {
      const size_t end = std::min(covered.size(), at + size_t(org::kMaxReceiptHeads));
      std::vector<store::Head> part(covered.begin() + long(at), covered.begin() + long(end));
      auto written = WriteReceipt(peer, part, now);
      // A hub that cannot write a receipt (revoked, halted) still syncs; it just vouches
      // for nothing.
      if (!written.ok() && written.status().code() != Status::Code::kNotPermitted) {
        return written.status();
      }
    }
    return Status::Ok();
  };
  return l;
}

Result<Id> Node::WriteReceipt(const PublicKey& peer, const std::vector<store::Head>& heads,
                              int64_t now_ms) {
  Parts& p = *p_;
  if (!p.signer.Has(Role::kHub)) return Status::NotPermitted("this device has no hub key");
  const PublicKey key = p.signer.Key(Role::kHub).public_key();
  const org::Member* m = p.members.Find(key);
  if (m == nullptr || m->role != Role::kHub || p.members.IsRevoked(key)) {
    return Status::NotPermitted("this device's hub key is not a current hub");
  }
  org::Receipt r;
  r.hub_time_ms = uint64_t(now_ms);
  r.device = peer;
  r.heads = heads;
  for (auto& h : r.heads) h.hlc = 0;
  Draft d = Draft::Of(Role::kHub, store::Kind::kReceipt, Id128{},
                      [r](const store::Header&) -> Result<Bytes> { return org::EncodeReceipt(r); });
  std::vector<Draft> drafts;
  drafts.push_back(std::move(d));
  FC_ASSIGN_OR_RETURN(std::vector<Id> ids, p.Commit(std::move(drafts), now_ms));
  FC_RETURN_IF_ERROR(sync::NoteCompleteReceipts(*p.log));
  return ids.at(0);
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
