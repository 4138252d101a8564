#include "fieldcase/sync/heads.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/sync/transit.h"

namespace fieldcase::sync {

namespace {

constexpr char kMagic[4] = {'F', 'C', 'H', 'D'};
constexpr uint8_t kVersion = 2;  // 1 carried no org log

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

Bytes EncodeHeadsFile(const Id& org_id, std::vector<store::Head> heads,
                      const std::vector<store::RawEntry>& org_log) {
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
  ByteWriter log;
  PutTransitBatch(log, org_log);
  w.U32(uint32_t(log.size()));
  w.Raw(log.Take());
  return w.Take();
}

Result<HeadsFile> DecodeHeadsFile(ByteView bytes) {
  auto bad = [] {
    return Status::Corruption(
        "not a valid fieldcase heads file (damaged or truncated); write it "
        "again with `fieldcase heads --out FILE`");
  };
  if (bytes.size() < 5 || std::memcmp(bytes.data(), kMagic, 4) != 0) return bad();
  if (bytes[4] < kVersion) return Status::NeedsUpgrade("heads file of an older version; write it again");
  if (bytes[4] > kVersion)
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
  uint32_t log_len = 0;
  ByteView log;
  if (!r.U32(log_len, "org log").ok() || log_len > kMaxHeadsFileOrgLog ||
      !r.Take(log_len, log, "org log").ok() || !r.End("heads file").ok()) {
    return bad();
  }
  ByteReader lr(log);
  auto entries = GetTransitBatch(lr, kAnyEntryCount);
  if (!entries.ok() || !lr.End("org log").ok()) return bad();
  out.org_log = std::move(entries).value();
  return out;
}

}  // namespace fieldcase::sync
