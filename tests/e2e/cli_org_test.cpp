#include <catch2/catch.hpp>

#include "cli_fixture.h"

using namespace fieldcase;
using Catch::Contains;

TEST_CASE("e2e: enrol a device, join, list members, revoke, back up", "[e2e]") {
  test::Cli hq;
  hq.Init();
  std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
  test::Cli dev;
  dev.env = hq.env;
  auto init = dev({"init", "--insecure-fast-kdf", "--json"});
  REQUIRE(init.exit_code == 0);
  CHECK_THAT(init.out, Contains("\"device\":"));

  std::string req = (dev.tmp / "req.fcreq").string();
  std::string resp = (hq.tmp / "resp.fcenr").string();
  auto asked = dev({"enrol-request", "--name", "PC Bob", "--badge", "4471", "--out", req});
  REQUIRE(asked.exit_code == 0);
  std::smatch request_fp;
  REQUIRE(std::regex_search(asked.out, request_fp,
                            std::regex("Request fingerprint: ([0-9a-f]{4}(-[0-9a-f]{4}){5})")));
  // Without a terminal and without --yes, nothing is written.
  auto unconfirmed = hq({"org", "enrol", req, "--role", "officer", "--out", resp});
  CHECK(unconfirmed.exit_code != 0);
  CHECK_THAT(unconfirmed.err, Contains("--yes"));
  CHECK_FALSE(std::filesystem::exists(resp));

  auto enrol = hq({"org", "enrol", req, "--role", "officer", "--out", resp, "--yes", "--json"});
  REQUIRE(enrol.exit_code == 0);
  CHECK_THAT(enrol.out, Contains("\"team_key_granted\":true"));
  // The administrator sees the request's fingerprint before signing anything.
  CHECK_THAT(enrol.err, Contains("Request fingerprint: " + request_fp[1].str()));
  std::smatch fp;
  REQUIRE(std::regex_search(enrol.out, fp, std::regex("\"fingerprint\":\"([0-9a-f-]+)\"")));

  auto join = dev({"join", resp, "--yes"});
  REQUIRE(join.exit_code == 0);
  CHECK_THAT(join.out, Contains("as officer"));
  CHECK_THAT(join.err, Contains(fp[1].str()));  // both sides show the same fingerprint

  // The officer reads the case opened at HQ.
  CHECK_THAT(dev({"case", "show", id, "--json"}).out, Contains("\"value\":\"J. Doe\""));
  CHECK(dev({"case", "note", id, "from the field"}).exit_code == 0);

  auto members = hq({"org", "members", "--json"});
  CHECK_THAT(members.out, Contains("\"role\":\"officer\",\"name\":\"PC Bob\",\"badge\":\"4471\""));
  CHECK(hq({"org", "revoke", "4471", "--yes"}).exit_code == 0);
  CHECK_THAT(hq({"org", "members"}).out, Contains("REVOKED"));

  std::string backup = (hq.tmp / "backup").string();
  REQUIRE(hq({"backup", "--to", backup}).exit_code == 0);
  CHECK(std::filesystem::exists(backup + "/fieldcase.db"));
  CHECK_FALSE(std::filesystem::exists(backup + "/keystore"));

  // A hub reads nothing and says how much it cannot read.
  test::Cli hub;
  hub.env = hq.env;
  REQUIRE(hub({"init", "--insecure-fast-kdf"}).exit_code == 0);
  std::string hreq = (hub.tmp / "req").string(), hresp = (hq.tmp / "hresp").string();
  REQUIRE(hub({"enrol-request", "--out", hreq}).exit_code == 0);
  REQUIRE(hq({"org", "enrol", hreq, "--role", "hub", "--out", hresp, "--yes"}).exit_code == 0);
  REQUIRE(hub({"join", hresp, "--yes"}).exit_code == 0);
  auto hub_show = hub({"case", "show", id});
  CHECK_THAT(hub_show.out, Contains("cannot be read with the keys on this device"));
  CHECK(hub_show.out.find("J. Doe") == std::string::npos);
  CHECK(hub({"verify"}).exit_code == 0);
}

TEST_CASE("e2e: enrolment mistakes get one clear line", "[e2e]") {
  test::Cli hq;
  hq.Init();
  test::WriteFile(hq.tmp / "junk", "not a request");
  auto r = hq({"org", "enrol", (hq.tmp / "junk").string(), "--role", "officer", "--out",
               (hq.tmp / "x").string(), "--yes"});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Contains("not a valid fieldcase enrolment request"));
  auto role = hq({"org", "enrol", (hq.tmp / "junk").string(), "--role", "chief", "--out", "x"});
  CHECK_THAT(role.err, Contains("--role takes"));
  CHECK_THAT(hq({"enrol-request", "--out", (hq.tmp / "r").string()}).err,
             Contains("already belongs to an organisation"));
  test::Cli dev;
  dev.env = hq.env;
  REQUIRE(dev({"init", "--insecure-fast-kdf"}).exit_code == 0);
  auto write = dev({"case", "open", "--template", "stalking"});
  CHECK(write.exit_code != 0);
  CHECK_THAT(write.err, Contains("not enrolled yet"));
}

namespace {
// Makes a device in its own folder and enrols it at `hq` with `role`.
test::Cli Enrolled(const test::Cli& hq, const std::string& name, const std::string& role) {
  test::Cli dev;
  dev.env = hq.env;
  REQUIRE(dev({"init", "--insecure-fast-kdf"}).exit_code == 0);
  std::string req = (dev.tmp / "req").string(), resp = (dev.tmp / "resp").string();
  REQUIRE(dev({"enrol-request", "--name", name, "--badge", name + "-1", "--out", req}).exit_code ==
          0);
  REQUIRE(hq({"org", "enrol", req, "--role", role, "--out", resp, "--yes"}).exit_code == 0);
  REQUIRE(dev({"join", resp, "--yes"}).exit_code == 0);
  return dev;
}
}  // namespace

TEST_CASE("e2e: a restricted case, team key rotation and recovery", "[e2e]") {
  test::Cli hq;
  hq.Init();
  auto ann = Enrolled(hq, "Ann", "officer");
  auto ben = Enrolled(hq, "Ben", "officer");
  // HQ opens a case restricted to Ann (and itself).
  auto open = hq({"case", "open", "--template", "stalking", "--restricted", "--to", "Ann", "--set",
                  "victim=Restricted Person", "--json"});
  REQUIRE(open.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(open.out, m, std::regex("\"id\":\"([0-9a-f]{32})\"")));
  std::string id = m[1];
  CHECK_THAT(hq({"case", "show", id}).out, Contains("Restricted Person"));
  CHECK_THAT(hq({"case", "open", "--template", "stalking", "--to", "Ann"}).err,
             Contains("--restricted"));
  CHECK(hq({"org", "rotate-team-key"}).exit_code == 0);
  // Recovery: grant the case to Ben with the recovery secret.
  std::string rec = hq.data + "/recovery.fcrecovery";
  auto r = hq({"recover", id, "--to", "Ben", "--recovery-file", rec});
  CHECK(r.exit_code == 0);
  hq.env["FIELDCASE_RECOVERY_PASSPHRASE"] = "Wrong-Passphrase-9";
  auto bad = hq({"recover", id, "--to", "Ben", "--recovery-file", rec});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("wrong passphrase"));
  CHECK(hq({"verify"}).exit_code == 0);
}
