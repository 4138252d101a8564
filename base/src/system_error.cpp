#include "fieldcase/base/system_error.h"

#include <cerrno>
#include <cstring>

namespace fieldcase {

bool IsOutOfDescriptors(int err) { return err == EMFILE || err == ENFILE; }

Status ErrnoStatus(int err, const std::string& what) {
  if (IsOutOfDescriptors(err)) {
    return Status::IOError(what + ": out of file descriptors (" + std::strerror(err) +
                           "); close other programs or raise the limit (ulimit -n)");
  }
  if (err == ENOSPC || err == EDQUOT) {
    return Status::IOError(what + ": disk full; free some space and retry");
  }
  if (err == EROFS) {
    return Status::IOError(what + ": the medium is read-only; copy the folder somewhere "
                                  "writable, or use `fieldcase verify` and `status` to read it");
  }
  if (err == EACCES || err == EPERM) {
    return Status::IOError(what + ": permission denied; check the owner and permissions");
  }
  if (err == ENOMEM) {
    return Status::IOError(what + ": out of memory; close other programs and retry");
  }
  return Status::IOError(what + ": " + std::strerror(err));
}

}  // namespace fieldcase
