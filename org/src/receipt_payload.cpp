#include "fieldcase/org/receipt_payload.h"

#include <algorithm>
#include <tuple>

#include "fieldcase/record/portable_binary.h"

namespace fieldcase::org {

namespace {

bool Less(const store::Head& a, const store::Head& b) {
  return std::tie(a.author, a.seq, a.id) < std::tie(b.author, b.seq, b.id);
}

}  // namespace

Bytes EncodeReceipt(const Receipt& r) {
  std::vector<store::Head> heads = r.heads;
  std::sort(heads.begin(), heads.end(), Less);
  record::strict::Writer w;
  w.U8(kReceiptOp);
  w.U64(r.hub_time_ms);
  w.Fixed(r.device);
  w.U64(heads.size());
  for (const auto& h : heads) {
    w.Fixed(h.author);
    w.U64(h.seq);
    w.Fixed(h.id);
  }
  return w.Take();
}

Result<Receipt> DecodeReceipt(ByteView payload) {
  Receipt out;
  Status s = record::strict::Decode(payload, "receipt", [&](record::strict::Reader& r) -> Status {
    uint8_t op = 0;
    FC_RETURN_IF_ERROR(r.U8(op, "receipt op"));
    if (op != kReceiptOp) return Status::NeedsUpgrade("receipt op " + std::to_string(op));
    FC_RETURN_IF_ERROR(r.U64(out.hub_time_ms, "receipt time"));
    FC_RETURN_IF_ERROR(r.Fixed(out.device, "receipt device"));
    uint64_t n = 0;
    FC_RETURN_IF_ERROR(r.Count(n, kMaxReceiptHeads, 32 + 8 + 32, "receipt heads"));
    if (n == 0) return Status::Corruption("a receipt names at least one head");
    out.heads.resize(n);
    for (auto& h : out.heads) {
      FC_RETURN_IF_ERROR(r.Fixed(h.author, "receipt author"));
      FC_RETURN_IF_ERROR(r.U64(h.seq, "receipt seq"));
      FC_RETURN_IF_ERROR(r.Fixed(h.id, "receipt id"));
      if (h.seq == 0) return Status::Corruption("a receipt names seq 0");
    }
    for (size_t i = 1; i < out.heads.size(); ++i) {
      if (!Less(out.heads[i - 1], out.heads[i])) {
        return Status::Corruption("receipt heads out of order or repeated");
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace fieldcase::org
