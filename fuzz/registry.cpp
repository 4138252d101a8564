#include "fuzz_target.h"

namespace fieldcase::fuzz {

std::map<std::string, TargetFn>& Targets() {
  static std::map<std::string, TargetFn> t;
  return t;
}

bool Register(const char* name, TargetFn fn) {
  Targets()[name] = fn;
  return true;
}

}  // namespace fieldcase::fuzz
