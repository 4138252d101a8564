#include "fieldcase/store/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fieldcase/base/system_error.h"

namespace fieldcase::store {

namespace {
std::function<void(const std::filesystem::path&)>& WaitNotice() {
  static std::function<void(const std::filesystem::path&)> notice;
  return notice;
}
}  // namespace

void DirLock::SetWaitNotice(std::function<void(const std::filesystem::path&)> notice) {
  WaitNotice() = std::move(notice);
}

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const DataDir& dir,
                                                  std::chrono::milliseconds wait) {
  std::error_code ec;
  // Only a folder made here is given owner-only permissions: an existing one (a read-only
  // medium, a folder an administrator set up) is never changed.
  if (std::filesystem::create_directories(dir.root, ec)) {
    std::filesystem::permissions(dir.root, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return Status::IOError("cannot create data folder " + dir.root.string() + ": " + ec.message());
  }
  int fd = ::open(dir.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    if (e == EROFS || e == EACCES) {
      return Status::IOError(std::string("cannot write in ") + dir.root.string() + " (" +
                             std::strerror(e) +
                             "); a read-only copy can still be checked with `fieldcase verify`");
    }
    return ErrnoStatus(e, "cannot open " + dir.lock().string());
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool told = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return Status::Busy("another fieldcase process is using " + dir.root.string() +
                          "; wait for it to finish or close it");
    }
    if (!told && WaitNotice()) WaitNotice()(dir.root);
    told = true;
    ::usleep(100 * 1000);
  }
  return std::unique_ptr<DirLock>(new DirLock(fd));
}

DirLock::~DirLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace fieldcase::store
