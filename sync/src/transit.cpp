#include "fieldcase/sync/transit.h"

#include <cstring>

namespace fieldcase::sync {

namespace {

// Offsets of the v1 header (store/entry.h).
constexpr size_t kAuthorAt = 3, kSeqAt = 35, kPrevAt = 43, kCaseAt = 75, kPayloadHashAt = 119;
constexpr uint8_t kRunV1 = 1, kRunOther = 2;

bool IsV1(const store::RawEntry& e) {
  return e.header.size() == store::kHeaderV1Bytes && e.header[0] == store::kVersion1;
}

ByteView Field(const Bytes& h, size_t at, size_t n) { return ByteView(h).subspan(at, n); }

bool Follows(const store::RawEntry& e, const store::RawEntry& before, const Id& before_id) {
  return std::memcmp(e.header.data() + kAuthorAt, before.header.data() + kAuthorAt, 32) == 0 &&
         GetLE(e.header.data() + kSeqAt, 8) == GetLE(before.header.data() + kSeqAt, 8) + 1 &&
         std::memcmp(e.header.data() + kPrevAt, before_id.data(), 32) == 0;
}

Status Bad(const std::string& what) { return Status::Corruption("transit batch: " + what); }

}  // namespace

void PutTransitBatch(ByteWriter& w, const std::vector<store::RawEntry>& entries) {
  // Runs first, so the count can lead.
  struct Run {
    size_t begin, end;
    bool v1;
  };
  std::vector<Run> runs;
  Id last_id{};
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const bool v1 = IsV1(e);
    if (v1 && !runs.empty() && runs.back().v1 && Follows(e, entries[i - 1], last_id)) {
      runs.back().end = i + 1;
    } else {
      runs.push_back({i, i + 1, v1});
    }
    if (v1) last_id = store::EntryId(e.header, e.signature);
  }
  w.U32(uint32_t(runs.size()));
  for (const Run& run : runs) {
    if (!run.v1) {
      w.U8(kRunOther);
      store::PutRawEntry(w, entries[run.begin]);
      continue;
    }
    const Bytes& first = entries[run.begin].header;
    w.U8(kRunV1);
    w.Raw(Field(first, kAuthorAt, 32));
    w.Raw(Field(first, kSeqAt, 8));
    w.Raw(Field(first, kPrevAt, 32));
    w.U32(uint32_t(run.end - run.begin));
    for (size_t i = run.begin; i < run.end; ++i) {
      const auto& e = entries[i];
      w.Raw(Field(e.header, 1, 2));                 // kind, flags
      w.Raw(Field(e.header, kCaseAt, kPayloadHashAt - kCaseAt));  // case_id … payload_len
      w.Fixed(e.signature);
      // A payload whose length is not the signed one (a damaged row) stays behind: the
      // receiver reads exactly payload_len bytes, so it would throw the batch out of step.
      const bool carry = e.payload && e.payload->size() == GetLE(e.header.data() + 115, 4);
      w.U8(carry ? 1 : 0);
      if (carry) {
        w.Raw(*e.payload);
      } else {
        w.Raw(Field(e.header, kPayloadHashAt, 32));
      }
    }
  }
}

Result<std::vector<store::RawEntry>> GetTransitBatch(ByteReader& r, size_t max_entries) {
  uint32_t runs = 0;
  FC_RETURN_IF_ERROR(r.U32(runs, "run count"));
  FC_RETURN_IF_ERROR(r.Bound(runs, UINT32_MAX, 1 + store::kMinRawEntryRecordBytes, "runs"));
  auto too_many = [&] {
    return Bad("more than " + std::to_string(max_entries) + " entries in one batch");
  };
  if (runs > max_entries) return too_many();
  std::vector<store::RawEntry> out;
  for (uint32_t k = 0; k < runs; ++k) {
    if (out.size() >= max_entries) return too_many();
    uint8_t form = 0;
    FC_RETURN_IF_ERROR(r.U8(form, "run form"));
    if (form == kRunOther) {
      store::RawEntry e;
      FC_RETURN_IF_ERROR(store::GetRawEntry(r, e));
      out.push_back(std::move(e));
      continue;
    }
    if (form != kRunV1) return Bad("unknown run form " + std::to_string(form));
    ByteView author, prev_view;
    uint64_t seq = 0;
    uint32_t n = 0;
    FC_RETURN_IF_ERROR(r.Take(32, author, "author"));
    FC_RETURN_IF_ERROR(r.U64(seq, "first seq"));
    FC_RETURN_IF_ERROR(r.Take(32, prev_view, "prev"));
    FC_RETURN_IF_ERROR(r.U32(n, "entry count"));
    if (n == 0) return Bad("empty run");
    if (n > max_entries - out.size()) return too_many();
    FC_RETURN_IF_ERROR(r.Bound(n, UINT32_MAX, kMinTransitEntryBytes, "entries"));
    if (seq == 0 || seq > UINT64_MAX - n) return Bad("seq out of range");
    Id prev{};
    std::memcpy(prev.data(), prev_view.data(), prev.size());
    for (uint32_t i = 0; i < n; ++i, ++seq) {
      ByteView kind_flags, middle;
      store::RawEntry e;
      uint8_t carried = 0;
      FC_RETURN_IF_ERROR(r.Take(2, kind_flags, "kind"));
      FC_RETURN_IF_ERROR(r.Take(kPayloadHashAt - kCaseAt, middle, "header"));
      FC_RETURN_IF_ERROR(r.Fixed(e.signature, "signature"));
      FC_RETURN_IF_ERROR(r.U8(carried, "payload flag"));
      const uint32_t payload_len = uint32_t(GetLE(middle.data() + 40, 4));
      Id payload_hash{};
      if (carried == 1) {
        if (payload_len > store::kMaxPayloadBytes) return Bad("payload larger than 16 MiB");
        ByteView p;
        FC_RETURN_IF_ERROR(r.Take(payload_len, p, "payload"));
        e.payload.emplace(p.begin(), p.end());
        payload_hash = store::PayloadHash(p);
      } else if (carried == 0) {
        FC_RETURN_IF_ERROR(r.Fixed(payload_hash, "payload hash"));
      } else {
        return Bad("payload flag must be 0 or 1");
      }
      ByteWriter h;
      h.U8(store::kVersion1);
      h.Raw(kind_flags);
      h.Raw(author);
      h.U64(seq);
      h.Fixed(prev);
      h.Raw(middle);
      h.Fixed(payload_hash);
      e.header = h.Take();
      prev = store::EntryId(e.header, e.signature);
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace fieldcase::sync
