// Verification reports between real fieldcase processes (issue 11 #1): an auditor files a
// signed report; it checks, an edit does not, and a store that has lost entries since is
// caught.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli_devices.h"
#include "edit_database.h"

using namespace fieldcase;
using test::Carry;
using test::Enrol;
using Catch::Contains;

namespace {

// An auditor holding HQ's store, where an officer with a hostile name has written.
struct Audited {
  test::Cli hq, bo, auditor;
  std::string report;
  Audited() {
    hq.Init();
    const std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
    Enrol(hq, bo, "Bo <img src=x onerror=alert(1)>", "officer");
    Enrol(hq, auditor, "Auditor Cy", "auditor");
    REQUIRE(hq({"import", Carry(bo, hq, "bo-0.fcb")}).exit_code == 0);
    for (int i = 0; i < 4; ++i) {
      REQUIRE(bo({"case", "note", id, "--kind", "incident", "call " + std::to_string(i)}).exit_code == 0);
    }
    REQUIRE(hq({"import", Carry(bo, hq, "bo.fcb")}).exit_code == 0);
    auto in = auditor({"import", Carry(hq, auditor, "hq.fcb")});
    INFO(in.err);
    REQUIRE(in.exit_code == 0);
    report = (auditor.tmp / "report.json").string();
  }
};

}  // namespace

TEST_CASE("e2e: an auditor's signed report checks, and names people in its page", "[e2e]") {
  Audited a;
  auto v = a.auditor({"verify", "--report", a.report});
  INFO(v.err);
  REQUIRE(v.exit_code == 0);
  CHECK_THAT(v.err, Contains("signed by key"));
  const std::string json = test::ReadFile(a.report);
  CHECK_THAT(json, Contains("\"role\":\"auditor\""));
  CHECK_THAT(json, Contains("\"name\":\"Auditor Cy\""));
  const std::string page = test::ReadFile(a.auditor.tmp / "report.html");
  CHECK_THAT(page, Contains("Bo &lt;img src=x onerror=alert(1)&gt;"));
  CHECK_THAT(page, !Contains("<img"));

  auto check = a.auditor({"report", "check", a.report, "--store", a.auditor.data});
  INFO(check.out << check.err);
  REQUIRE(check.exit_code == 0);
  CHECK_THAT(check.out, Contains("good"));
  CHECK_THAT(check.out, Contains("auditor (from the store's certificates)"));
  CHECK_THAT(check.out, Contains("holds every entry the report covered"));
  // Anyone can check it, anywhere: no data folder, no passphrase.
  test::Cli stranger;
  stranger.env.clear();
  auto anywhere = stranger({"report", "check", a.report, "--json"});
  CHECK(anywhere.exit_code == 0);
  CHECK_THAT(anywhere.out, Contains("\"signature_ok\":true"));
  CHECK_THAT(anywhere.out, Contains("\"signer_role\":\"auditor (as the report says; give --store DIR to check it)\""));
  // HQ's store holds the same entries and may have grown: it holds all the report covered.
  CHECK(a.hq({"case", "list"}).exit_code == 0);
  CHECK(a.auditor({"report", "check", a.report, "--store", a.hq.data}).exit_code == 0);
  // A second report on the same path is refused rather than overwritten.
  CHECK(a.auditor({"verify", "--report", a.report}).exit_code != 0);
}

TEST_CASE("e2e: a report edited by one byte does not check", "[e2e]") {
  Audited a;
  REQUIRE(a.auditor({"verify", "--report", a.report}).exit_code == 0);
  std::string json = test::ReadFile(a.report);
  // "entries":N → one more entry than were there.
  const size_t at = json.find("\"entries\":");
  REQUIRE(at != std::string::npos);
  json[at + 10] = char(json[at + 10] + 1);
  test::WriteFile(a.report, json);
  auto check = a.auditor({"report", "check", a.report});
  CHECK(check.exit_code == 1);
  CHECK_THAT(check.err, Contains("does not verify"));
  CHECK_THAT(check.err, !Contains("\n  "));  // one line, no dump
}

TEST_CASE("e2e: an unsigned report says so and does not pass a check", "[e2e]") {
  Audited a;
  const auto env = a.auditor.env;
  a.auditor.env.clear();  // no passphrase: --unsigned needs none
  auto v = a.auditor({"verify", "--report", a.report, "--unsigned"});
  a.auditor.env = env;
  INFO(v.err);
  REQUIRE(v.exit_code == 0);
  auto check = a.auditor({"report", "check", a.report});
  CHECK(check.exit_code == 1);
  CHECK_THAT(check.out, Contains("NONE"));
}

TEST_CASE("e2e: entries deleted after a report are caught by report check", "[e2e]") {
  Audited a;
  REQUIRE(a.auditor({"verify", "--report", a.report}).exit_code == 0);
  // Someone with the file deletes Bo's newest three notes and mends the heads table.
  const auto db = std::filesystem::path(a.auditor.data) / "fieldcase.db";
  auto bo_status = a.bo({"status", "--json"});
  REQUIRE(bo_status.exit_code == 0);
  std::smatch m;
  // The officer's own chain: the head whose role is officer.
  REQUIRE(std::regex_search(bo_status.out, m,
                            std::regex("\"author\":\"([0-9a-f]{64})\",\"role\":\"officer\",\"seq\":([0-9]+)")));
  const std::string author = "x'" + m[1].str() + "'";
  const int top = std::stoi(m[2].str());
  const std::string keep = std::to_string(top - 3);
  test::EditDatabase(db, "DELETE FROM payloads WHERE id IN (SELECT id FROM entries WHERE author = " +
                             author + " AND seq > " + keep + "); DELETE FROM entries WHERE author = " +
                             author + " AND seq > " + keep + "; UPDATE heads SET seq = " + keep +
                             ", id = (SELECT id FROM entries WHERE author = " + author +
                             " AND seq = " + keep + ") WHERE author = " + author);
  auto check = a.auditor({"report", "check", a.report, "--store", a.auditor.data});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 1);
  CHECK_THAT(check.out, Contains("LOST author " + m[1].str().substr(0, 16)));
  CHECK_THAT(check.out, Contains("3 of seqs 1 to " + std::to_string(top)));
  CHECK_THAT(check.out, Contains("DOES NOT hold everything"));
}
