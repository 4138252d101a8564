// A file that appears whole or not at all, written a piece at a time (base/byte_sink.h):
// the bytes go to PATH.tmp beside it; Commit syncs them, renames the file into place without
// replacing anything there, and syncs the folder. Destroyed before Commit, the partial file
// is removed: a killed or failed export never leaves half a bundle under the name asked for
// (a kill leaves PATH.tmp, which the next attempt overwrites).
#pragma once

#include <filesystem>
#include <memory>

#include "fieldcase/base/byte_sink.h"
#include "fieldcase/base/status.h"

namespace fieldcase::store {

class NewFile final : public ByteSink {
 public:
  // Refuses a path that exists: a bundle or heads file is never written over another.
  static Result<std::unique_ptr<NewFile>> Create(const std::filesystem::path& path);
  ~NewFile() override;
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;

  Status Write(ByteView bytes) override;
  Status Commit();
  uint64_t written() const { return written_; }

 private:
  NewFile(int fd, std::filesystem::path path, std::filesystem::path tmp)
      : fd_(fd), path_(std::move(path)), tmp_(std::move(tmp)) {}
  void Abandon();

  int fd_;
  std::filesystem::path path_, tmp_;
  uint64_t written_ = 0;
  bool failed_ = false;
};

}  // namespace fieldcase::store
