// What the bundle writer and reader share of the file format (the table is in
// fieldcase/sync/bundle.h and docs/formats/bundle.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/sync/bundle.h"

namespace fieldcase::sync::bundle_format {

inline constexpr const char* kMagic = kBundleFileMagic.data();
inline constexpr uint8_t kVersion = 2;  // 1: entry records instead of transit form (never read)
inline constexpr size_t kManifestSignedBytes = 32 + 8 + 8 + 32 + 32;

// The context a file key is sealed under: bound to the organisation and the recipient.
inline Bytes FileKeyContext(const Id& org_id, const PublicKey& recipient) {
  return crypto::KeyWrapContext({org_id, AsBytes("bundle"), recipient});
}

}  // namespace fieldcase::sync::bundle_format
