// Issue 8 #2: no single point of failure in administration. A second administrator device
// keeps the force enrolling and revoking after the founding node is lost; `org revoke`
// refuses what would lock the force out and reports what is already done.
#include <catch2/catch.hpp>

#include "cli_devices.h"

using namespace fieldcase;
using Catch::Contains;

TEST_CASE("e2e: the founding node is lost, a second administrator enrols and revokes",
          "[e2e][issue8]") {
  test::Cli hq, admin2, bea, cy;
  hq.Init();
  test::Enrol(hq, bea, "PC Bea", "officer");
  test::Enrol(hq, admin2, "Sgt Admin Two", "admin");  // its response holds Bea's enrolment
  // The founding node's own keys and the last administrator are refused, saying so.
  auto listed_hq = hq({"org", "members", "--json"});
  std::smatch m;
  REQUIRE(std::regex_search(listed_hq.out, m,
                            std::regex("\"key\":\"([0-9a-f]{64})\",\"role\":\"supervisor\"")));
  auto own = hq({"org", "revoke", m[1].str().substr(0, 16), "--yes"});
  CHECK(own.exit_code != 0);
  CHECK_THAT(own.err, Contains("this device's own"));

  std::filesystem::remove_all(hq.data);  // lost: a phone in a river

  // The second administrator carries on: a new officer joins, an officer is revoked.
  test::Enrol(admin2, cy, "PC Cy", "officer");
  auto members = cy({"org", "members", "--json"});
  REQUIRE(members.exit_code == 0);
  CHECK_THAT(members.out, Contains("PC Cy"));
  CHECK_THAT(members.out, Contains("Sgt Admin Two"));
  auto confirm = admin2({"org", "revoke", "PC Bea"});  // no terminal in a test: --yes needed
  CHECK(confirm.exit_code == 64);
  CHECK_THAT(confirm.err, Contains("--yes"));
  auto revoke = admin2({"org", "revoke", "PC Bea", "--yes"});
  INFO(revoke.err);
  REQUIRE(revoke.exit_code == 0);
  auto again = admin2({"org", "revoke", "PC Bea", "--yes"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("already revoked; nothing was written"));
  CHECK(admin2({"verify"}).exit_code == 0);
}

TEST_CASE("e2e: the root key held offline is restored on a member device, the last "
          "administrator cannot be revoked",
          "[e2e][issue8]") {
  test::Cli hq, admin2, bea, admin3;
  hq.env["FIELDCASE_ROOT_PASSPHRASE"] = "Root-Offline-Safe-2026";
  const std::string root_file = (hq.tmp / "root.fcroot").string();
  auto init = hq({"init", "--org", "Test Force", "--name", "PC Ada", "--insecure-fast-kdf",
                  "--root-out", root_file});
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  test::Enrol(hq, admin2, "Sgt Admin Two", "admin");
  test::Enrol(hq, bea, "PC Bea", "officer");
  const std::string hq_admin = [&] {
    auto listed = hq({"org", "members", "--json"});
    std::smatch m;
    REQUIRE(std::regex_search(listed.out, m,
                              std::regex("\"key\":\"([0-9a-f]{64})\",\"role\":\"admin\",\"name\":"
                                         "\"PC Ada\"")));
    return m[1].str().substr(0, 16);
  }();
  std::filesystem::remove_all(hq.data);  // the founding device is lost

  // With the root key, on an officer's device, administration of administrators goes on.
  bea.env.erase("FIELDCASE_ROOT_PASSPHRASE");  // Enrol gave it the founder's environment
  bea.env["FIELDCASE_ROOT_PASSPHRASE"] = "not the root passphrase";
  auto wrong = bea({"org", "restore-root", root_file, "--yes"});  // the file's own passphrase is needed
  CHECK(wrong.exit_code != 0);
  bea.env["FIELDCASE_ROOT_PASSPHRASE"] = "Root-Offline-Safe-2026";
  CHECK(bea({"org", "restore-root", root_file}).exit_code == 64);  // asks; no terminal here
  auto restored = bea({"org", "restore-root", root_file, "--yes", "--json"});
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(restored.out == "{\"root_key_restored\":true}\n");
  test::Enrol(bea, admin3, "Sgt Admin Three", "admin");
  REQUIRE(bea({"org", "revoke", hq_admin, "--yes"}).exit_code == 0);  // the lost device's key
  REQUIRE(bea({"org", "revoke", "Sgt Admin Two", "--yes"}).exit_code == 0);
  auto last = bea({"org", "revoke", "Sgt Admin Three", "--yes"});
  CHECK(last.exit_code != 0);
  CHECK_THAT(last.err, Contains("last administrator"));
  CHECK(bea({"verify"}).exit_code == 0);
}

TEST_CASE("e2e: backup and export-root speak --json", "[e2e][issue8]") {
  test::Cli hq;
  hq.Init();
  hq.env["FIELDCASE_ROOT_PASSPHRASE"] = "Root-Offline-Safe-2026";
  const std::string root_file = (hq.tmp / "root.fcroot").string();
  auto exported = hq({"org", "export-root", "--out", root_file, "--json"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.out == "{\"root_key_file\":\"" + root_file + "\"}\n");
  CHECK(std::filesystem::exists(root_file));
  const std::string to = (hq.tmp / "backup").string();
  auto backup = hq({"backup", "--to", to, "--json"});
  INFO(backup.err);
  REQUIRE(backup.exit_code == 0);
  CHECK(backup.out == "{\"backup\":\"" + to + "/fieldcase.db\",\"left_out\":[\"keystore\"]}\n");
  CHECK(std::filesystem::exists(to + "/fieldcase.db"));
  // A path is text like any other: escaped, never pasted into the JSON.
  const std::string odd = (hq.tmp / "a\"b\\c.heads").string();
  auto heads = hq({"heads", "--out", odd, "--json"});
  INFO(heads.err);
  REQUIRE(heads.exit_code == 0);
  CHECK_THAT(heads.out, Contains("a\\\"b\\\\c.heads\"}"));
}
