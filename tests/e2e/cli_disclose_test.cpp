// Case disclosures between real fieldcase processes (issue 11 #4): an officer's case is
// disclosed, checked on a machine with no fieldcase data, and a flipped byte is caught.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "cli_devices.h"

using namespace fieldcase;
using Catch::Contains;

namespace {

// A case with a conflict-free history of five notes and a field set twice.
struct Disclosed {
  test::Cli hq;
  std::string id;
  std::vector<std::string> notes;  // entry ids, oldest first
  Disclosed() {
    hq.Init();
    id = hq.OpenCase({"--set", "victim=J. Doe"});
    for (int i = 0; i < 5; ++i) {
      REQUIRE(hq({"case", "note", id, "--kind", "incident", "call <" + std::to_string(i) + ">"}).exit_code == 0);
    }
    REQUIRE(hq({"case", "set", id, "risk_level", "medium"}).exit_code == 0);
    REQUIRE(hq({"case", "set", id, "risk_level", "high"}).exit_code == 0);
    auto h = hq({"case", "history", id, "--json"});
    REQUIRE(h.exit_code == 0);
    std::regex note("\"entry\":\"([0-9a-f]{64})\"[^}]*added incident note");
    for (std::sregex_iterator it(h.out.begin(), h.out.end(), note), end; it != end; ++it) {
      notes.push_back((*it)[1]);
    }
    REQUIRE(notes.size() == 5);
  }
};

}  // namespace

TEST_CASE("e2e: a whole case disclosure checks on a machine with no fieldcase data", "[e2e]") {
  Disclosed s;
  const std::string file = (s.hq.tmp / "case.fcd").string();
  auto w = s.hq({"case", "disclose", s.id, "--to", file});
  INFO(w.err << w.out);
  REQUIRE(w.exit_code == 0);
  CHECK_THAT(w.out, Contains("9 of 9 entries"));
  const std::string page = test::ReadFile(file + ".html");
  CHECK_THAT(page, Contains("call &lt;3&gt;"));
  CHECK_THAT(page, Contains("superseded by"));

  test::Cli court;
  court.env.clear();  // no passphrase, no data folder: only the file
  auto c = test::Run({"disclosure", "check", file}, court.env);
  INFO(c.err << c.out);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.out, Contains("Verified:"));
  CHECK_THAT(c.out, Contains("set risk_level = high"));
  CHECK_THAT(c.out, Contains("added incident note: call <4>"));
  CHECK_THAT(c.out, Contains("Not proven:"));
  auto j = test::Run({"disclosure", "check", file, "--json"}, court.env);
  CHECK(j.exit_code == 0);
  CHECK_THAT(j.out, Contains("\"ok\":true"));
  CHECK_THAT(j.out, Contains("\"disclosed\":9"));
  // A second disclosure to the same path is refused rather than overwritten.
  CHECK(s.hq({"case", "disclose", s.id, "--to", file}).exit_code != 0);
}

TEST_CASE("e2e: a chosen entry is disclosed alone, and a flipped byte does not check", "[e2e]") {
  Disclosed s;
  const std::string file = (s.hq.tmp / "one.fcd").string();
  auto w = s.hq({"case", "disclose", s.id, "--entries", s.notes[2].substr(0, 10), "--to", file});
  INFO(w.err);
  REQUIRE(w.exit_code == 0);
  test::Cli court;
  court.env.clear();
  auto c = test::Run({"disclosure", "check", file}, court.env);
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.out, Contains("call <2>"));
  CHECK_THAT(c.out, !Contains("call <3>"));
  CHECK_THAT(c.out, Contains("the content of the 8 entries"));

  std::string bytes = test::ReadFile(file);
  REQUIRE(bytes.size() > 200);
  bytes[bytes.size() - 5] = char(bytes[bytes.size() - 5] ^ 0x40);  // inside the entry key
  test::WriteFile(file, bytes);
  auto bad = test::Run({"disclosure", "check", file}, court.env);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.out, Contains("DOES NOT CHECK"));
  CHECK_THAT(bad.out, Contains("key commitment does not match"));

  test::WriteFile(file, bytes.substr(0, 100));
  auto cut = test::Run({"disclosure", "check", file}, court.env);
  CHECK(cut.exit_code == 1);
  CHECK_THAT(cut.err, Contains("damaged or cut short"));
  CHECK_THAT(cut.err, !Contains("\n  "));
}

TEST_CASE("e2e: the disclosure test vector checks as docs/formats/disclosure.md says", "[e2e]") {
  const std::string file = std::string(FIELDCASE_TEST_DATA) + "/kat/disclosure-v1.fcd";
  auto c = test::Run({"disclosure", "check", file, "--json"}, {});
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.out, Contains("\"ok\":true"));
  CHECK_THAT(c.out, Contains("\"disclosed\":1"));
  CHECK_THAT(c.out, Contains("\"case_entries\":3"));
  CHECK_THAT(c.out, Contains("added incident note: Known-answer note"));
}
