// The data folder of one node:
//   DIR/fieldcase.db (+ -wal, -shm)  the log          (store.h)
//   DIR/keystore                    sealed secrets   (keystore.h)
//   DIR/lock                        held by the one process using the folder
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "fieldcase/base/status.h"

namespace fieldcase::store {

struct DataDir {
  std::filesystem::path root;
  std::filesystem::path db() const { return root / "fieldcase.db"; }
  std::filesystem::path keystore() const { return root / "keystore"; }
  std::filesystem::path lock() const { return root / "lock"; }
};

// An exclusive advisory lock (flock) on DIR/lock, released on destruction or when the
// process dies — so a kill -9 never leaves a stale lock behind.
// A second process waits up to `wait` for the first (a sync finishing), telling the
// process-wide notice once that it waits; then Busy.
class DirLock {
 public:
  static constexpr std::chrono::milliseconds kDefaultWait{5000};
  static Result<std::unique_ptr<DirLock>> Acquire(const DataDir& dir,
                                                  std::chrono::milliseconds wait = kDefaultWait);
  // Called once per wait (the CLI says "waiting for …"); none by default.
  static void SetWaitNotice(std::function<void(const std::filesystem::path&)> notice);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace fieldcase::store
