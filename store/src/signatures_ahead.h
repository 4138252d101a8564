// Signatures checked on worker threads ahead of the thread that stores their entries: an
// import is ed25519 verification (~44 µs an entry) and SQLite (one thread only), and
// with both on the same thread one core idles while the other writes. Here the workers
// verify the list front to back in small slices while the writer stores what is already
// verified; the writer waits only when it catches up.
//
// The verdicts never leave the store (append.cpp): nothing outside can hand it a "checked"
// flag. Without workers (none could be started) the writer checks inline what it needs.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "fieldcase/store/entry.h"

namespace fieldcase::store {

class SignaturesAhead {
 public:
  // Every entry is checked, in order: which will reach its signature check (not held
  // already, not a gap) is known only as the writer gets there, and a check no one asks
  // for costs a worker's time, not the writer's.
  SignaturesAhead(const Id& org_id, const std::vector<Entry>& entries)
      : org_id_(org_id), entries_(entries), ok_(entries.size(), 0) {
    const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
    if (entries_.size() < kSlice) return;  // the writer checks a few itself
    pool_.reserve(workers);  // so a thread, once started, is always held (and joined)
    try {
      for (size_t i = 0; i < workers; ++i) pool_.emplace_back([this] { Work(); });
    } catch (const std::system_error&) {
      // Fewer workers (or none): the writer checks inline what it needs.
    }
  }
  ~SignaturesAhead() {
    stop_.store(true);
    for (auto& t : pool_) t.join();
  }
  SignaturesAhead(const SignaturesAhead&) = delete;
  SignaturesAhead& operator=(const SignaturesAhead&) = delete;

  // Whether entry i's signature verifies; waits for the workers to get there.
  bool Verified(size_t i) {
    if (pool_.empty()) return Check(i);
    if (prefix_.load(std::memory_order_acquire) <= i) {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait(lock, [&] { return prefix_.load(std::memory_order_relaxed) > i; });
    }
    return ok_[i] != 0;
  }

 private:
  static constexpr size_t kSlice = 64;

  bool Check(size_t i) {
    const Entry& e = entries_[i];
    PublicKey author{};
    std::memcpy(author.data(), e.header_bytes.data() + 3, author.size());
    return VerifyEntrySignature(org_id_, e.header_bytes, author, e.signature);
  }

  // Slices are taken in order as workers come free; the finished prefix advances when the
  // slice at its edge is done.
  void Work() {
    const size_t n = entries_.size();
    for (size_t begin = next_.fetch_add(kSlice); begin < n && !stop_.load();
         begin = next_.fetch_add(kSlice)) {
      const size_t end = std::min(n, begin + kSlice);
      for (size_t i = begin; i < end; ++i) ok_[i] = Check(i);
      std::lock_guard<std::mutex> lock(mu_);
      finished_[begin] = end;
      size_t prefix = prefix_.load(std::memory_order_relaxed);
      for (auto it = finished_.find(prefix); it != finished_.end(); it = finished_.find(prefix)) {
        prefix = it->second;
        finished_.erase(it);
      }
      prefix_.store(prefix, std::memory_order_release);
      done_.notify_all();
    }
  }

  const Id org_id_;
  const std::vector<Entry>& entries_;
  std::vector<uint8_t> ok_;  // each element written by one worker, read below the prefix
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable done_;
  std::atomic<size_t> prefix_{0};      // entries [0, prefix_) checked; written under mu_
  std::map<size_t, size_t> finished_;  // guarded by mu_: slices done past the prefix
  std::vector<std::thread> pool_;
};

}  // namespace fieldcase::store
