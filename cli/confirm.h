// Asks a yes/no question on the terminal (never on stdin, which scripts may use).
#pragma once

#include <string>

#include "fieldcase/base/status.h"

namespace fieldcase::cli {

// Ok when the person answered yes; NotPermitted when no; InvalidArgument when there is
// no terminal (the message names --yes).
// `check`: what to do before answering, named when there is no terminal.
Status Confirm(const std::string& question, const std::string& check = "compare the fingerprint");

}  // namespace fieldcase::cli
