// libsodium's secretstream (XChaCha20-Poly1305): a sequence of messages under one key, each
// authenticated and bound to its place; the FINAL tag on the last message is what proves
// nothing was cut off the end. Bundles (docs/formats/bundle.md) and, later, sessions use it.
//
//   header = 24 bytes (crypto_secretstream_xchacha20poly1305_HEADERBYTES), sent first
//   message = ciphertext of n bytes ‖ 17 bytes (ABYTES: tag byte and MAC)
#pragma once

#include <memory>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::crypto {

inline constexpr size_t kStreamKeyBytes = 32;
inline constexpr size_t kStreamHeaderBytes = 24;
inline constexpr size_t kStreamOverheadBytes = 17;

class StreamSealer {
 public:
  // A fresh stream under `key`; header() goes first on the wire.
  explicit StreamSealer(const SecretBytes& key);
  ~StreamSealer();
  StreamSealer(const StreamSealer&) = delete;
  StreamSealer& operator=(const StreamSealer&) = delete;
  const Array<kStreamHeaderBytes>& header() const { return header_; }
  // The next message; `final` marks the last one.
  Bytes Seal(ByteView plaintext, bool final);

 private:
  SecretBytes state_;  // libsodium's state holds the key: secret memory
  Array<kStreamHeaderBytes> header_{};
};

class StreamOpener {
 public:
  // Fails on a header that is not one.
  static Result<std::unique_ptr<StreamOpener>> Open(const SecretBytes& key, ByteView header);
  ~StreamOpener();
  StreamOpener(const StreamOpener&) = delete;
  StreamOpener& operator=(const StreamOpener&) = delete;
  // The next message's plaintext, into secret memory. Corruption when it was altered,
  // reordered or comes after the final one.
  Result<SecretBytes> Open(ByteView message);
  bool finished() const { return finished_; }

 private:
  StreamOpener() = default;
  SecretBytes state_;
  bool finished_ = false;
};

}  // namespace fieldcase::crypto
