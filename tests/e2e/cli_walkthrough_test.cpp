#include <catch2/catch.hpp>

#include "cli_fixture.h"

using namespace fieldcase;
using Catch::Contains;

TEST_CASE("e2e: an officer's walkthrough with real processes", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase({"--set", "victim=J. Doe", "--set", "risk_level=medium"});

  CHECK(cli({"case", "set", id, "risk_level", "high"}).exit_code == 0);
  CHECK(cli({"case", "set", id.substr(0, 8), "suspect", "R. Roe"}).exit_code == 0);
  CHECK(cli({"case", "note", id, "--kind", "breach", "Outside her workplace"}).exit_code == 0);
  CHECK(cli({"case", "note", id, "Calls from withheld numbers"}).exit_code == 0);
  CHECK(cli({"case", "tag", id, "spo"}).exit_code == 0);
  CHECK(cli({"case", "tag", id, "mappa"}).exit_code == 0);
  CHECK(cli({"case", "untag", id, "mappa"}).exit_code == 0);

  auto show = cli({"case", "show", id, "--json"});
  REQUIRE(show.exit_code == 0);
  CHECK_THAT(show.out,
             Contains("\"risk_level\":{\"conflict\":false,\"values\":[{\"value\":\"high\""));
  CHECK_THAT(show.out, Contains("\"tags\":[\"spo\"]"));
  CHECK_THAT(show.out, Contains("\"kind\":\"breach\",\"text\":\"Outside her workplace\""));
  CHECK_THAT(show.out, Contains("\"kind\":\"incident\",\"text\":\"Calls from withheld numbers\""));
  CHECK_THAT(show.out, Contains("\"status\":\"open\""));

  auto text = cli({"case", "show", id});
  CHECK_THAT(text.out, Contains("risk_level     high"));
  CHECK_THAT(text.out, Contains("PC Ada"));

  CHECK(cli({"case", "close", id}).exit_code == 0);
  CHECK(cli({"case", "note", id, "--kind", "contact", "Note after close is kept"}).exit_code == 0);
  CHECK_THAT(cli({"case", "show", id, "--json"}).out, Contains("\"status\":\"closed\""));
  CHECK_THAT(cli({"case", "list", "--status", "closed"}).out, Contains(id));
  CHECK(cli({"case", "list", "--status", "open"}).out.find(id) == std::string::npos);
  CHECK(cli({"case", "reopen", id}).exit_code == 0);

  std::string other = cli.OpenCase({"--set", "risk_level=standard"});
  auto high = cli({"case", "list", "--field", "risk_level=high", "--json"});
  CHECK_THAT(high.out, Contains(id));
  CHECK(high.out.find(other) == std::string::npos);
  auto tagged = cli({"case", "list", "--tag", "spo"});
  CHECK_THAT(tagged.out, Contains(id));
  CHECK(tagged.out.find(other) == std::string::npos);

  auto history = cli({"case", "history", id, "--json"});
  REQUIRE(history.exit_code == 0);
  CHECK_THAT(history.out, Contains("set risk_level = medium"));
  CHECK_THAT(history.out, Contains("set risk_level = high"));
  // medium was superseded by the entry that set high.
  CHECK(std::regex_search(
      history.out, std::regex("risk_level = medium\",\"superseded_by\":\\[\"[0-9a-f]{64}\"\\]")));

  auto verify = cli({"verify", "--json"});
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Contains("\"ok\":true"));
  auto status = cli({"status", "--json"});
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out, Contains("\"org\":\"Test Force\""));
}

TEST_CASE("e2e: verify and status need no passphrase", "[e2e]") {
  test::Cli cli;
  cli.Init();
  cli.OpenCase();
  cli.env.clear();
  auto v = cli({"verify"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Contains("verify ok"));
  CHECK(cli({"status"}).exit_code == 0);
  auto locked = cli({"case", "list"});  // needs the passphrase, and there is no terminal
  CHECK(locked.exit_code != 0);
  CHECK_THAT(locked.err, Contains("--passphrase-file"));
}

TEST_CASE("e2e: --passphrase-file and FIELDCASE_DATA are honoured", "[e2e]") {
  test::Cli cli;
  cli.Init();
  test::WriteFile(cli.tmp / "pass.txt", test::kPass + "\n");
  cli.env = {{"FIELDCASE_DATA", cli.data}};
  auto r = test::Run({"case", "open", "--template", "stalking", "--passphrase-file",
                      (cli.tmp / "pass.txt").string()},
                     cli.env);
  CHECK(r.exit_code == 0);
  CHECK(std::regex_match(r.out, std::regex("[0-9a-f]{32}\n")));
}

TEST_CASE("e2e: every command has help", "[e2e]") {
  auto top = test::Run({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* cmd :
       {"init", "case open", "case set", "case note", "case tag", "case untag", "case close",
        "case reopen", "case show", "case list", "case history", "verify", "status", "templates"}) {
    INFO(cmd);
    CHECK_THAT(top.out, Contains(std::string("  ") + cmd));
    std::vector<std::string> args;
    std::string c = cmd;
    if (auto sp = c.find(' '); sp != std::string::npos) {
      args = {c.substr(0, sp), c.substr(sp + 1), "--help"};
    } else {
      args = {c, "--help"};
    }
    auto r = test::Run(args);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains(std::string("Usage: fieldcase ") + cmd));
  }
  auto tmpl = test::Run({"templates"});
  CHECK_THAT(tmpl.out, Contains("stalking"));
}
