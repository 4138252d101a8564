// WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the
// COMMIT that pushes the WAL past its threshold: that commit then also copies every page
// of the WAL into the database and fsyncs it (~30 ms of a 1,000-entry catch-up's ~165 ms,
// docs/benchmarks.md). Here a commit that finds the WAL past kCheckpointBytes only wakes a
// thread, which checkpoints (PASSIVE: never waits for, nor blocks, the writer) on its own
// connection. Durability does not change: a commit is on disk when its WAL frames are
// fsync'd (synchronous=FULL), before any checkpoint. The WAL file restarts from its start
// only at a write that begins after a complete checkpoint: a writer that commits back to
// back rarely does, so at kCheckpointBoundBytes the committing connection checkpoints itself
// (copying the little the thread has not) and the WAL restarts: it stays bounded.
// Private to store/.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "db.h"

namespace fieldcase::store {

// In bytes of WAL; counted in pages of the store's own size (8 KiB for new stores, 4 KiB
// for stores made by earlier builds).
inline constexpr int64_t kCheckpointBytes = 16 << 20;     // wake the thread
inline constexpr int64_t kCheckpointBoundBytes = 64 << 20;  // checkpoint on the commit

class Checkpointer {
 public:
  // Registers on `main` (which must outlive this). Without a thread to spare, SQLite's own
  // checkpoint on commit is kept, at the same threshold.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path, Db& main);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  explicit Checkpointer(Db& main) : main_(main) {}
  int wake_pages_ = 0, bound_pages_ = 0;
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Run();

  Db& main_;
  std::unique_ptr<Db> own_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fieldcase::store
