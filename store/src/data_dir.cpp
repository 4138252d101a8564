#include "fieldcase/store/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fieldcase::store {

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const DataDir& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir.root, ec);
  if (ec) {
    return Status::IOError("cannot create data folder " + dir.root.string() + ": " + ec.message());
  }
  std::filesystem::permissions(dir.root, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  int fd = ::open(dir.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("cannot open " + dir.lock().string() + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Busy("another fieldcase process is using " + dir.root.string() +
                        "; wait for it to finish or close it");
  }
  return std::unique_ptr<DirLock>(new DirLock(fd));
}

DirLock::~DirLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace fieldcase::store
