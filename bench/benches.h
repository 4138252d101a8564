// The fieldcase-bench subcommands: help text and entry point of each.
#pragma once

#include <cstdio>

#include "fieldcase/base/status.h"
#include "options.h"

namespace fieldcase::bench {

extern const char* const kAppendHelp;
extern const char* const kOpenHelp;
extern const char* const kMicroHelp;
extern const char* const kBundleHelp;
extern const char* const kSyncHelp;
extern const char* const kScaleHelp;

int RunAppend(const Options& o);
int RunOpen(const Options& o);
int RunMicro(const Options& o);
int RunBundle(const Options& o);
int RunSync(const Options& o);
int RunScale(const Options& o);

bool Interrupted();  // fixture.h

// Prints "fieldcase-bench: <message>" on stderr; returns the exit code (1, or 130 after
// Ctrl-C).
inline int Fail(const Status& s) {
  std::fprintf(stderr, "fieldcase-bench: %s\n", s.ToString().c_str());
  return Interrupted() ? 130 : 1;
}

}  // namespace fieldcase::bench
