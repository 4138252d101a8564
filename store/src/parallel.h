// Work split over a few threads: ed25519 verification and hashing are most of an import's
// and a verify's cost, and independent per entry.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace fieldcase::store {

// Calls fn(begin, end) over [0, n) in small contiguous slices taken in turn by one thread
// per hardware thread (at most 8), the calling thread among them; small n runs on the
// calling thread alone. Slices are taken as threads come free, not dealt out in advance: a
// thread the scheduler holds back (another process, the reading thread of a pipeline) then
// delays no one.
template <typename Fn>
void ParallelFor(size_t n, Fn&& fn) {
  const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (workers == 1 || n < 32) {
    fn(size_t(0), n);
    return;
  }
  const size_t slice = std::max<size_t>(16, n / (workers * 8));
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t begin = next.fetch_add(slice); begin < n; begin = next.fetch_add(slice)) {
      fn(begin, std::min(n, begin + slice));
    }
  };
  std::vector<std::thread> pool;
  try {
    for (size_t i = 1; i < workers; ++i) pool.emplace_back(run);
  } catch (const std::system_error&) {
    // No thread to spare: the ones made, and this one, take every slice.
  }
  run();
  for (auto& t : pool) t.join();
}

}  // namespace fieldcase::store
