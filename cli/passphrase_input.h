// Where a passphrase comes from: --passphrase-file, then the environment variable, then
// a no-echo prompt on the terminal. It goes straight into sodium_malloc'd memory.
#pragma once

#include <optional>
#include <string>

#include "fieldcase/base/status.h"
#include "fieldcase/crypto/secret.h"

namespace fieldcase::cli {

struct PassphraseSource {
  std::optional<std::string> file;  // first line of the file
  const char* env_var = "FIELDCASE_PASSPHRASE";
  std::string prompt = "Passphrase: ";
  bool confirm = false;  // ask twice at a terminal (new passphrases)
  // A new passphrase: at a terminal, one too weak (crypto::PassphraseWeakness) is asked
  // again, up to three times. From a file or the environment the caller refuses it.
  bool new_passphrase = false;
};

Result<crypto::SecretBytes> ReadPassphrase(const PassphraseSource& src);

}  // namespace fieldcase::cli
