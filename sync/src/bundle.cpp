#include "fieldcase/sync/bundle.h"

#include <cstring>
#include <memory>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/store/store.h"
#include "fieldcase/sync/transit.h"

namespace fieldcase::sync {

namespace {

constexpr const char* kMagic = kBundleFileMagic.data();
constexpr uint8_t kVersion = 2;  // 1: entry records instead of transit form (never read)
constexpr size_t kManifestSignedBytes = 32 + 8 + 8 + 32 + 32;

Bytes FileKeyContext(const Id& org_id, const PublicKey& recipient) {
  Bytes c;
  Append(c, AsBytes(crypto::TagBytes(crypto::SignTag::kKeyWrap)));
  Append(c, org_id);
  Append(c, AsBytes("bundle"));
  Append(c, recipient);
  return c;
}

Bytes ManifestBody(const BundleManifest& m) {
  ByteWriter w;
  w.Fixed(m.exporter);
  w.U64(uint64_t(m.created_ms));
  w.U64(m.entries);
  w.Fixed(m.heads_digest);
  w.Fixed(m.content_hash);
  return w.Take();
}

Status Bad(const std::string& what) {
  return Status::Corruption("not a valid fieldcase bundle (" + what +
                            "); nothing was imported. Ask for the bundle again");
}

}  // namespace

Result<SealedBundle> SealBundle(const Id& org_id, const crypto::SigningKey& exporter,
                                const std::vector<PublicKey>& recipients,
                                const std::vector<store::RawEntry>& entries, const Id& heads_digest,
                                int64_t now_ms) {
  if (recipients.empty() || recipients.size() > kMaxBundleRecipients) {
    return Status::InvalidArgument("a bundle needs 1 to 4096 recipient devices");
  }
  // Entries in transit form, grouped into messages of about kMaxBundleMessage.
  std::vector<Bytes> messages;
  crypto::Hasher content(crypto::hashname::kBundle, 32);
  std::vector<store::RawEntry> group;
  size_t group_bytes = 0;
  auto flush = [&] {
    if (group.empty()) return;
    ByteWriter w;
    PutTransitBatch(w, group);
    messages.push_back(w.Take());
    content.Update(messages.back());
    group.clear();
    group_bytes = 0;
  };
  for (const auto& e : entries) {
    const size_t b = e.header.size() + 64 + (e.payload ? e.payload->size() : 0);
    if (!group.empty() && group_bytes + b > kMaxBundleMessage) flush();
    group.push_back(e);
    group_bytes += b;
  }
  flush();

  SealedBundle out;
  BundleManifest& m = out.manifest;
  m.exporter = exporter.public_key();
  m.created_ms = now_ms;
  m.entries = entries.size();
  m.heads_digest = heads_digest;
  content.Final(m.content_hash);
  Bytes body = ManifestBody(m);
  const Signature sig = exporter.Sign(crypto::SignTag::kBundleManifest, {org_id, body});
  ByteWriter manifest;
  manifest.U32(uint32_t(body.size() + sig.size()));
  manifest.Raw(body);
  manifest.Fixed(sig);

  auto file_key = crypto::SecretBytes::Random(crypto::kStreamKeyBytes);
  ByteWriter w;
  w.Raw(AsBytes(std::string_view(kMagic, 4)));
  w.U8(kVersion);
  w.Fixed(org_id);
  w.U16(uint16_t(recipients.size()));
  for (const PublicKey& r : recipients) {
    FC_ASSIGN_OR_RETURN(Bytes sealed,
                        crypto::SealTo(r, FileKeyContext(org_id, r), file_key.view()));
    w.Fixed(r);
    w.U16(uint16_t(sealed.size()));
    w.Raw(sealed);
  }
  crypto::StreamSealer stream(file_key);
  w.Fixed(stream.header());
  auto put = [&](ByteView plain, bool final) {
    Bytes c = stream.Seal(plain, final);
    w.U32(uint32_t(c.size()));
    w.Raw(c);
  };
  Bytes manifest_bytes = manifest.Take();
  put(manifest_bytes, messages.empty());
  for (size_t i = 0; i < messages.size(); ++i) put(messages[i], i + 1 == messages.size());
  out.file = w.Take();
  return out;
}

Result<BundleEnvelope> ReadBundleEnvelope(ByteView file) {
  if (file.size() < 5 || std::memcmp(file.data(), kMagic, 4) != 0) return Bad("not a bundle file");
  if (file[4] != kVersion) {
    return Status::NeedsUpgrade("bundle of another version (" + std::to_string(file[4]) +
                                "); update fieldcase");
  }
  ByteReader r(file.subspan(5));
  BundleEnvelope env;
  uint16_t n = 0;
  if (!r.Fixed(env.org_id, "org id").ok() || !r.U16(n, "recipients").ok() || n == 0 ||
      !r.Bound(n, kMaxBundleRecipients, 34, "recipients").ok()) {
    return Bad("header");
  }
  for (uint16_t i = 0; i < n; ++i) {
    PublicKey k{};
    uint16_t len = 0;
    ByteView skip;
    if (!r.Fixed(k, "recipient").ok() || !r.U16(len, "sealed key").ok() ||
        !r.Take(len, skip, "sealed key").ok()) {
      return Bad("recipients");
    }
    env.recipients.push_back(k);
  }
  return env;
}

Result<OpenedBundle> OpenBundle(ByteView file, const Id& org_id, const crypto::BoxKeyPair& device) {
  if (file.size() > kMaxBundleBytes) return Status::InvalidArgument("bundle larger than 4 GiB");
  FC_ASSIGN_OR_RETURN(BundleEnvelope env, ReadBundleEnvelope(file));
  if (env.org_id != org_id) {
    return Status::NotPermitted(
        "this bundle belongs to another organisation; nothing was imported");
  }
  // Find this device's sealed file key.
  ByteReader r(file.subspan(5 + 32 + 2));
  std::optional<crypto::SecretBytes> file_key;
  for (size_t i = 0; i < env.recipients.size(); ++i) {
    PublicKey k{};
    uint16_t len = 0;
    ByteView sealed;
    if (!r.Fixed(k, "recipient").ok() || !r.U16(len, "sealed key").ok() ||
        !r.Take(len, sealed, "sealed key").ok()) {
      return Bad("recipients");
    }
    if (k != device.public_key() || file_key) continue;
    auto key = crypto::OpenSealed(device, FileKeyContext(org_id, k), sealed);
    if (!key.ok() || key->size() != crypto::kStreamKeyBytes)
      return Bad("the file key sealed to this device");
    file_key = std::move(key).value();
  }
  if (!file_key) {
    return Status::NotPermitted(
        "this bundle is not encrypted to this device; ask for one made "
        "for it (`fieldcase export --for`), nothing was imported");
  }
  ByteView header;
  if (!r.Take(crypto::kStreamHeaderBytes, header, "stream header").ok()) return Bad("truncated");
  FC_ASSIGN_OR_RETURN(auto stream, crypto::StreamOpener::Open(*file_key, header));

  OpenedBundle out;
  out.recipients = env.recipients;
  crypto::Hasher content(crypto::hashname::kBundle, 32);
  bool have_manifest = false;
  while (!stream->finished()) {
    uint32_t len = 0;
    ByteView message;
    if (!r.U32(len, "message length").ok() ||
        !r.Bound(len,
                 store::kMaxPayloadBytes + 4096 + kMaxBundleMessage + crypto::kStreamOverheadBytes,
                 0, "message")
             .ok() ||
        !r.Take(len, message, "message").ok()) {
      return Bad("truncated: the bundle ends before its last message");
    }
    auto plain = stream->Open(message);
    if (!plain.ok()) return Bad(plain.status().message());
    ByteReader p(plain->view());
    if (!have_manifest) {
      uint32_t mlen = 0;
      ByteView body;
      Signature sig{};
      if (!p.U32(mlen, "manifest").ok() || mlen != kManifestSignedBytes + 64 ||
          !p.Take(kManifestSignedBytes, body, "manifest").ok() || !p.Fixed(sig, "signature").ok() ||
          !p.End("manifest").ok()) {
        return Bad("manifest");
      }
      ByteReader b(body);
      BundleManifest& m = out.manifest;
      uint64_t created = 0;
      if (!b.Fixed(m.exporter, "exporter").ok() || !b.U64(created, "created").ok() ||
          !b.U64(m.entries, "count").ok() || !b.Fixed(m.heads_digest, "heads").ok() ||
          !b.Fixed(m.content_hash, "content").ok()) {
        return Bad("manifest");
      }
      m.created_ms = int64_t(created);
      if (!crypto::Verify(m.exporter, crypto::SignTag::kBundleManifest, {org_id, body}, sig)) {
        return Bad("the manifest's signature does not verify");
      }
      // Bound the reservation by what the file can hold.
      if (m.entries > file.size() / store::kMinRawEntryRecordBytes) {
        return Bad("entry count larger than the file");
      }
      out.entries.reserve(m.entries);
      have_manifest = true;
      continue;
    }
    content.Update(plain->view());
    auto batch = GetTransitBatch(p);
    if (!batch.ok()) return Bad(batch.status().message());
    if (Status s = p.End("entries"); !s.ok()) return Bad(s.message());
    if (batch->size() > out.manifest.entries - out.entries.size()) {
      return Bad("more entries than the manifest says");
    }
    for (auto& e : *batch) out.entries.push_back(std::move(e));
  }
  if (!have_manifest) return Bad("no manifest");
  if (r.remaining() != 0) return Bad("bytes after the end of the bundle");
  Id hash{};
  content.Final(hash);
  if (out.entries.size() != out.manifest.entries || hash != out.manifest.content_hash) {
    return Bad("the entries do not match the signed manifest");
  }
  return out;
}

}  // namespace fieldcase::sync
