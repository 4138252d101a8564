#include "context.h"
#include "format.h"
#include "fieldcase/base/json.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "passphrase_input.h"

namespace fieldcase::cli {

namespace {
std::filesystem::path DefaultDataDir(const Args& a) {
  if (auto d = a.Get("data")) return *d;
  if (const char* env = std::getenv("FIELDCASE_DATA"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "fieldcase";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".local" / "share" / "fieldcase";
}
}  // namespace

Context::Context(Args args, const Command& cmd) : args_(std::move(args)), cmd_(cmd) {
  dir_.root = DefaultDataDir(args_);
}

std::vector<std::filesystem::path> Context::TemplateDirs() const {
  std::vector<std::filesystem::path> dirs;
  if (auto t = args_.Get("templates")) dirs.emplace_back(*t);
  if (const char* env = std::getenv("FIELDCASE_TEMPLATES"); env && *env) dirs.emplace_back(env);
  dirs.push_back(dir_.root / "templates");
  return dirs;
}

int64_t Context::NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<node::Node>> Context::Unlock(
    std::optional<crypto::SecretBytes>* keep_passphrase) const {
  if (!std::filesystem::exists(dir_.keystore())) {
    return Status::NotFound("no fieldcase store in " + dir_.root.string() +
                            "; run `fieldcase init` to make this device and join an "
                            "organisation (or `fieldcase init --org NAME` to found one), or "
                            "pass --data DIR");
  }
  PassphraseSource src;
  src.file = args_.Get("passphrase-file");
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes pass, ReadPassphrase(src));
  auto node = node::Node::Unlock(dir_, pass);
  if (keep_passphrase) *keep_passphrase = std::move(pass);
  return node;
}

Result<std::vector<Id128>> Context::PersonsFromTo(const node::Node& node) const {
  std::vector<Id128> persons;
  for (const auto& who : args_.GetAll("to")) {
    FC_ASSIGN_OR_RETURN(Id128 p, node.ResolvePerson(who));
    persons.push_back(p);
  }
  return persons;
}

namespace {
bool json_errors = false;

const char* CodeName(Status::Code c) {
  switch (c) {
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kIOError: return "io_error";
    case Status::Code::kWrongPassphrase: return "wrong_passphrase";
    case Status::Code::kBusy: return "busy";
    case Status::Code::kRejected: return "rejected";
    case Status::Code::kGap: return "gap";
    case Status::Code::kNotPermitted: return "not_permitted";
    case Status::Code::kNeedsUpgrade: return "needs_upgrade";
    default: return "error";
  }
}
}  // namespace

void SetJsonErrors(bool on) { json_errors = on; }

int Fail(const Status& s) {
  if (json_errors) {
    // Scripts read one JSON object on stdout, errors included.
    Json j;
    j.BeginObject().Field("error", s.message()).Field("code", CodeName(s.code())).EndObject();
    std::puts(j.str().c_str());
  } else {
    std::fprintf(stderr, "fieldcase: %s\n", Safe(s.message()).c_str());
  }
  switch (s.code()) {
    case Status::Code::kWrongPassphrase:
      return kExitWrongPassphrase;
    case Status::Code::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int PrintWritten(const Context& c, ByteView id, const std::string& what,
                 const std::string& json_key) {
  if (c.json()) {
    std::printf("{\"%s\":\"%s\"}\n", json_key.c_str(), ToHex(id).c_str());
  } else {
    std::printf("%s (%s %s)\n", what.c_str(), json_key.c_str(), ToHex(id).substr(0, 16).c_str());
  }
  return kExitOk;
}

int PrintWritten(const Context& c, const Result<Id>& id, const std::string& what) {
  if (!id.ok()) return Fail(id.status());
  return PrintWritten(c, ByteView(*id), what, "entry");
}

std::string CommandHelp(const Command& c) {
  std::string h = "Usage: fieldcase " + c.name + (c.synopsis.empty() ? "" : " " + c.synopsis) +
                  " [options]\n\n" + c.summary + "\n";
  if (!c.help.empty()) h += "\n" + c.help + "\n";
  h +=
      "\nCommon options:\n"
      "  --data DIR             data folder (else $FIELDCASE_DATA, else $XDG_DATA_HOME/fieldcase)\n"
      "  --passphrase-file F    read the passphrase from the first line of F\n"
      "                         (else $FIELDCASE_PASSPHRASE, else a prompt)\n"
      "  --json                 print machine-readable JSON on stdout\n"
      "  --help                 show this help\n";
  return h;
}

}  // namespace fieldcase::cli
