// A fault at the edge for crash tests: preloaded into a fieldcase process, it makes every
// fsync and fdatasync take FC_SLOW_FSYNC_US microseconds longer (default 3000), as a slow
// SD card or USB stick does, so kills land in the windows between durable writes.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace {

void Wait() {
  static const long us = [] {
    const char* v = std::getenv("FC_SLOW_FSYNC_US");
    return v ? std::atol(v) : 3000L;
  }();
  if (us > 0) ::usleep(useconds_t(us));
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  Wait();
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  Wait();
  return real(fd);
}
