// The keystore file: this node's secrets (signing seeds, device X25519 key, directory
// key …), sealed under the passphrase. It lives beside the database, never inside it,
// so `fieldcase backup` can leave the signing keys out.
//
// File, version 1 (little-endian):
//   offset size  field
//   0      4     magic "FCKS"
//   4      1     version = 1
//   5      32    BLAKE2b-256("fc-keystore") of bytes 37..end — tells a damaged file
//                from a wrong passphrase (it is not a secret and proves nothing else)
//   37     n     crypto::SealWithPassphrase blob (passphrase.h) of the plaintext below
//
// Plaintext (only ever in sodium_malloc'd memory):
//   u16 count, then per item: u8 label_len, label, u32 secret_len, secret
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "fieldcase/base/status.h"
#include "fieldcase/crypto/passphrase.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::store {

class Keystore {
 public:
  void Put(const std::string& label, crypto::SecretBytes secret);
  bool Erase(const std::string& label);  // true when it was there
  const crypto::SecretBytes* Find(const std::string& label) const;
  const std::map<std::string, crypto::SecretBytes>& items() const { return items_; }

  crypto::SecretBytes Serialize() const;
  static Result<Keystore> Parse(ByteView plain);

 private:
  std::map<std::string, crypto::SecretBytes> items_;
};

// Atomic: writes a temporary file, fsyncs it, renames it over the old one and fsyncs
// the folder; a crash leaves either the old or the new keystore, never half of one.
Status WriteKeystore(const std::filesystem::path& path, const Keystore& ks,
                     const crypto::SecretBytes& passphrase, crypto::KdfCost cost);
// WrongPassphrase, Corruption (damaged file) or NotFound.
Result<Keystore> ReadKeystore(const std::filesystem::path& path,
                              const crypto::SecretBytes& passphrase);
Result<crypto::KdfCost> KeystoreCost(const std::filesystem::path& path);

// Writes bytes to path atomically (temp file, fsync, rename, fsync folder), mode 0600.
Status WriteFileAtomic(const std::filesystem::path& path, ByteView bytes);
// Makes a rename or removal in `folder` durable (fsync of the folder).
Status SyncFolder(const std::filesystem::path& folder);
// Reads a whole file of at most max_bytes.
// With `magic`, the file's first bytes are checked first: a file of another kind is named
// ("not a fieldcase <what> file") without being read.
Result<Bytes> ReadFileBounded(const std::filesystem::path& path, size_t max_bytes,
                              std::string_view magic = {}, std::string_view what = {});

}  // namespace fieldcase::store
