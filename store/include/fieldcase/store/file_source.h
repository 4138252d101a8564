// A file read a piece at a time (base/byte_source.h), opened with the checks every file
// fieldcase reads gets before anything is allocated for its contents: it exists and can
// be opened, its first bytes are the magic of its kind, and it is within its bound.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "fieldcase/base/byte_source.h"
#include "fieldcase/base/status.h"

namespace fieldcase::store {

class FileSource final : public ByteSource {
 public:
  // `magic` and `what` as ReadFileBounded (keystore.h): a file of another kind is named.
  static Result<std::unique_ptr<FileSource>> Open(const std::filesystem::path& path,
                                                  uint64_t max_bytes, std::string_view magic,
                                                  std::string_view what);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) override;

 private:
  FileSource(int fd, uint64_t size, std::filesystem::path path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  uint64_t size_;
  std::filesystem::path path_;
};

}  // namespace fieldcase::store
