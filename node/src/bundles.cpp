// Node: bundles — what another device lacks, carried by file (sync/bundle.h).
#include <algorithm>
#include <set>
#include <tuple>

#include "fieldcase/node/node.h"
#include "fieldcase/sync/heads.h"
#include "parts.h"

namespace fieldcase::node {

using org::Role;

Result<Bytes> Node::HeadsFile() {
  FC_ASSIGN_OR_RETURN(auto heads, p_->log->Heads());
  return sync::EncodeHeadsFile(p_->org_id, std::move(heads));
}

Result<sync::SealedBundle> Node::ExportBundle(const ExportOptions& options, int64_t now_ms) {
  Parts& p = *p_;
  if (!is_member()) return Status::NotPermitted("this device has not joined an organisation yet");
  // Who may open it: named members' devices, or every current member device.
  std::set<PublicKey> to;
  if (options.for_devices.empty()) {
    for (const auto& [key, m] : p.members.members()) {
      if (m.role == Role::kRoot || p.members.IsRevoked(key)) continue;
      if (crypto::IsUsableBoxKey(m.box_key)) to.insert(m.box_key);
    }
  } else {
    for (const PublicKey& k : options.for_devices) {
      const org::Member* m = p.members.Find(k);
      if (m == nullptr || !crypto::IsUsableBoxKey(m->box_key)) {
        return Status::NotFound("no member device " + ToHex(k).substr(0, 16) +
                                " to export to; see `fieldcase org members`");
      }
      to.insert(m->box_key);
    }
  }
  if (p.device) to.insert(p.device->public_key());
  // What they lack, the org log first, then per author in seq order, so the receiver
  // ingests parents before children.
  std::vector<store::StoredEntry> all;
  FC_RETURN_IF_ERROR(p.log->ForEach({}, [&](store::StoredEntry& se) {
    all.push_back(std::move(se));
    return Status::Ok();
  }));
  const std::vector<PublicKey> org_authors = p.members.OrgAuthors();
  const std::set<PublicKey> org_set(org_authors.begin(), org_authors.end());
  std::stable_sort(all.begin(), all.end(),
                   [&](const store::StoredEntry& a, const store::StoredEntry& b) {
                     const bool a_later = org_set.count(a.entry.header.author) == 0;
                     const bool b_later = org_set.count(b.entry.header.author) == 0;
                     return std::tie(a_later, a.entry.header.author, a.entry.header.seq) <
                            std::tie(b_later, b.entry.header.author, b.entry.header.seq);
                   });
  std::vector<store::RawEntry> entries =
      sync::SelectMissing(std::move(all), options.since.value_or(std::vector<store::Head>{}));
  FC_RETURN_IF_ERROR(p.log->ForEachOpaque([&](store::RawEntry& r) {
    entries.push_back(std::move(r));
    return Status::Ok();
  }));
  FC_ASSIGN_OR_RETURN(auto heads, p.log->Heads());
  // Signed by the writing key (or, on a node without one, its admin key).
  const crypto::SigningKey* signer = nullptr;
  if (p.signer.has_writer())
    signer = &p.signer.writer();
  else if (p.signer.Has(Role::kAdmin))
    signer = &p.signer.Key(Role::kAdmin);
  if (signer == nullptr) {
    return Status::NotPermitted(
        "this device holds no key that may sign a bundle (hub and auditor "
        "devices pass bundles on with `fieldcase export` once they sync)");
  }
  return sync::SealBundle(p.org_id, *signer, {to.begin(), to.end()}, entries,
                          sync::HeadsDigest(std::move(heads)), now_ms);
}

Result<sync::OpenedBundle> Node::OpenBundle(ByteView file) {
  Parts& p = *p_;
  if (!is_member() || !p.device) {
    return Status::NotPermitted(
        "this device has not joined an organisation yet; `fieldcase join` first");
  }
  return sync::OpenBundle(file, p.org_id, *p.device);
}

Result<BundleReport> Node::ImportBundle(ByteView file, int64_t now_ms) {
  FC_ASSIGN_OR_RETURN(sync::OpenedBundle opened, OpenBundle(file));
  BundleReport out;
  out.manifest = opened.manifest;
  FC_ASSIGN_OR_RETURN(out.imported, Import(opened.entries, now_ms));
  return out;
}

}  // namespace fieldcase::node
