// Bundles: entries carried on a USB stick, encrypted to the devices that may read them
// (by default every current member device, hub and auditors included), with a manifest
// signed by the exporter and bound to the organisation. docs/formats/bundle.md.
//
// File, version 2 (little-endian):
//   offset size  field
//   0      4     magic "FCBU"
//   4      1     version = 2
//   5      32    org_id (in clear, so another organisation's bundle is refused by name)
//   37     2     recipient count R (1..kMaxBundleRecipients)
//   39     R×    recipient X25519 key(32) ‖ u16 n ‖ the 32-byte file key sealed to it
//                (crypto_box_seal; context "fieldcase/v1/key-wrap\0" ‖ org_id ‖ "bundle" ‖
//                recipient key)
//   ..     24    secretstream header (crypto/secretstream.h), under the file key
//   ..           messages, each u32 length (≤ kMaxBundleMessage + 17) ‖ message, the last
//                one tagged FINAL; nothing after it
// Plaintext of the messages, in order:
//   manifest   u32 length ‖ exporter signing key(32) ‖ created_ms(8) ‖ entry count(8) ‖
//              heads digest of the exporter's store(32) ‖ content hash(32) ‖
//              ed25519 by the exporter over "fieldcase/v1/bundle-manifest\0" ‖ org_id ‖
//              every manifest byte before it (64)
//   entries    each message one transit batch (sync/transit.h) of about 1 MiB; an entry is
//              never split across messages
// content hash = BLAKE2b-256("fc-bundle") of the entry messages' plaintext in order. The reader checks
// the manifest signature before reading an entry, and the content hash and the FINAL tag
// before handing any entry on: a bundle is used whole or not at all (every entry is still
// verified on import, as from anywhere). It reads one message at a time (BundleReader):
// a bundle never sits in memory whole.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "fieldcase/base/byte_source.h"
#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::crypto {
class Hasher;
class StreamOpener;
}  // namespace fieldcase::crypto

namespace fieldcase::sync {

inline constexpr size_t kMaxBundleRecipients = 4096;
inline constexpr size_t kMaxBundleMessage = 1u << 20;    // plaintext per message (an entry
                                                         // larger than this gets its own)
inline constexpr uint64_t kMaxBundleBytes = 1ull << 32;  // 4 GiB: read bounded
// Entries in one message: a writer groups at most kMaxBundleMessage bytes of entries, each
// at least a 1-byte header and its signature. A reader refuses more before it keeps any (a
// 17 MiB message of the smallest entries would otherwise decode to ~100 MB).
inline constexpr size_t kMaxBundleMessageEntries = kMaxBundleMessage / (1 + 64) + 1;
inline constexpr std::string_view kBundleFileMagic = "FCBU";  // checked before the rest is read

struct BundleManifest {
  PublicKey exporter{};
  int64_t created_ms = 0;
  uint64_t entries = 0;
  Id heads_digest{};
  Id content_hash{};
};

struct SealedBundle {
  Bytes file;
  BundleManifest manifest;
};

// A whole bundle in memory from entries in memory (enrolment responses, tests): the two
// passes of bundle_writer.h over the vector.
Result<SealedBundle> SealBundle(const Id& org_id, const crypto::SigningKey& exporter,
                                const std::vector<PublicKey>& recipients,
                                const std::vector<store::RawEntry>& entries, const Id& heads_digest,
                                int64_t now_ms);

// Reads a bundle from a source in two passes, holding one message (at most ~17 MiB) at a
// time:
//   Open        the envelope, this device's file key, the stream header and the manifest,
//               its signature checked;
//   CheckWhole  every message authenticated in order, the FINAL tag with nothing after it,
//               the content hash against the manifest; nothing is kept;
//   Next        from the start again, each message's entries (transit form), every message
//               authenticated again; at the end the count and the content hash are checked
//               again (a file changed between the passes fails there, and every entry it
//               handed on was verified on its own anyway).
// The one reader of bundle files: OpenBundle below reads bytes in memory through it.
class BundleReader {
 public:
  static Result<std::unique_ptr<BundleReader>> Open(ByteSource& source, const Id& org_id,
                                                    const crypto::BoxKeyPair& device);
  ~BundleReader();
  BundleReader(const BundleReader&) = delete;
  BundleReader& operator=(const BundleReader&) = delete;

  const BundleManifest& manifest() const { return manifest_; }
  const std::vector<PublicKey>& recipients() const { return recipients_; }

  Status CheckWhole();
  // After CheckWhole: the next message's entries, appended to `out`; false once the bundle
  // has ended and its count and content hash were checked again.
  Result<bool> Next(std::vector<store::RawEntry>& out);

 private:
  BundleReader(ByteSource& source, const Id& org_id);
  Status Start();                          // the stream from its header, through the manifest
  Result<bool> NextMessage(Bytes& plain);  // false after the FINAL message
  Status CheckEnd();                       // nothing after FINAL; the content hash

  ByteSource& src_;
  const Id org_id_;
  std::vector<PublicKey> recipients_;
  std::optional<crypto::SecretBytes> file_key_;
  uint64_t stream_at_ = 0;  // offset of the stream header
  uint64_t pos_ = 0;
  std::unique_ptr<crypto::StreamOpener> stream_;
  std::unique_ptr<crypto::Hasher> content_;
  Bytes manifest_bytes_;
  BundleManifest manifest_;
  uint64_t handed_ = 0;
  bool checked_ = false, ended_ = false;
  Bytes cipher_;
};

struct OpenedBundle {
  BundleManifest manifest;
  std::vector<PublicKey> recipients;
  std::vector<store::RawEntry> entries;
};

// Checks everything the file itself can prove (org, recipients, stream, manifest
// signature, count, content hash, the end) and returns the entries: BundleReader over
// bytes in memory (enrolment responses; tests). Who the exporter is
// (a member or not) is for the caller: every entry is verified on import anyway.
Result<OpenedBundle> OpenBundle(ByteView file, const Id& org_id, const crypto::BoxKeyPair& device);

// The org id and recipients a bundle names, read without keys.
struct BundleEnvelope {
  Id org_id{};
  std::vector<PublicKey> recipients;
};
Result<BundleEnvelope> ReadBundleEnvelope(ByteView file);
Result<BundleEnvelope> ReadBundleEnvelope(ByteSource& file);

}  // namespace fieldcase::sync
