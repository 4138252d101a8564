#include "fieldcase/sync/heads.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/hash.h"

namespace fieldcase::sync {

namespace {

constexpr char kMagic[4] = {'F', 'C', 'H', 'D'};
constexpr uint8_t kVersion = 1;

void Sort(std::vector<store::Head>& heads) {
  std::sort(heads.begin(), heads.end(), [](const store::Head& a, const store::Head& b) {
    return std::tie(a.author, a.seq, a.id) < std::tie(b.author, b.seq, b.id);
  });
}

}  // namespace

Id HeadsDigest(std::vector<store::Head> heads) {
  Sort(heads);
  crypto::Hasher h(crypto::hashname::kHeads, 32);
  for (const auto& x : heads) h.Update(x.author).UpdateU64(x.seq).Update(x.id);
  Id out;
  h.Final(out);
  return out;
}

Bytes EncodeHeadsFile(const Id& org_id, std::vector<store::Head> heads) {
  Sort(heads);
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kMagic, 4)));
  w.U8(kVersion);
  w.Fixed(org_id);
  w.U32(uint32_t(heads.size()));
  for (const auto& x : heads) {
    w.Fixed(x.author);
    w.U64(x.seq);
    w.Fixed(x.id);
  }
  return w.Take();
}

Result<HeadsFile> DecodeHeadsFile(ByteView bytes) {
  auto bad = [] {
    return Status::Corruption(
        "not a valid fieldcase heads file (damaged or truncated); write it "
        "again with `fieldcase heads --out FILE`");
  };
  if (bytes.size() < 5 || std::memcmp(bytes.data(), kMagic, 4) != 0) return bad();
  if (bytes[4] != kVersion)
    return Status::NeedsUpgrade("heads file of a newer version; update fieldcase");
  ByteReader r(bytes.subspan(5));
  HeadsFile out;
  uint32_t n = 0;
  if (!r.Fixed(out.org_id, "org id").ok() || !r.U32(n, "count").ok() ||
      !r.Bound(n, kMaxHeads, 72, "heads").ok()) {
    return bad();
  }
  out.heads.resize(n);
  for (auto& x : out.heads) {
    if (!r.Fixed(x.author, "author").ok() || !r.U64(x.seq, "seq").ok() ||
        !r.Fixed(x.id, "id").ok()) {
      return bad();
    }
  }
  if (!r.End("heads file").ok()) return bad();
  return out;
}

std::vector<store::RawEntry> SelectMissing(std::vector<store::StoredEntry> entries,
                                           const std::vector<store::Head>& theirs) {
  std::set<Id> held;
  std::set<std::pair<PublicKey, uint64_t>> seen;
  std::set<PublicKey> forked;  // authors with two entries at one seq here: send every branch
  for (const auto& e : entries) {
    held.insert(e.entry.id);
    if (!seen.emplace(e.entry.header.author, e.entry.header.seq).second) {
      forked.insert(e.entry.header.author);
    }
  }
  struct Tip {
    uint64_t seq = 0;
    bool send_all = false;  // they hold a head this node lacks: another branch
  };
  std::map<PublicKey, Tip> their_tip;
  for (const auto& h : theirs) {
    Tip& t = their_tip[h.author];
    t.seq = std::max(t.seq, h.seq);
    t.send_all |= !held.count(h.id) || forked.count(h.author);
  }
  std::vector<store::RawEntry> out;
  for (auto& e : entries) {
    const auto& h = e.entry.header;
    auto t = their_tip.find(h.author);
    if (t != their_tip.end() && !t->second.send_all && h.seq <= t->second.seq) continue;
    store::RawEntry r;
    r.header.assign(e.entry.header_bytes.begin(), e.entry.header_bytes.end());
    r.signature = e.entry.signature;
    r.payload = std::move(e.entry.payload);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace fieldcase::sync
