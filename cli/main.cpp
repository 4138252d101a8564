// fieldcase: the command-line front of a node. Thin by design: parse, prompt, print.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"
#include "format.h"
#include "fieldcase/crypto/secret.h"
#include "fieldcase/store/data_dir.h"

namespace fieldcase::cli {
namespace {


// The commands, or those of one group ("case", "org", "hub", "bundle").
void PrintUsage(const std::string& group = "") {
  std::string s =
      group.empty()
          ? "fieldcase — an offline-first, signed and encrypted case record store.\n\n"
            "Usage: fieldcase [--data DIR] COMMAND [ARGS] [--json] [--help]\n\n"
            "Commands:\n"
          : "Usage: fieldcase [--data DIR] " + group + " COMMAND [ARGS] [--json] [--help]\n\n" +
                "Commands:\n";
  for (const auto& c : AllCommands()) {
    if (!group.empty() && c.name.rfind(group + " ", 0) != 0) continue;
    std::string left = "  " + c.name + (c.synopsis.empty() ? "" : " " + c.synopsis);
    if (left.size() < 34)
      left.resize(34, ' ');
    else
      left += "\n" + std::string(34, ' ');
    const size_t end = c.summary.find(". ");
    std::string first = end == std::string::npos ? c.summary : c.summary.substr(0, end + 1);
    s += left + first + "\n";
  }
  s += "\nRun `fieldcase COMMAND --help` for a command's options.\n\n"
       "Exit codes: 0 ok, 1 failure (verify found a problem, disk full, busy folder …),\n"
       "            2 wrong passphrase, 64 bad usage.\n";
  std::fputs(s.c_str(), stdout);
}

const std::vector<OptionSpec> kGlobalOptions = {
    {"data", true}, {"passphrase-file", true}, {"json"}, {"help"}};

int Main(int argc, char** argv) {
  if (!crypto::Init()) {
    std::fputs("fieldcase: cannot initialise libsodium (no entropy source?)\n", stderr);
    return kExitFailure;
  }
  store::DirLock::SetWaitNotice([](const std::filesystem::path& dir) {
    std::fprintf(stderr, "fieldcase: waiting for another fieldcase process using %s…\n",
                 Safe(dir.string()).c_str());
  });
  std::vector<std::string> all(argv + 1, argv + argc);
  for (const auto& a : all) {
    if (a == "--") break;
    if (a == "--json") SetJsonErrors(true);
  }
  // Global options may come before the command: `fieldcase --data DIR case list`.
  std::vector<std::string> leading, words;
  size_t i = 0;
  while (i < all.size() && all[i].rfind("--", 0) == 0 && all[i] != "--help" &&
         all[i] != "--version") {
    std::string name = all[i].substr(2, all[i].find('=') - 2);
    bool takes = false, known = false;
    for (const auto& o : kGlobalOptions) {
      if (o.name == name) {
        known = true;
        takes = o.takes_value && all[i].find('=') == std::string::npos;
      }
    }
    if (!known) break;
    leading.push_back(all[i++]);
    if (takes && i < all.size()) leading.push_back(all[i++]);
  }
  words.assign(all.begin() + long(i), all.end());
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    PrintUsage();
    return words.empty() ? kExitUsage : kExitOk;
  }
  if (words[0] == "--version") {
    std::puts(kProgramVersion);
    return kExitOk;
  }
  // The command is the longest run of leading words naming one ("case show").
  const Command* cmd = nullptr;
  size_t used = 0;
  for (const auto& c : AllCommands()) {
    std::string joined;
    for (size_t n = 1; n <= words.size() && n <= 2; ++n) {
      joined += (n > 1 ? " " : "") + words[n - 1];
      if (joined == c.name && n > used) {
        cmd = &c;
        used = n;
      }
    }
  }
  if (cmd == nullptr) {
    bool group = false;
    for (const auto& c : AllCommands()) group |= c.name.rfind(words[0] + " ", 0) == 0;
    const bool asks_help = words.size() > 1 && (words[1] == "--help" || words[1] == "-h");
    if (group && (words.size() == 1 || asks_help)) {
      PrintUsage(words[0]);
      return asks_help ? kExitOk : kExitUsage;
    }
    return Fail(Status::InvalidArgument(
        "unknown command '" + (group && words.size() > 1 ? words[0] + " " + words[1] : words[0]) +
        "'; run `fieldcase --help`"));
  }
  std::vector<OptionSpec> specs = kGlobalOptions;
  specs.insert(specs.end(), cmd->options.begin(), cmd->options.end());
  std::vector<std::string> rest = leading;
  rest.insert(rest.end(), words.begin() + long(used), words.end());
  auto args = Args::Parse(rest, specs);
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) {
    std::fputs(CommandHelp(*cmd).c_str(), stdout);
    return kExitOk;
  }
  size_t n = args->positional().size();
  if (n < cmd->min_positional || n > cmd->max_positional) {
    return Fail(Status::InvalidArgument("usage: fieldcase " + cmd->name + " " + cmd->synopsis +
                                        " (see --help)"));
  }
  Context ctx(std::move(args).value(), *cmd);
  return cmd->run(ctx);
}

}  // namespace
}  // namespace fieldcase::cli

int main(int argc, char** argv) {
  try {
    return fieldcase::cli::Main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("fieldcase: out of memory; close other programs and retry\n", stderr);
  } catch (const std::exception& e) {
    // A programmer error: say so plainly, without a stack dump.
    std::fprintf(stderr, "fieldcase: internal error: %s (please report it)\n", e.what());
  }
  return fieldcase::cli::kExitFailure;
}
