// Asks a yes/no question on the terminal (never on stdin, which scripts may use).
#pragma once

#include <string>

#include "fieldcase/base/status.h"

namespace fieldcase::cli {

// Ok when the person answered yes; NotPermitted when no; InvalidArgument when there is
// no terminal (the message names --yes).
Status Confirm(const std::string& question);

}  // namespace fieldcase::cli
