// The recovery file: the recovery recipient's X25519 secret, sealed under its own
// passphrase (crypto/passphrase.h), written once by `init --org` and held offline.
//
//   offset size  field
//   0      5     magic "FCRC" 0x01
//   5      ...   SealWithPassphrase(recovery passphrase, X25519 secret)
#pragma once

#include <cstring>
#include <filesystem>
#include <fstream>

namespace fieldcase::node {

inline constexpr char kRecoveryMagic[5] = {'F', 'C', 'R', 'C', 1};

// Whether the file at `path` starts with the recovery magic (read: 5 bytes).
inline bool IsRecoveryFile(const std::filesystem::path& path) {
  char head[sizeof(kRecoveryMagic)] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(head, sizeof head) && std::memcmp(head, kRecoveryMagic, sizeof head) == 0;
}

}  // namespace fieldcase::node
