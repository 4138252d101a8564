#include "fieldcase/store/keystore.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/base/system_error.h"
#include "fieldcase/crypto/hash.h"

namespace fieldcase::store {

namespace {
constexpr char kMagic[4] = {'F', 'C', 'K', 'S'};
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxKeystoreBytes = 1 << 20;
constexpr std::string_view kChecksumName = "fc-keystore";

Status Errno(const std::string& what) { return ErrnoStatus(errno, what); }
}  // namespace

void Keystore::Put(const std::string& label, crypto::SecretBytes secret) {
  items_.insert_or_assign(label, std::move(secret));
}

bool Keystore::Erase(const std::string& label) { return items_.erase(label) > 0; }

const crypto::SecretBytes* Keystore::Find(const std::string& label) const {
  auto it = items_.find(label);
  return it == items_.end() ? nullptr : &it->second;
}

crypto::SecretBytes Keystore::Serialize() const {
  size_t n = 2;
  for (auto& [label, s] : items_) n += 1 + label.size() + 4 + s.size();
  crypto::SecretBytes out(n);
  // In place: the secrets must not pass through a std::vector on their way out.
  ByteWriter w(std::span<uint8_t>(out.data(), out.size()));
  w.U16(uint16_t(items_.size()));
  for (auto& [label, s] : items_) {
    w.U8(uint8_t(label.size()));
    w.Raw(AsBytes(label));
    w.U32(uint32_t(s.size()));
    w.Raw(s.view());
  }
  return out;
}

Result<Keystore> Keystore::Parse(ByteView plain) {
  // The plaintext came out of an authenticated seal: one message per kind of damage will do.
  auto truncated = [] { return Status::Corruption("keystore contents truncated"); };
  Keystore ks;
  ByteReader r(plain);
  uint16_t count = 0;
  if (!r.U16(count, "count").ok()) return truncated();
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t llen = 0;
    uint32_t slen = 0;
    ByteView label, secret;
    if (!r.U8(llen, "label length").ok() || !r.Take(llen, label, "label").ok() ||
        !r.U32(slen, "secret length").ok() || !r.Take(slen, secret, "secret").ok()) {
      return truncated();
    }
    ks.Put(std::string(AsChars(label)), crypto::SecretBytes::CopyFrom(secret));
  }
  if (!r.End("keystore").ok()) return Status::Corruption("keystore has trailing bytes");
  return ks;
}

Status WriteFileAtomic(const std::filesystem::path& path, ByteView bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot write " + tmp.string());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot write " + tmp.string());
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += size_t(w);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("cannot sync " + tmp.string());
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::close(fd) != 0) {
    Status st = Errno("cannot write " + tmp.string());
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot replace " + path.string());
  // The rename is durable only once the folder is synced: a failure here is a failure.
  return SyncFolder(path.parent_path().empty() ? "." : path.parent_path());
}

Status SyncFolder(const std::filesystem::path& folder) {
  int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot sync folder " + folder.string());
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("cannot sync folder " + folder.string());
  return Status::Ok();
}

Result<Bytes> ReadFileBounded(const std::filesystem::path& path, size_t max_bytes,
                              std::string_view magic, std::string_view what) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path.string() + ": " + ec.message());
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return ErrnoStatus(errno ? errno : EIO, "cannot open " + path.string());
  if (!magic.empty()) {
    // What the file says it is, before anything is read or allocated for the rest.
    std::string head(magic.size(), '\0');
    if (!in.read(head.data(), std::streamsize(head.size())) || head != magic) {
      return Status::Corruption(path.string() + " is not a valid fieldcase " + std::string(what) +
                                " file");
    }
    in.seekg(0);
  }
  if (size > max_bytes) {
    return Status::Corruption(path.string() + " is larger than " + std::to_string(max_bytes) +
                              " bytes; it is not a file fieldcase wrote");
  }
  Bytes out(size);
  if (!in.read(reinterpret_cast<char*>(out.data()), std::streamsize(size))) {
    return Status::IOError("cannot read " + path.string());
  }
  return out;
}

Status WriteKeystore(const std::filesystem::path& path, const Keystore& ks,
                     const crypto::SecretBytes& passphrase, crypto::KdfCost cost) {
  crypto::SecretBytes plain = ks.Serialize();
  Bytes sealed = crypto::SealWithPassphrase(passphrase, plain.view(), cost);
  ByteWriter file(4 + 1 + 32 + sealed.size());
  file.Raw(AsBytes(std::string_view(kMagic, 4)));
  file.U8(kVersion);
  file.Fixed(crypto::Hash256(kChecksumName, {sealed}));
  file.Raw(sealed);
  return WriteFileAtomic(path, file.Take());
}

namespace {
Result<Bytes> ReadSealed(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    return Status::NotFound("no keystore at " + path.string() +
                            "; run `fieldcase init` first or check --data");
  }
  // `fieldcase backup` leaves the keystore out (it holds the signing keys), so the way back
  // is the copy its owner keeps offline.
  const std::string restore = "; copy it back from the copy of " + path.string() +
                              " you keep offline (`fieldcase backup` leaves the keystore out). "
                              "Without it this device cannot unlock; what it synced is safe on "
                              "the other devices";
  FC_ASSIGN_OR_RETURN(Bytes file, ReadFileBounded(path, kMaxKeystoreBytes));
  ByteReader r(file);
  ByteView magic;
  uint8_t version = 0;
  Id stored_sum;
  if (!r.Take(4, magic, "magic").ok() || AsChars(magic) != std::string_view(kMagic, 4) ||
      !r.U8(version, "version").ok() || version != kVersion ||
      !r.Fixed(stored_sum, "checksum").ok()) {
    return Status::Corruption("keystore " + path.string() + " is not a fieldcase keystore" +
                              restore);
  }
  ByteView rest = r.Rest();
  Bytes sealed(rest.begin(), rest.end());
  Id sum = crypto::Hash256(kChecksumName, {sealed});
  if (!crypto::ConstantTimeEqual(sum, stored_sum)) {
    return Status::Corruption("keystore " + path.string() + " is damaged (its checksum fails)" +
                              restore);
  }
  return sealed;
}
}  // namespace

Result<Keystore> ReadKeystore(const std::filesystem::path& path,
                              const crypto::SecretBytes& passphrase) {
  FC_ASSIGN_OR_RETURN(Bytes sealed, ReadSealed(path));
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes plain, crypto::OpenWithPassphrase(passphrase, sealed));
  return Keystore::Parse(plain.view());
}

Result<crypto::KdfCost> KeystoreCost(const std::filesystem::path& path) {
  FC_ASSIGN_OR_RETURN(Bytes sealed, ReadSealed(path));
  return crypto::BlobCost(sealed);
}

}  // namespace fieldcase::store
