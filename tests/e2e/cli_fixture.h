// A data folder and the environment every CLI test runs the binary with.
#pragma once

#include <regex>

#include "process.h"
#include "test_util.h"

namespace fieldcase::test {

inline const std::string kPass = "Correct-Horse-42";
inline const std::string kRecoveryPass = "Recovery-Staple-77";

struct Cli {
  TempDir tmp;
  std::string data = (tmp.path() / "data").string();
  std::map<std::string, std::string> env = {{"FIELDCASE_PASSPHRASE", kPass},
                                            {"FIELDCASE_RECOVERY_PASSPHRASE", kRecoveryPass}};

  ProcResult operator()(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--data", data});
    return Run(args, env, input);
  }
  // Founds an org with the fast KDF (Argon2id MODERATE would cost ~1 s per command).
  void Init() const {
    auto r = (*this)({"init", "--org", "Test Force", "--name", "PC Ada", "--insecure-fast-kdf"});
    if (r.exit_code != 0) throw std::runtime_error("init failed: " + r.err);
  }
  std::string OpenCase(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"case", "open", "--template", "stalking", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = (*this)(args);
    std::smatch m;
    if (r.exit_code != 0 || !std::regex_search(r.out, m, std::regex("\"id\":\"([0-9a-f]{32})\""))) {
      throw std::runtime_error("case open failed: " + r.err + r.out);
    }
    return m[1];
  }
};

}  // namespace fieldcase::test
