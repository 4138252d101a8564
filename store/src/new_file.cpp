#include "fieldcase/store/new_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "fieldcase/base/system_error.h"
#include "fieldcase/store/keystore.h"

namespace fieldcase::store {

namespace {

Status Exists(const std::filesystem::path& path) {
  return Status::InvalidArgument(path.string() + " already exists; choose another file");
}

// The rename that refuses to replace: RENAME_NOREPLACE where the file system has it; where it
// does not (some removable media), a check just before the rename.
int RenameNoReplace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  std::error_code ec;
  if (std::filesystem::exists(to, ec) || ec) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

}  // namespace

Result<std::unique_ptr<NewFile>> NewFile::Create(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Exists(path);
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // Held locked while it is written: what a killed export left is taken over (emptied); one
  // that another export is writing now is refused, never shared. A symbolic link or anything
  // but a regular file there is refused, never followed or truncated.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ELOOP) {
    return Status::InvalidArgument(tmp.string() + " is a link; remove it or choose another file");
  }
  if (fd < 0) return ErrnoStatus(errno, "cannot write " + tmp.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(tmp.string() + " is not a file; remove it or choose another file");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Busy("another export is writing " + tmp.string() +
                        " now; wait for it to finish or choose another file");
  }
  if (::ftruncate(fd, 0) != 0 || ::fcntl(fd, F_SETFL, 0) != 0) {
    Status s = ErrnoStatus(errno, "cannot write " + tmp.string());
    ::close(fd);
    return s;
  }
  return std::unique_ptr<NewFile>(new NewFile(fd, path, std::move(tmp)));
}

NewFile::~NewFile() { Abandon(); }

void NewFile::Abandon() {
  if (fd_ < 0) return;
  ::unlink(tmp_.c_str());  // while the lock is held: the name is still ours
  ::close(fd_);
  fd_ = -1;
}

Status NewFile::Write(ByteView bytes) {
  if (fd_ < 0 || failed_) throw std::logic_error("NewFile::Write after it ended");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      failed_ = true;
      Status s = ErrnoStatus(errno, "cannot write " + tmp_.string());
      Abandon();
      return s;
    }
    done += size_t(w);
  }
  written_ += bytes.size();
  return Status::Ok();
}

Status NewFile::Commit() {
  if (fd_ < 0 || failed_) throw std::logic_error("NewFile::Commit after it ended");
  if (::fsync(fd_) != 0) {
    Status s = ErrnoStatus(errno, "cannot sync " + tmp_.string());
    Abandon();
    return s;
  }
  // Renamed while the lock is held, so no other export can be writing this file.
  if (RenameNoReplace(tmp_, path_) != 0) {
    const int err = errno;
    Abandon();
    if (err == EEXIST) return Exists(path_);
    return ErrnoStatus(err, "cannot name " + path_.string());
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoStatus(errno, "cannot write " + path_.string());
  // The rename is durable only once the folder is synced: a failure here is a failure (the
  // file is complete under its name; whether it survives a power cut is not known).
  return SyncFolder(path_.parent_path().empty() ? "." : path_.parent_path());
}

}  // namespace fieldcase::store
