// libFuzzer's entry point for the target named by FIELDCASE_FUZZ_TARGET_NAME.
#include <cstdlib>

#include "fieldcase/crypto/secret.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fieldcase::fuzz::TargetFn fn = [] {
    if (!fieldcase::crypto::Init()) std::abort();
    auto it = fieldcase::fuzz::Targets().find(FIELDCASE_FUZZ_TARGET_NAME);
    if (it == fieldcase::fuzz::Targets().end()) std::abort();
    return it->second;
  }();
  fn(fieldcase::ByteView(data, size));
  return 0;
}
