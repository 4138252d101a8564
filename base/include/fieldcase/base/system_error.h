// One wording for what the operating system refuses, whichever file or socket it was: each
// names what ran out and what to do, so that running out of file descriptors or disk reads
// the same at the lock file, the keystore, a bundle and the database.
#pragma once

#include <string>

#include "fieldcase/base/status.h"

namespace fieldcase {

// `what` says what was being done ("opening /x/keystore"); `err` is an errno value.
Status ErrnoStatus(int err, const std::string& what);

// Whether err means a process- or system-wide limit on open files was reached.
bool IsOutOfDescriptors(int err);

}  // namespace fieldcase
