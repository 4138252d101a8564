#include "fieldcase/org/org_log.h"

#include <algorithm>
#include <tuple>

#include "fieldcase/crypto/hash.h"

namespace fieldcase::org {

Id OrgLogDigest(const std::vector<store::Head>& heads, const std::vector<PublicKey>& org_authors) {
  std::vector<store::Head> org;
  for (const auto& h : heads) {
    if (std::find(org_authors.begin(), org_authors.end(), h.author) != org_authors.end()) {
      org.push_back(h);
    }
  }
  std::sort(org.begin(), org.end(), [](const store::Head& a, const store::Head& b) {
    return std::tie(a.author, a.seq, a.id) < std::tie(b.author, b.seq, b.id);
  });
  crypto::Hasher hasher(crypto::hashname::kOrgLog, 32);
  for (const auto& h : org) hasher.Update(h.author).UpdateU64(h.seq).Update(h.id);
  Id out;
  hasher.Final(out);
  return out;
}

}  // namespace fieldcase::org
