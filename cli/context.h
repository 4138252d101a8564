// What every command shares: parsed options, the data folder, output mode, the clock.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "fieldcase/node/node.h"
#include "fieldcase/store/data_dir.h"

namespace fieldcase::cli {

// Exit codes (documented in `fieldcase --help`).
inline constexpr const char* kProgramVersion = "fieldcase 0.1.0";
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitWrongPassphrase = 2;
inline constexpr int kExitUsage = 64;

struct Command;

class Context {
 public:
  Context(Args args, const Command& cmd);

  const Args& args() const { return args_; }
  const Command& command() const { return cmd_; }
  bool json() const { return args_.Has("json"); }
  const store::DataDir& dir() const { return dir_; }
  std::vector<std::filesystem::path> TemplateDirs() const;
  static int64_t NowMs();

  // Asks for the passphrase (file, FIELDCASE_PASSPHRASE or prompt) and unlocks.
  // With `keep_passphrase`, the passphrase stays for commands that save the keystore again
  // (join, restore-root, export-root).
  Result<std::unique_ptr<node::Node>> Unlock(
      std::optional<crypto::SecretBytes>* keep_passphrase = nullptr) const;
  // The person ids named by every --to (name, badge or key prefix).
  Result<std::vector<Id128>> PersonsFromTo(const node::Node& node) const;

 private:
  Args args_;
  const Command& cmd_;
  store::DataDir dir_;
};

struct Command {
  std::string name;      // "case show"
  std::string synopsis;  // "CASE"
  std::string summary;   // one line for the command list
  std::string help;      // the rest of `--help`
  std::vector<OptionSpec> options;
  size_t min_positional = 0;
  size_t max_positional = 0;
  int (*run)(Context&);
};

const std::vector<Command>& AllCommands();
std::string CommandHelp(const Command& c);
// Prints "fieldcase: message" and maps the status to an exit code.
int Fail(const Status& s);
// With --json, Fail prints {"error": MESSAGE, "code": NAME} on stdout instead of a line on
// stderr.
void SetJsonErrors(bool on);
// What every writing command prints once its entry is committed: `{"entry": ID}` with
// --json, else "<what> (entry 1a2b…)". Fails with the status when the write failed.
int PrintWritten(const Context& c, const Result<Id>& id, const std::string& what);
// The same for another id (a key id): `{"<json_key>": ID}`, "<what> (<json_key> 1a2b…)".
int PrintWritten(const Context& c, ByteView id, const std::string& what,
                 const std::string& json_key);

}  // namespace fieldcase::cli
