#include "fieldcase/store/file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "fieldcase/base/system_error.h"

namespace fieldcase::store {

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::filesystem::path& path,
                                                     uint64_t max_bytes, std::string_view magic,
                                                     std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    return Status::NotFound("cannot read " + path.string() + ": No such file or directory");
  }
  if (fd < 0) return ErrnoStatus(errno, "cannot read " + path.string());
  std::unique_ptr<FileSource> f(new FileSource(fd, 0, path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot read " + path.string());
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path.string() + " is not a file");
  }
  f->size_ = uint64_t(st.st_size);
  // What the file says it is, before its size is judged or anything else is read.
  std::string head(magic.size(), '\0');
  if (!magic.empty() &&
      (f->size_ < magic.size() ||
       !f->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(head.data()), head.size()))
            .ok() ||
       head != magic)) {
    return Status::Corruption(path.string() + " is not a valid fieldcase " + std::string(what) +
                              " file");
  }
  if (f->size_ > max_bytes) {
    return Status::Corruption(path.string() + " is larger than " + std::to_string(max_bytes) +
                              " bytes; it is not a file fieldcase wrote");
  }
  return f;
}

FileSource::~FileSource() { ::close(fd_); }

Status FileSource::ReadAt(uint64_t offset, std::span<uint8_t> out) {
  if (offset > size_ || out.size() > size_ - offset) {
    return Status::Corruption(path_.string() + " is truncated: it ends before what it announces");
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "cannot read " + path_.string());
    if (n == 0) {
      return Status::Corruption(path_.string() + " ended while it was read (changed meanwhile?)");
    }
    done += size_t(n);
  }
  return Status::Ok();
}

}  // namespace fieldcase::store
