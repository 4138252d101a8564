// Work split over a few threads: ed25519 verification and hashing are most of an import's
// and a verify's cost, and independent per entry.
#pragma once

#include <algorithm>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace fieldcase::store {

// Calls fn(begin, end) over [0, n) in contiguous slices, one per hardware thread (at most
// 8), the calling thread taking the first; small n runs on the calling thread alone.
template <typename Fn>
void ParallelFor(size_t n, Fn&& fn) {
  const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (workers == 1 || n < 32) {
    fn(size_t(0), n);
    return;
  }
  const size_t per = (n + workers - 1) / workers;
  std::vector<std::thread> pool;
  size_t begin = per;
  try {
    for (; begin < n; begin += per) pool.emplace_back(fn, begin, std::min(n, begin + per));
  } catch (const std::system_error&) {
    fn(begin, n);  // no thread to spare: this one does the rest
  }
  fn(size_t(0), std::min(n, per));
  for (auto& t : pool) t.join();
}

}  // namespace fieldcase::store
