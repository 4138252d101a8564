#include "checkpointer.h"

#include <system_error>

namespace fieldcase::store {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path, Db& main) {
  std::unique_ptr<Checkpointer> c(new Checkpointer(main));
  FC_ASSIGN_OR_RETURN(c->own_, Db::Open(path, /*read_only=*/false));
  // A connection learns the database is in WAL mode at its first read; until then a
  // checkpoint on it does nothing.
  FC_RETURN_IF_ERROR(c->own_->Exec("PRAGMA schema_version"));
  FC_ASSIGN_OR_RETURN(Stmt q, main.Prepare("PRAGMA page_size"));
  FC_ASSIGN_OR_RETURN(bool row, q.Step("reading the page size"));
  const int64_t page = row && q.Int(0) >= 512 ? q.Int(0) : 4096;
  c->wake_pages_ = int(kCheckpointBytes / page);
  c->bound_pages_ = int(kCheckpointBoundBytes / page);
  try {
    c->thread_ = std::thread([p = c.get()] { p->Run(); });
  } catch (const std::system_error&) {
    sqlite3_wal_autocheckpoint(main.raw(), c->wake_pages_);
    return c;
  }
  // Replaces SQLite's automatic checkpoint (itself a WAL hook).
  sqlite3_wal_hook(main.raw(), &Checkpointer::OnCommit, c.get());
  return c;
}

Checkpointer::~Checkpointer() {
  if (!thread_.joinable()) return;
  sqlite3_wal_hook(main_.raw(), nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= c->bound_pages_) {
    // The WAL restarts only at a write that begins after a complete checkpoint, which a
    // busy writer seldom does while the thread works; or the thread is starved of CPU.
    // This commit then copies what is left (most was copied already) and the next write
    // restarts the WAL.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= c->wake_pages_) {
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      c->wanted_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs; a failure (busy, I/O) is retried at the
    // next commit past the threshold, and the next open or close checkpoints too.
    sqlite3_wal_checkpoint_v2(own_->raw(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
  }
}

}  // namespace fieldcase::store
