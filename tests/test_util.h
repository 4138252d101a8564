// Helpers shared by the test executables: temp folders and file access.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "fieldcase/base/byte_sink.h"
#include "fieldcase/base/bytes.h"

namespace fieldcase::test {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    static std::mt19937_64 rng{std::random_device{}()};
    path_ = std::filesystem::temp_directory_path() /
            ("fieldcase-test-" + std::to_string(::getpid()) + "-" + std::to_string(rng()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

inline Bytes Hex(std::string_view h) {
  Bytes b;
  if (!FromHex(h, b)) throw std::invalid_argument("bad hex in test data");
  return b;
}

// Reads "key value" lines of a known-answer file under tests/data/kat ('#' starts a comment).
inline std::map<std::string, std::string> ReadKat(const std::string& file) {
  std::ifstream in(std::string(FIELDCASE_TEST_DATA) + "/kat/" + file);
  std::map<std::string, std::string> kv;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    kv[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return kv;
}

// A sink with room for `room` bytes that then fails as a full disk does (a fake at the
// edge: the file system).
class FullSink final : public ByteSink {
 public:
  explicit FullSink(size_t room) : room_(room) {}
  Status Write(ByteView b) override {
    if (b.size() > room_) return Status::IOError("cannot write: no space left on device");
    room_ -= b.size();
    written += b.size();
    return Status::Ok();
  }
  size_t written = 0;

 private:
  size_t room_;
};

}  // namespace fieldcase::test
