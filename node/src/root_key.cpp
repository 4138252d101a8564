// The root key held offline (issue 8 #2): exported sealed under its own passphrase, restored
// on any member device, so administration outlives the founding device.
//
// File (root key file, version 1):
//   offset size  field
//   0      5     magic "FCRK" 0x01
//   5      32    org id (in clear: a file of another organisation is named before any
//                passphrase is asked; the key itself proves it, OrgId(public key))
//   37     ...   crypto::SealWithPassphrase(root passphrase, root signing seed (32))
#include <cstring>

#include "fieldcase/node/node.h"
#include "parts.h"

namespace fieldcase::node {

namespace {
constexpr char kRootMagic[5] = {'F', 'C', 'R', 'K', 1};
constexpr size_t kRootFileMax = 4096;
}  // namespace

Result<Bytes> Node::ExportRootKey(const crypto::SecretBytes& file_passphrase,
                                  crypto::KdfCost cost) const {
  const Parts& p = *p_;
  if (!p.signer.Has(org::Role::kRoot)) {
    return Status::NotPermitted("this device holds no root key (only the founding device, or "
                                "one that restored it, does)");
  }
  Bytes file(kRootMagic, kRootMagic + sizeof(kRootMagic));
  Append(file, p.org_id);
  Append(file, crypto::SealWithPassphrase(file_passphrase,
                                          p.signer.Key(org::Role::kRoot).seed(), cost));
  return file;
}

Result<Id> RootKeyFileOrg(ByteView file) {
  if (file.size() < sizeof(kRootMagic) + 32 || file.size() > kRootFileMax ||
      std::memcmp(file.data(), kRootMagic, sizeof(kRootMagic)) != 0) {
    return Status::Corruption("not a fieldcase root key file");
  }
  Id org{};
  std::memcpy(org.data(), file.data() + sizeof(kRootMagic), org.size());
  return org;
}

Status Node::RestoreRootKey(ByteView file, const crypto::SecretBytes& file_passphrase,
                            const crypto::SecretBytes& passphrase) {
  Parts& p = *p_;
  FC_ASSIGN_OR_RETURN(Id org, RootKeyFileOrg(file));
  if (!p.log->org_id() || org != p.org_id) {
    return Status::NotPermitted("this root key file is of another organisation");
  }
  if (p.signer.Has(org::Role::kRoot)) {
    return Status::NotPermitted("this device holds the root key already");
  }
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes seed,
                      crypto::OpenWithPassphrase(file_passphrase,
                                                 file.subspan(sizeof(kRootMagic) + 32)));
  FC_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::FromSeed(seed.view()));
  // The org id is the root key's: a file whose key is not this org's root proves nothing.
  if (store::OrgId(key.public_key()) != p.org_id) {
    return Status::Corruption("the key in this file is not the organisation's root key");
  }
  p.keystore->Put(SignLabel(org::Role::kRoot), std::move(seed));
  FC_RETURN_IF_ERROR(p.SaveKeystore(passphrase));
  p.signer.Add(org::Role::kRoot, std::move(key));
  return p.Reload();
}

}  // namespace fieldcase::node
