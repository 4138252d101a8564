// Fuzz targets register by name (FC_FUZZ_TARGET). With FIELDCASE_FUZZ (clang) each target
// becomes its own libFuzzer binary (libfuzzer_main.cpp dispatches to the one named at build
// time); otherwise the replay driver (replay_main.cpp) runs every target over the checked-in
// corpus (fuzz/corpus/<name>/) and deterministic mutations of it, under the sanitizers of
// the build it is part of (scripts/test runs it in the ASan+UBSan build).
#pragma once

#include <map>
#include <string>

#include "fieldcase/base/bytes.h"

namespace fieldcase::fuzz {
using TargetFn = void (*)(ByteView);
bool Register(const char* name, TargetFn fn);
std::map<std::string, TargetFn>& Targets();
}  // namespace fieldcase::fuzz

#define FC_FUZZ_TARGET(name)                                             \
  static void FuzzOne_##name(fieldcase::ByteView input);                 \
  [[maybe_unused]] static const bool registered_##name =                 \
      fieldcase::fuzz::Register(#name, FuzzOne_##name);                  \
  static void FuzzOne_##name(fieldcase::ByteView input)
