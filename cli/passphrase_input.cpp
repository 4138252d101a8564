#include "passphrase_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fieldcase/base/system_error.h"
#include "fieldcase/crypto/passphrase.h"

namespace fieldcase::cli {

namespace {

constexpr size_t kMaxPassphrase = 1024;

// Reads one line into secret memory, stripping the newline. No std::string copies.
Result<crypto::SecretBytes> ReadLine(FILE* f, const std::string& what) {
  crypto::SecretBytes buf(kMaxPassphrase + 2);
  size_t n = 0;
  int c;
  while ((c = std::fgetc(f)) != EOF && c != '\n') {
    if (n >= kMaxPassphrase)
      return Status::InvalidArgument(what + ": passphrase longer than 1024 bytes");
    buf.data()[n++] = uint8_t(c);
  }
  if (n > 0 && buf.data()[n - 1] == '\r') --n;
  return crypto::SecretBytes::CopyFrom(buf.view().first(n));
}

Result<crypto::SecretBytes> Prompt(const std::string& prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    return Status::InvalidArgument(
        "no passphrase: not at a terminal; use --passphrase-file FILE or set FIELDCASE_PASSPHRASE");
  }
  std::fputs(prompt.c_str(), tty);
  std::fflush(tty);
  termios old{};
  bool restore = tcgetattr(fileno(tty), &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
  }
  auto line = ReadLine(tty, "terminal");
  if (restore) tcsetattr(fileno(tty), TCSAFLUSH, &old);
  std::fputs("\n", tty);
  std::fclose(tty);
  return line;
}

}  // namespace

Result<crypto::SecretBytes> ReadPassphrase(const PassphraseSource& src) {
  if (src.file) {
    FILE* f = std::fopen(src.file->c_str(), "r");
    if (f == nullptr) {
      return ErrnoStatus(errno, "cannot read passphrase file " + *src.file);
    }
    auto line = ReadLine(f, *src.file);
    std::fclose(f);
    return line;
  }
  if (const char* env = std::getenv(src.env_var)) {
    return crypto::SecretBytes::CopyFrom(AsBytes(env));
  }
  // At a terminal a new passphrase that is too weak is asked again, saying why.
  for (int attempt = 1;; ++attempt) {
    FC_ASSIGN_OR_RETURN(crypto::SecretBytes first, Prompt(src.prompt));
    if (src.new_passphrase) {
      if (auto weak = crypto::PassphraseWeakness(AsChars(first.view())); !weak.empty()) {
        if (attempt == 3) return Status::InvalidArgument(weak + "; nothing was written");
        std::fprintf(stderr, "%s; try another.\n", weak.c_str());
        continue;
      }
    }
    if (src.confirm) {
      FC_ASSIGN_OR_RETURN(crypto::SecretBytes again, Prompt("Repeat to confirm: "));
      if (!crypto::ConstantTimeEqual(first.view(), again.view())) {
        if (attempt == 3)
          return Status::InvalidArgument("the two passphrases differ; nothing was written");
        std::fprintf(stderr, "The two differ; once more.\n");
        continue;
      }
    }
    return first;
  }
}

}  // namespace fieldcase::cli
