#include "confirm.h"

#include <cstdio>
#include <cstring>

namespace fieldcase::cli {

Status Confirm(const std::string& question, const std::string& check) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    return Status::InvalidArgument("no terminal to confirm; " + check + ", then rerun with --yes");
  }
  std::fprintf(tty, "%s [y/N] ", question.c_str());
  std::fflush(tty);
  char buf[16] = {0};
  bool yes = std::fgets(buf, sizeof buf, tty) != nullptr && (buf[0] == 'y' || buf[0] == 'Y');
  std::fclose(tty);
  if (!yes) return Status::NotPermitted("not confirmed; nothing was written");
  return Status::Ok();
}

}  // namespace fieldcase::cli
