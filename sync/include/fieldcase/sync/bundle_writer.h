// Writing a bundle (format: bundle.h, docs/formats/bundle.md) a message at a time, so that an
// export of any size holds about one message (~1 MiB) in memory.
//
// The manifest comes first in the file and carries the entry count and the content hash of
// everything after it, so the entries go through twice, in the same order:
//
//   BundleTally tally;                     // pass 1: count, content hash, file size
//   for (e : entries) tally.Add(e);
//   auto w = BundleWriter::Start(sink, org, exporter, recipients, tally, heads, now);
//   for (e : entries) w->Add(e);           // pass 2: sealed and written as they come
//   w->Finish();                           // the last message tagged FINAL
//
// Finish refuses (and nothing should be kept of what was written) when pass 2 was not what
// pass 1 counted: a bundle whose manifest did not describe it would be refused by every
// reader anyway. A store read twice is the same both times: one process holds a data folder.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "fieldcase/base/byte_sink.h"
#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/sync/bundle.h"

namespace fieldcase::crypto {
class StreamSealer;
}  // namespace fieldcase::crypto

namespace fieldcase::sync {

// Entries grouped into the bundle's entry messages: each a transit batch (transit.h) of about
// kMaxBundleMessage bytes, an entry never split; `emit` gets each message's plaintext.
class BundleMessages {
 public:
  explicit BundleMessages(std::function<Status(ByteView)> emit) : emit_(std::move(emit)) {}
  Status Add(store::RawEntry e);
  Status Flush();  // the group so far as a message (none when empty)
  uint64_t entries() const { return entries_; }

 private:
  std::function<Status(ByteView)> emit_;
  std::vector<store::RawEntry> group_;
  size_t group_bytes_ = 0;
  uint64_t entries_ = 0;
};

// Pass 1: what the manifest says of the entries, and how large their part of the file is.
class BundleTally {
 public:
  BundleTally();
  BundleTally(const BundleTally&) = delete;
  BundleTally& operator=(const BundleTally&) = delete;
  Status Add(store::RawEntry e) { return messages_.Add(std::move(e)); }
  // After the last Add: the count, the content hash and the bytes of the entry messages
  // sealed and framed.
  struct Totals {
    uint64_t entries = 0;
    Id content_hash{};
    uint64_t body_bytes = 0;
  };
  Result<Totals> Finish();

 private:
  crypto::Hasher content_;
  uint64_t body_bytes_ = 0;
  BundleMessages messages_;  // last: its emit uses the two above
};

// Pass 2.
class BundleWriter {
 public:
  // Writes the envelope (a fresh file key sealed to each recipient), the stream header and
  // the signed manifest. Refuses 0 or more than kMaxBundleRecipients recipients, and a
  // bundle that would be larger than kMaxBundleBytes (no reader would take it).
  static Result<std::unique_ptr<BundleWriter>> Start(ByteSink& sink, const Id& org_id,
                                                     const crypto::SigningKey& exporter,
                                                     const std::vector<PublicKey>& recipients,
                                                     const BundleTally::Totals& tally,
                                                     const Id& heads_digest, int64_t now_ms);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  Status Add(store::RawEntry e) { return messages_.Add(std::move(e)); }
  uint64_t added() const { return messages_.entries(); }
  // The last message, sealed FINAL, once the entries are checked against the tally.
  Result<BundleManifest> Finish();

 private:
  BundleWriter(ByteSink& sink, BundleManifest manifest, std::unique_ptr<crypto::StreamSealer> s);
  Status Put(ByteView plain);  // seals the message held back, holds this one
  Status SealHeld(bool final);

  ByteSink& sink_;
  BundleManifest manifest_;
  std::unique_ptr<crypto::StreamSealer> stream_;
  crypto::Hasher content_;
  Bytes held_;  // the newest message, sealed once it is known whether it is the last
  BundleMessages messages_;  // last: its emit uses the members above
};

}  // namespace fieldcase::sync
