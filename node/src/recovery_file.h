// The recovery file: the recovery recipient's X25519 secret, sealed under its own
// passphrase (crypto/passphrase.h), written once by `init --org` and held offline.
//
//   offset size  field
//   0      5     magic "FCRC" 0x01
//   5      ...   SealWithPassphrase(recovery passphrase, X25519 secret)
#pragma once

namespace fieldcase::node {

inline constexpr char kRecoveryMagic[5] = {'F', 'C', 'R', 'C', 1};

}  // namespace fieldcase::node
