#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "cli_devices.h"

using namespace fieldcase;

namespace {

std::string IntegrityCheck(const std::string& db) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, nullptr);
  std::string result = sqlite3_step(q) == SQLITE_ROW
                           ? reinterpret_cast<const char*>(sqlite3_column_text(q, 0))
                           : "no answer";
  sqlite3_finalize(q);
  sqlite3_close(h);
  return result;
}

}  // namespace

TEST_CASE("e2e: kill -9 at random moments never loses an acknowledged append", "[e2e][crash]") {
  // A real fieldcase process appends notes one commit each and prints each id only after
  // the commit returned (WAL, synchronous=FULL). It is SIGKILLed at a random moment, 50
  // times; after each kill the store must verify, pass integrity_check and hold every id
  // that was printed.
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<int> delay_ms(30, 400);
  std::set<std::string> acked;
  std::string input;
  for (int i = 0; i < 1200; ++i) input += "crash-test note " + std::to_string(i) + "\n";
  int killed_mid_run = 0;
  for (int round = 0; round < 50; ++round) {
    test::Child child({"--data", cli.data, "case", "note", id, "--stdin-lines"}, cli.env);
    child.Write(input);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    child.Kill();
    auto r = child.Finish();
    if (r.exit_code == -SIGKILL) ++killed_mid_run;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);) {
      if (l.size() == 64) acked.insert(l);
    }
  }
  INFO("acknowledged " << acked.size() << ", killed mid-run " << killed_mid_run);
  CHECK(killed_mid_run >= 45);
  CHECK(acked.size() > 50);

  auto v = cli({"verify", "--json"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("\"ok\":true"));
  CHECK(IntegrityCheck(cli.data + "/fieldcase.db") == "ok");
  auto history = cli({"case", "history", id, "--json"});
  REQUIRE(history.exit_code == 0);
  size_t missing = 0;
  for (const auto& a : acked) {
    if (history.out.find(a) == std::string::npos) ++missing;
  }
  CHECK(missing == 0);
}

TEST_CASE("e2e: an import killed at random moments resumes with nothing partial or doubled",
          "[e2e][crash]") {
  // A bundle of a few thousand entries is imported by a real process SIGKILLed at random
  // moments until 30 kills landed mid-import; each batch is one transaction, so after every
  // kill the store passes integrity_check and verify, and the next import completes.
  test::Cli hq, ada;
  hq.Init();
  std::string id = hq.OpenCase();
  std::string input;
  for (int i = 0; i < 2500; ++i) input += "note to carry " + std::to_string(i) + "\n";
  REQUIRE(hq({"case", "note", id, "--stdin-lines"}, input).exit_code == 0);
  test::Enrol(hq, ada, "PC Amy", "officer");
  const std::string bundle = test::Carry(hq, ada, "all.fcb");
  std::mt19937 rng(20261201);
  int max_delay_ms = 400, killed_mid_run = 0;
  for (int round = 0; round < 150 && killed_mid_run < 30; ++round) {
    test::Child child({"--data", ada.data, "import", bundle}, ada.env);
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % max_delay_ms));
    child.Kill();
    auto r = child.Finish();
    if (r.exit_code == -SIGKILL) {
      ++killed_mid_run;
    } else {
      max_delay_ms = std::max(20, max_delay_ms * 3 / 4);  // it finished first: kill sooner
    }
    REQUIRE(IntegrityCheck(ada.data + "/fieldcase.db") == "ok");
  }
  CHECK(killed_mid_run >= 30);
  auto v = ada({"verify"});
  INFO(v.out + v.err);
  CHECK(v.exit_code == 0);
  // The last import completes; every entry is held once, as at HQ.
  auto last = ada({"import", bundle, "--json"});
  INFO(last.err);
  REQUIRE(last.exit_code == 0);
  CHECK_THAT(last.out, Catch::Contains("\"rejected\":0"));
  CHECK(test::HeadsOf(ada) == test::HeadsOf(hq));
  auto count = [](const test::Cli& who) {
    std::smatch m;
    auto s = who({"status", "--json"});
    REQUIRE(std::regex_search(s.out, m, std::regex("\"entries\":([0-9]+)")));
    return std::stoll(m[1]);
  };
  CHECK(count(ada) == count(hq));
  CHECK_THAT(ada({"case", "show", id}).out, Catch::Contains("note to carry 2499"));
}
