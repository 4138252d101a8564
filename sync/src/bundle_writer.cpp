#include "fieldcase/sync/bundle_writer.h"

#include <array>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/sync/transit.h"

#include "bundle_format.h"

namespace fieldcase::sync {

namespace {

Bytes ManifestBody(const BundleManifest& m) {
  ByteWriter w;
  w.Fixed(m.exporter);
  w.U64(uint64_t(m.created_ms));
  w.U64(m.entries);
  w.Fixed(m.heads_digest);
  w.Fixed(m.content_hash);
  return w.Take();
}

// A sealed message in the file: its u32 length, then the ciphertext.
uint64_t FramedBytes(size_t plain) { return 4 + plain + crypto::kStreamOverheadBytes; }

}  // namespace

Status BundleMessages::Add(store::RawEntry e) {
  const size_t b = e.header.size() + 64 + (e.payload ? e.payload->size() : 0);
  if (!group_.empty() && group_bytes_ + b > kMaxBundleMessage) FC_RETURN_IF_ERROR(Flush());
  group_.push_back(std::move(e));
  group_bytes_ += b;
  ++entries_;
  return Status::Ok();
}

Status BundleMessages::Flush() {
  if (group_.empty()) return Status::Ok();
  ByteWriter w;
  PutTransitBatch(w, group_);
  group_.clear();
  group_bytes_ = 0;
  const Bytes message = w.Take();
  return emit_(message);
}

BundleTally::BundleTally()
    : content_(crypto::hashname::kBundle, 32), messages_([this](ByteView message) {
        content_.Update(message);
        body_bytes_ += FramedBytes(message.size());
        return Status::Ok();
      }) {}

Result<BundleTally::Totals> BundleTally::Finish() {
  FC_RETURN_IF_ERROR(messages_.Flush());
  Totals t;
  t.entries = messages_.entries();
  content_.Final(t.content_hash);
  t.body_bytes = body_bytes_;
  return t;
}

BundleWriter::BundleWriter(ByteSink& sink, BundleManifest manifest,
                           std::unique_ptr<crypto::StreamSealer> s)
    : sink_(sink),
      manifest_(manifest),
      stream_(std::move(s)),
      content_(crypto::hashname::kBundle, 32),
      messages_([this](ByteView message) {
        content_.Update(message);
        return Put(message);
      }) {}

BundleWriter::~BundleWriter() = default;

Result<std::unique_ptr<BundleWriter>> BundleWriter::Start(ByteSink& sink, const Id& org_id,
                                                          const crypto::SigningKey& exporter,
                                                          const std::vector<PublicKey>& recipients,
                                                          const BundleTally::Totals& tally,
                                                          const Id& heads_digest, int64_t now_ms) {
  if (recipients.empty() || recipients.size() > kMaxBundleRecipients) {
    return Status::InvalidArgument("a bundle needs 1 to 4096 recipient devices");
  }
  BundleManifest m;
  m.exporter = exporter.public_key();
  m.created_ms = now_ms;
  m.entries = tally.entries;
  m.heads_digest = heads_digest;
  m.content_hash = tally.content_hash;
  const Bytes body = ManifestBody(m);
  const Signature sig = exporter.Sign(crypto::SignTag::kBundleManifest, {org_id, body});
  ByteWriter mw;
  mw.U32(uint32_t(body.size() + sig.size()));
  mw.Raw(body);
  mw.Fixed(sig);
  Bytes manifest = mw.Take();

  auto file_key = crypto::SecretBytes::Random(crypto::kStreamKeyBytes);
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(bundle_format::kMagic, 4)));
  w.U8(bundle_format::kVersion);
  w.Fixed(org_id);
  w.U16(uint16_t(recipients.size()));
  for (const PublicKey& r : recipients) {
    FC_ASSIGN_OR_RETURN(Bytes sealed, crypto::SealTo(r, bundle_format::FileKeyContext(org_id, r),
                                                     file_key.view()));
    w.Fixed(r);
    w.U16(uint16_t(sealed.size()));
    w.Raw(sealed);
  }
  auto stream = std::make_unique<crypto::StreamSealer>(file_key);
  w.Fixed(stream->header());
  const Bytes head = w.Take();
  // Known before a byte is written: a bundle no reader would take is not begun.
  const uint64_t total = head.size() + FramedBytes(manifest.size()) + tally.body_bytes;
  if (total > kMaxBundleBytes) {
    return Status::InvalidArgument(
        "the bundle would be " + std::to_string(total >> 20) +
        " MiB, above the 4 GiB a bundle may hold; export in parts: `fieldcase export --for` "
        "fewer devices makes no difference, `--since` a heads file from the other device does");
  }
  FC_RETURN_IF_ERROR(sink.Write(head));
  std::unique_ptr<BundleWriter> out(new BundleWriter(sink, m, std::move(stream)));
  out->held_ = std::move(manifest);
  return out;
}

Status BundleWriter::SealHeld(bool final) {
  const Bytes c = stream_->Seal(held_, final);
  std::array<uint8_t, 4> length{};
  ByteWriter(length).U32(uint32_t(c.size()));
  FC_RETURN_IF_ERROR(sink_.Write(length));
  return sink_.Write(c);
}

Status BundleWriter::Put(ByteView plain) {
  FC_RETURN_IF_ERROR(SealHeld(/*final=*/false));
  held_.assign(plain.begin(), plain.end());
  return Status::Ok();
}

Result<BundleManifest> BundleWriter::Finish() {
  FC_RETURN_IF_ERROR(messages_.Flush());
  Id content{};
  content_.Final(content);
  if (messages_.entries() != manifest_.entries || content != manifest_.content_hash) {
    return Status::Busy(
        "the entries changed while the bundle was written (they no longer match its "
        "manifest); nothing was kept, run the export again");
  }
  FC_RETURN_IF_ERROR(SealHeld(/*final=*/true));
  held_.clear();
  return manifest_;
}

Result<SealedBundle> SealBundle(const Id& org_id, const crypto::SigningKey& exporter,
                                const std::vector<PublicKey>& recipients,
                                const std::vector<store::RawEntry>& entries, const Id& heads_digest,
                                int64_t now_ms) {
  BundleTally tally;
  for (const auto& e : entries) FC_RETURN_IF_ERROR(tally.Add(e));
  FC_ASSIGN_OR_RETURN(BundleTally::Totals totals, tally.Finish());
  MemorySink sink;
  FC_ASSIGN_OR_RETURN(auto writer, BundleWriter::Start(sink, org_id, exporter, recipients, totals,
                                                       heads_digest, now_ms));
  for (const auto& e : entries) FC_RETURN_IF_ERROR(writer->Add(e));
  SealedBundle out;
  FC_ASSIGN_OR_RETURN(out.manifest, writer->Finish());
  out.file = sink.Take();
  return out;
}

}  // namespace fieldcase::sync
