#include "fieldcase/node/audit.h"

#include <algorithm>
#include <map>
#include <set>

#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/org/membership.h"
#include "fieldcase/sync/heads.h"
#include "parts.h"

namespace fieldcase::node {

namespace {

std::string Short(ByteView b) { return ToHex(b).substr(0, 16); }

}  // namespace

Result<Audit> AuditFolder(const store::DataDir& dir, const Node* unlocked) {
  Audit out;
  FC_ASSIGN_OR_RETURN(out.verify, VerifyFolder(dir));
  FC_ASSIGN_OR_RETURN(auto log, OpenLogReadOnly(dir));
  out.org_id = log->org_id().value_or(Id{});
  out.org_fingerprint = org::OrgFingerprint(out.org_id);
  // Roles are in clear in the certificates; names only under the directory key, which
  // the unlocked node has opened already.
  FC_ASSIGN_OR_RETURN(const auto members, org::Membership::LearnKeyless(*log));
  out.org_name = members.org_name();
  std::map<PublicKey, org::Personal> names;
  if (unlocked != nullptr) {
    for (const auto& v : unlocked->Members()) {
      if (v.member.personal) names.emplace(v.member.key, *v.member.personal);
    }
  }
  FC_ASSIGN_OR_RETURN(std::vector<store::Head> heads, log->Heads());
  out.heads_digest = sync::HeadsDigest(heads);
  FC_ASSIGN_OR_RETURN(out.entries, log->CountEntries());
  std::multimap<PublicKey, store::Head> heads_of;
  for (const auto& h : heads) heads_of.emplace(h.author, h);
  FC_ASSIGN_OR_RETURN(std::vector<store::AuthorCounts> counts, log->CountsByAuthor());
  // Every enrolled key is listed, those that have written nothing here too (a hub, the
  // auditor that signs the report): who could have written is part of what was found.
  {
    std::set<PublicKey> writing;
    for (const auto& c : counts) writing.insert(c.author);
    for (const auto& [key, m] : members.members()) {
      if (writing.count(key)) continue;
      store::AuthorCounts none;
      none.author = key;
      counts.push_back(none);
    }
    std::sort(counts.begin(), counts.end(),
              [](const store::AuthorCounts& a, const store::AuthorCounts& b) { return a.author < b.author; });
  }
  for (auto& c : counts) {
    AuthorAudit a;
    a.author = c.author;
    a.fingerprint = org::Fingerprint(out.org_id, c.author);
    if (const org::Member* m = members.Find(c.author)) {
      a.role = org::ToString(m->role);
      a.person_id = ToHex(m->person_id);
    } else {
      a.role = "unenrolled";
    }
    a.revoked = members.IsRevoked(c.author);
    if (auto it = names.find(c.author); it != names.end()) {
      a.name = it->second.name;
      a.badge = it->second.badge;
    }
    auto [lo, hi] = heads_of.equal_range(c.author);
    for (auto it = lo; it != hi; ++it) a.heads.push_back(it->second);
    a.counts = c;
    out.authors.push_back(std::move(a));
  }
  return out;
}

Result<std::pair<PublicKey, Signature>> Node::SignReport(ByteView body) const {
  for (org::Role role : {org::Role::kAuditor, org::Role::kSupervisor, org::Role::kOfficer,
                         org::Role::kHub, org::Role::kAdmin, org::Role::kRoot}) {
    if (!p_->signer.Has(role)) continue;
    const crypto::SigningKey& key = p_->signer.Key(role);
    return std::make_pair(key.public_key(), key.Sign(crypto::SignTag::kReport, {body}));
  }
  return Status::NotPermitted(
      "this device has no enrolled key to sign the report with; join the organisation first, "
      "or write it with --unsigned");
}

Result<std::vector<std::string>> CheckCoverage(const store::DataDir& dir,
                                               const Coverage& covered) {
  FC_RETURN_IF_ERROR(RefuseHalfMade(dir));
  FC_ASSIGN_OR_RETURN(auto log, OpenLogReadOnly(dir));
  std::vector<std::string> lost;
  const Id held_org = log->org_id().value_or(Id{});
  if (held_org != covered.org_id) {
    lost.push_back("this store belongs to organisation " + Short(held_org) +
                   ", the report to " + Short(covered.org_id) +
                   ": it is not the store the report was made of");
    return lost;
  }
  for (const auto& h : covered.heads) {
    const std::string who = "author " + Short(h.author);
    if (h.seq == 0 || h.seq > uint64_t(INT64_MAX)) {
      lost.push_back(who + ": the report names seq " + std::to_string(h.seq) +
                     ", which no chain has");
      continue;
    }
    FC_ASSIGN_OR_RETURN(auto entry, log->Get(h.id));
    FC_ASSIGN_OR_RETURN(int64_t held, log->SeqsHeldUpTo(h.author, h.seq));
    const bool head_held = entry && entry->entry.header.author == h.author &&
                           entry->entry.header.seq == h.seq;
    if (head_held && held == int64_t(h.seq)) continue;
    std::string line = who + ": ";
    if (!head_held) {
      line += "its entry " + Short(h.id) + " at seq " + std::to_string(h.seq) +
              " (the report's head) is not held";
      if (held == int64_t(h.seq)) line += ", though seq " + std::to_string(h.seq) + " is: another entry in its place";
    }
    if (held < int64_t(h.seq)) {
      if (!head_held) line += "; ";
      line += std::to_string(int64_t(h.seq) - held) + " of seqs 1 to " + std::to_string(h.seq) +
              " the report covered are missing";
      FC_ASSIGN_OR_RETURN(auto now, log->HeadOf(h.author));
      line += now ? " (the store's chain now ends at seq " + std::to_string(now->seq) + ")"
                  : " (the store holds nothing of this author)";
    }
    lost.push_back(std::move(line));
  }
  return lost;
}

}  // namespace fieldcase::node
