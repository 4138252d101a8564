#include "fieldcase/sync/bundle.h"

#include <array>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/store/store.h"
#include "fieldcase/sync/transit.h"

#include "bundle_format.h"

namespace fieldcase::sync {

namespace {

using bundle_format::FileKeyContext;
using bundle_format::kMagic;
using bundle_format::kManifestSignedBytes;
using bundle_format::kVersion;

Status Bad(const std::string& what) {
  return Status::Corruption("not a valid fieldcase bundle (" + what +
                            "); nothing was imported. Ask for the bundle again");
}

// Envelope: magic, version, org id, recipients. With `me`, the sealed key addressed to it
// (the first one) is kept. `end` is where the stream header starts.
Result<BundleEnvelope> ReadEnvelope(ByteSource& src, const PublicKey* me, Bytes* my_sealed,
                                    uint64_t* end) {
  if (src.size() > kMaxBundleBytes) return Status::InvalidArgument("bundle larger than 4 GiB");
  std::array<uint8_t, 5 + 32 + 2> head{};
  if (src.size() < 5 || !src.ReadAt(0, std::span<uint8_t>(head).first(5)).ok() ||
      std::memcmp(head.data(), kMagic, 4) != 0) {
    return Bad("not a bundle file");
  }
  if (head[4] != kVersion) {
    return Status::NeedsUpgrade("bundle of another version (" + std::to_string(head[4]) +
                                "); update fieldcase");
  }
  if (!src.ReadAt(0, head).ok()) return Bad("header");
  BundleEnvelope env;
  std::memcpy(env.org_id.data(), head.data() + 5, 32);
  const size_t n = size_t(GetLE(head.data() + 37, 2));
  uint64_t pos = head.size();
  if (n == 0 || n > kMaxBundleRecipients || uint64_t(n) * 34 > src.size() - pos) {
    return Bad("header");
  }
  env.recipients.reserve(n);
  // A recipient is listed once (the exporter seals to a set): a file that lists one twice
  // is refused, so which of two sealed keys is "this device's" is never a question.
  std::set<PublicKey> listed;
  for (size_t i = 0; i < n; ++i) {
    std::array<uint8_t, 34> entry{};
    if (!src.ReadAt(pos, entry).ok()) return Bad("recipients");
    PublicKey k{};
    std::memcpy(k.data(), entry.data(), k.size());
    const size_t len = size_t(GetLE(entry.data() + 32, 2));
    pos += entry.size();
    if (len > src.size() - pos) return Bad("recipients");
    if (!listed.insert(k).second) return Bad("a recipient listed twice");
    if (me != nullptr && k == *me) {
      my_sealed->resize(len);
      if (!src.ReadAt(pos, *my_sealed).ok()) return Bad("recipients");
    }
    pos += len;
    env.recipients.push_back(k);
  }
  if (end != nullptr) *end = pos;
  return env;
}

// Largest message on the wire: an entry of the largest payload gets a message of its own.
constexpr uint64_t kMaxWireMessage =
    store::kMaxPayloadBytes + 4096 + kMaxBundleMessage + crypto::kStreamOverheadBytes;

}  // namespace

Result<BundleEnvelope> ReadBundleEnvelope(ByteSource& file) {
  return ReadEnvelope(file, nullptr, nullptr, nullptr);
}

Result<BundleEnvelope> ReadBundleEnvelope(ByteView file) {
  MemorySource src(file);
  return ReadBundleEnvelope(src);
}

BundleReader::BundleReader(ByteSource& source, const Id& org_id)
    : src_(source), org_id_(org_id) {}
BundleReader::~BundleReader() = default;

Result<std::unique_ptr<BundleReader>> BundleReader::Open(ByteSource& source, const Id& org_id,
                                                         const crypto::BoxKeyPair& device) {
  std::unique_ptr<BundleReader> r(new BundleReader(source, org_id));
  Bytes sealed;
  FC_ASSIGN_OR_RETURN(BundleEnvelope env,
                      ReadEnvelope(source, &device.public_key(), &sealed, &r->stream_at_));
  if (env.org_id != org_id) {
    return Status::NotPermitted(
        "this bundle belongs to another organisation; nothing was imported");
  }
  r->recipients_ = std::move(env.recipients);
  if (sealed.empty()) {
    return Status::NotPermitted(
        "this bundle is not encrypted to this device; ask for one made "
        "for it (`fieldcase export --for`), nothing was imported");
  }
  auto key = crypto::OpenSealed(device, FileKeyContext(org_id, device.public_key()), sealed);
  if (!key.ok() || key->size() != crypto::kStreamKeyBytes)
    return Bad("the file key sealed to this device");
  r->file_key_ = std::move(key).value();
  FC_RETURN_IF_ERROR(r->Start());
  return r;
}

Result<bool> BundleReader::NextMessage(Bytes& plain) {
  if (stream_->finished()) return false;
  std::array<uint8_t, 4> len_bytes{};
  if (!src_.ReadAt(pos_, len_bytes).ok()) {
    return Bad("truncated: the bundle ends before its last message");
  }
  const uint64_t len = GetLE(len_bytes.data(), 4);
  if (len > kMaxWireMessage || len > src_.size() - pos_ - 4) {
    return Bad("truncated: the bundle ends before its last message");
  }
  cipher_.resize(size_t(len));
  FC_RETURN_IF_ERROR(src_.ReadAt(pos_ + 4, cipher_));
  pos_ += 4 + len;
  auto opened = stream_->Open(cipher_);
  if (!opened.ok()) return Bad(opened.status().message());
  plain.assign(opened->view().begin(), opened->view().end());
  return true;
}

Status BundleReader::Start() {
  pos_ = stream_at_;
  std::array<uint8_t, crypto::kStreamHeaderBytes> header{};
  if (!src_.ReadAt(pos_, header).ok()) return Bad("truncated");
  pos_ += header.size();
  FC_ASSIGN_OR_RETURN(stream_, crypto::StreamOpener::Open(*file_key_, header));
  content_ = std::make_unique<crypto::Hasher>(crypto::hashname::kBundle, 32);
  handed_ = 0;
  ended_ = false;
  Bytes plain;
  FC_ASSIGN_OR_RETURN(bool got, NextMessage(plain));
  if (!got) return Bad("no manifest");
  if (!manifest_bytes_.empty()) {
    // The second pass reads the manifest the first one checked.
    if (plain != manifest_bytes_) return Bad("the manifest changed while it was read");
    return Status::Ok();
  }
  ByteReader p(plain);
  uint32_t mlen = 0;
  ByteView body;
  Signature sig{};
  if (!p.U32(mlen, "manifest").ok() || mlen != kManifestSignedBytes + 64 ||
      !p.Take(kManifestSignedBytes, body, "manifest").ok() || !p.Fixed(sig, "signature").ok() ||
      !p.End("manifest").ok()) {
    return Bad("manifest");
  }
  ByteReader b(body);
  BundleManifest& m = manifest_;
  uint64_t created = 0;
  if (!b.Fixed(m.exporter, "exporter").ok() || !b.U64(created, "created").ok() ||
      !b.U64(m.entries, "count").ok() || !b.Fixed(m.heads_digest, "heads").ok() ||
      !b.Fixed(m.content_hash, "content").ok()) {
    return Bad("manifest");
  }
  m.created_ms = int64_t(created);
  if (!crypto::Verify(m.exporter, crypto::SignTag::kBundleManifest, {org_id_, body}, sig)) {
    return Bad("the manifest's signature does not verify");
  }
  if (m.entries > src_.size() / store::kMinRawEntryRecordBytes) {
    return Bad("entry count larger than the file");
  }
  manifest_bytes_ = std::move(plain);
  return Status::Ok();
}

Status BundleReader::CheckEnd() {
  if (pos_ != src_.size()) return Bad("bytes after the end of the bundle");
  Id hash{};
  content_->Final(hash);
  if (hash != manifest_.content_hash) return Bad("the entries do not match the signed manifest");
  return Status::Ok();
}

Status BundleReader::CheckWhole() {
  Bytes plain;
  while (true) {
    FC_ASSIGN_OR_RETURN(bool got, NextMessage(plain));
    if (!got) break;
    content_->Update(plain);
  }
  FC_RETURN_IF_ERROR(CheckEnd());
  checked_ = true;
  return Start();
}

Result<bool> BundleReader::Next(std::vector<store::RawEntry>& out) {
  if (!checked_) throw std::logic_error("BundleReader::Next before CheckWhole");
  if (ended_) return false;
  Bytes plain;
  FC_ASSIGN_OR_RETURN(bool got, NextMessage(plain));
  if (!got) {
    FC_RETURN_IF_ERROR(CheckEnd());
    if (handed_ != manifest_.entries) return Bad("the entries do not match the signed manifest");
    ended_ = true;
    return false;
  }
  content_->Update(plain);
  ByteReader p(plain);
  auto batch = GetTransitBatch(p, kMaxBundleMessageEntries);
  if (!batch.ok()) return Bad(batch.status().message());
  if (Status s = p.End("entries"); !s.ok()) return Bad(s.message());
  if (batch->size() > manifest_.entries - handed_) return Bad("more entries than the manifest says");
  handed_ += batch->size();
  for (auto& e : *batch) out.push_back(std::move(e));
  return true;
}

Result<OpenedBundle> OpenBundle(ByteView file, const Id& org_id, const crypto::BoxKeyPair& device) {
  MemorySource src(file);
  FC_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(src, org_id, device));
  FC_RETURN_IF_ERROR(reader->CheckWhole());
  OpenedBundle out;
  out.manifest = reader->manifest();
  out.recipients = reader->recipients();
  out.entries.reserve(size_t(out.manifest.entries));  // bounded by the file's size (Start)
  while (true) {
    FC_ASSIGN_OR_RETURN(bool more, reader->Next(out.entries));
    if (!more) break;
  }
  return out;
}

}  // namespace fieldcase::sync
