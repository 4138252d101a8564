// Several devices of one organisation as real processes: enrol, carry bundles, compare.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "cli_fixture.h"

namespace fieldcase::test {

// A device enrolled at `hq` as `role`, joined.
inline void Enrol(const Cli& hq, Cli& dev, const std::string& name, const std::string& role) {
  dev.env = hq.env;
  REQUIRE(dev({"init", "--insecure-fast-kdf"}).exit_code == 0);
  std::string req = (dev.tmp / "req").string();
  std::string resp = (hq.tmp / ("resp-" + name)).string();
  REQUIRE(dev({"enrol-request", "--name", name, "--out", req}).exit_code == 0);
  auto enrol = hq({"org", "enrol", req, "--role", role, "--out", resp, "--yes"});
  REQUIRE(enrol.exit_code == 0);
  auto join = dev({"join", resp, "--yes"});
  INFO(join.err);
  REQUIRE(join.exit_code == 0);
}

inline std::string Carry(const Cli& from, const Cli& to, const std::string& name,
                  bool since = true) {
  std::string bundle = (from.tmp / name).string();
  std::vector<std::string> args = {"export", "--to", bundle};
  if (since) {
    std::string heads = (to.tmp / (name + ".heads")).string();
    REQUIRE(to({"heads", "--out", heads}).exit_code == 0);
    args.insert(args.end(), {"--since", heads});
  }
  auto ex = from(args);
  INFO(ex.err);
  REQUIRE(ex.exit_code == 0);
  return bundle;
}


inline std::string ViewDigest(const Cli& who, const std::string& id) {
  auto show = who({"case", "show", id, "--json"});
  REQUIRE(show.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(show.out, m, std::regex("\"view_digest\":\"([0-9a-f]{64})\"")));
  return m[1];
}

inline std::string HeadsOf(const Cli& who) {
  std::string path = (who.tmp / "final.heads").string();
  std::filesystem::remove(path);
  REQUIRE(who({"heads", "--out", path}).exit_code == 0);
  return ReadFile(path);
}


}  // namespace fieldcase::test
