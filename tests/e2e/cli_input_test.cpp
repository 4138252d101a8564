// Issue 8 #3–#5 through the real binary: untrusted text shown escaped, input checked
// against the template, messages that lead to the fix, --json for errors too.
#include <catch2/catch.hpp>

#include <fstream>

#include "cli_fixture.h"
#include "fieldcase/base/text.h"

using namespace fieldcase;
using Catch::Contains;

namespace {

int64_t Notes(const test::Cli& cli, const std::string& id) {
  auto r = cli({"case", "show", id, "--json"});
  REQUIRE(r.exit_code == 0);
  int64_t n = 0;
  for (size_t at = r.out.find("\"kind\":"); at != std::string::npos;
       at = r.out.find("\"kind\":", at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("e2e: escape sequences and invalid bytes are refused at input, nothing written",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const std::string id = cli.OpenCase();
  const int64_t before = Notes(cli, id);
  for (const std::string& bad : {std::string("paints\x1b[2J\x1b[Ha fake screen"),
                                 std::string("line\r2026-01-01 00:00:00Z  breach  forged"),
                                 std::string("bidi \xe2\x80\xae reversed"),
                                 std::string("not utf-8 \xff\xfe"), std::string("   "),
                                 std::string("")}) {
    auto r = cli({"case", "note", id, bad});
    INFO(r.err);
    CHECK(r.exit_code == 64);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(IsPrintableText(r.err, /*allow_newlines=*/true));  // the refusal quotes nothing raw
  }
  CHECK(cli({"case", "tag", id, "a\x1b]8;;http://evil\x1b\\link"}).exit_code == 64);
  CHECK(cli({"case", "set", id, "victim", "  "}).exit_code == 64);
  CHECK(Notes(cli, id) == before);
}

TEST_CASE("e2e: a multi-line note stays under its entry, a template's text is shown escaped",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const std::string id = cli.OpenCase();
  REQUIRE(cli({"case", "note", id, "first line\n2026-01-01 00:00:00Z  breach    forged"})
              .exit_code == 0);
  auto show = cli({"case", "show", id});
  REQUIRE(show.exit_code == 0);
  // The second line is indented under the note: it cannot pass for a timeline line.
  CHECK_THAT(show.out, Contains("first line\n                                  2026-01-01"));
  CHECK(show.out.find("\n  2026-01-01 00:00:00Z  breach") == std::string::npos);

  // A template file from a stranger: its description holds a screen-clearing escape.
  const auto dir = cli.tmp.path() / "templates";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "odd.json")
      << R"({"name":"odd","description":"clears \u001b[2J the screen \u202e","fields":[],)"
      << R"("note_kinds":["incident"]})";
  auto list = cli({"templates", "--templates", dir.string()});
  REQUIRE(list.exit_code == 0);
  CHECK(IsPrintableText(list.out, /*allow_newlines=*/true));
  CHECK_THAT(list.out, Contains("clears \\e[2J the screen \\u{202e}"));
  auto json = cli({"templates", "--templates", dir.string(), "--json"});
  REQUIRE(json.exit_code == 0);
  CHECK_THAT(json.out, Contains("clears \\u001b[2J the screen \\u202e"));
  CHECK(IsValidUtf8(json.out));
}

TEST_CASE("e2e: dates, empty values, clearing a field, and -- ending options", "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const std::string id = cli.OpenCase();
  for (const char* bad : {"2027-02-30", "31/03/2027", "2027-3-31", "tomorrow", "2027-13-01"}) {
    auto r = cli({"case", "set", id, "spo_expiry", bad});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 64);
    CHECK_THAT(r.err, Contains("YYYY-MM-DD"));
  }
  CHECK(cli({"case", "set", id, "spo_expiry", "2028-02-29"}).exit_code == 0);
  CHECK(cli({"case", "open", "--template", "stalking", "--set", "next_review=2027-02-29"})
            .exit_code == 64);
  auto spo = cli({"case", "set", id, "spo_status", "varied"});
  CHECK(spo.exit_code == 0);
  auto empty = cli({"case", "set", id, "victim", ""});
  CHECK(empty.exit_code == 64);
  CHECK_THAT(empty.err, Contains("case clear"));
  CHECK(cli({"case", "clear", id, "spo_expiry"}).exit_code == 0);
  CHECK(cli({"case", "clear", id, "spo_expiry"}).exit_code == 64);  // nothing left to clear
  // `--` ends options: what follows is the note's text, even when it looks like one.
  REQUIRE(cli({"case", "note", id, "--", "--json"}).exit_code == 0);
  auto show = cli({"case", "show", id, "--json"});
  CHECK_THAT(show.out, Contains("\"text\":\"--json\""));
  CHECK_THAT(show.out, Contains("\"spo_status\""));
}

TEST_CASE("e2e: help for every group and command, errors as JSON, a note line bounded",
          "[e2e][issue8]") {
  test::Cli cli;
  auto help = cli({"--help"});
  REQUIRE(help.exit_code == 0);
  // Every command has its one-line description.
  std::istringstream in(help.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  int commands = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') continue;
    ++commands;
    INFO(line);
    // The description follows on the line, or on the next one under the column.
    const bool beside = line.size() > 36;
    const bool below = i + 1 < lines.size() && lines[i + 1].size() > 36 &&
                       lines[i + 1].rfind(std::string(34, ' '), 0) == 0 && lines[i + 1][34] != ' ';
    CHECK((beside || below));
  }
  CHECK(commands > 25);
  auto group = cli({"case", "--help"});
  CHECK(group.exit_code == 0);
  CHECK_THAT(group.out, Contains("case note"));
  CHECK(group.out.find("org enrol") == std::string::npos);

  auto missing = cli({"status"});
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Contains("fieldcase init"));
  auto as_json = cli({"status", "--json"});
  CHECK(as_json.exit_code != 0);
  CHECK_THAT(as_json.out, Contains("{\"error\":"));
  CHECK_THAT(as_json.out, Contains("\"code\":\"not_found\""));
  CHECK(as_json.err.empty());
  CHECK_FALSE(std::filesystem::exists(cli.data + "/fieldcase.db"));  // status made nothing

  cli.Init();
  const std::string id = cli.OpenCase();
  std::string huge(17u << 20, 'x');
  auto r = cli({"case", "note", id, "--stdin-lines"}, "short note\n" + huge + "\n");
  CHECK(r.exit_code == 64);
  CHECK_THAT(r.err, Contains("a line longer than"));
  CHECK_THAT(r.err, Contains("after 1 notes written"));
}

TEST_CASE("e2e: a huge file of the wrong kind is named by its first bytes, not read",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const auto big = cli.tmp.path() / "big.bin";
  {
    std::ofstream(big) << "not a fieldcase file";
  }
  std::filesystem::resize_file(big, 3ull << 30);  // 3 GiB, sparse: over every bound but one
  auto import = cli({"import", big.string()});
  CHECK(import.exit_code != 0);
  CHECK_THAT(import.err, Contains("is not a valid fieldcase bundle file"));
  auto join = cli({"join", big.string(), "--yes"});
  CHECK(join.exit_code != 0);
  CHECK_THAT(join.err, Contains("is not a valid fieldcase enrolment response file"));
  auto enrol = cli({"org", "enrol", big.string(), "--role", "officer", "--out",
                    (cli.tmp.path() / "r").string(), "--yes"});
  CHECK(enrol.exit_code != 0);
  CHECK_THAT(enrol.err, Contains("is not a valid fieldcase enrolment request file"));
}

TEST_CASE("e2e: status and verify look without changing: an empty database is an error, "
          "never recreated",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const std::string db = cli.data + "/fieldcase.db";
  REQUIRE(cli({"status"}).exit_code == 0);
  std::filesystem::resize_file(db, 0);  // emptied by a tool, or a failed copy
  for (const char* cmd : {"status", "verify"}) {
    auto r = cli({cmd});
    INFO(cmd << ": " << r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("empty or not a fieldcase store"));
    CHECK(std::filesystem::file_size(db) == 0);  // nothing recreated
  }
}

TEST_CASE("e2e: a damaged keystore names the way back, and backup says what it leaves out",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  auto backup = cli({"backup", "--to", (cli.tmp.path() / "bk").string()});
  REQUIRE(backup.exit_code == 0);
  CHECK_THAT(backup.out, Contains("Left out: the keystore"));
  const auto ks = std::filesystem::path(cli.data) / "keystore";
  std::string bytes = test::ReadFile(ks.string());
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(ks, std::ios::binary | std::ios::trunc) << bytes;
  auto r = cli({"case", "list"});
  CHECK(r.exit_code != 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains("is damaged"));
  CHECK_THAT(r.err, Contains("`fieldcase backup` leaves the keystore out"));
}

TEST_CASE("e2e: a note says when its event happened, beside when it was written",
          "[e2e][issue8]") {
  test::Cli cli;
  cli.Init();
  const std::string id = cli.OpenCase();
  REQUIRE(cli({"case", "note", id, "--kind", "breach", "--at", "2026-11-30 22:10",
               "Seen outside her house"})
              .exit_code == 0);
  REQUIRE(cli({"case", "note", id, "Written as it happened"}).exit_code == 0);
  for (const char* bad : {"2026-11-31", "2026-11-30 24:00", "yesterday", "2999-01-01"}) {
    auto r = cli({"case", "note", id, "--at", bad, "x"});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 64);
  }
  auto show = cli({"case", "show", id});
  CHECK_THAT(show.out, Contains("happened 2026-11-30 22:10:00Z"));
  auto json = cli({"case", "show", id, "--json"});
  CHECK_THAT(json.out, Contains("\"happened\":\"2026-11-30 22:10:00Z\""));
  auto history = cli({"case", "history", id});
  CHECK_THAT(history.out, Contains("added breach note (happened 2026-11-30 22:10:00Z)"));
}

TEST_CASE("e2e: init never removes a recovery file it did not write", "[e2e][issue8]") {
  test::Cli cli;
  const auto theirs = cli.tmp.path() / "theirs.fcrecovery";
  std::ofstream(theirs, std::ios::binary) << std::string("FCRC\x01", 5) << "someone's secret";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = cli({"init", "--org", "Test Force", "--insecure-fast-kdf", "--recovery-out",
                  theirs.string()});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("already exists"));
    REQUIRE(std::filesystem::exists(theirs));
  }
  CHECK(test::ReadFile(theirs.string()).find("someone's secret") != std::string::npos);
}
