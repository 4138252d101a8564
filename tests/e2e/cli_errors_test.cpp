#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "cli_fixture.h"

using namespace fieldcase;
using Catch::Contains;

namespace {

// One line on stderr, naming the problem.
void OneLine(const test::ProcResult& r, const std::string& says) {
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains(says));
}

std::string EntryCount(const test::Cli& cli) {
  auto v = cli({"verify", "--json"});
  std::smatch m;
  std::regex_search(v.out, m, std::regex("\"entries\":(\\d+)"));
  return m[1];
}

}  // namespace

TEST_CASE("e2e: wrong passphrase is one line, exit 2, nothing written", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  std::string before = EntryCount(cli);
  cli.env["FIELDCASE_PASSPHRASE"] = "Not-The-Passphrase-1";
  auto r = cli({"case", "note", id, "x"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "fieldcase: wrong passphrase\n");
  CHECK(EntryCount(cli) == before);
}

TEST_CASE("e2e: bad arguments get one clear line and leave the store intact", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  std::string before = EntryCount(cli);
  OneLine(cli({"case", "show", "0123456789abcdef"}), "no case 0123456789abcdef");
  OneLine(cli({"case", "show", "not-hex"}), "is not a case id");
  OneLine(cli({"case", "set", id, "shoe_size", "9"}), "unknown field 'shoe_size'");
  OneLine(cli({"case", "set", id, "risk_level", "extreme"}), "use one of: standard, medium, high");
  OneLine(cli({"case", "note", id, "--kind", "gossip", "x"}), "note kind 'gossip' is not one of");
  OneLine(cli({"case", "untag", id, "never-added"}), "has no tag");
  OneLine(cli({"case", "open", "--template", "burglary"}), "no template 'burglary'");
  OneLine(cli({"case", "frobnicate"}), "unknown command");
  OneLine(cli({"case", "list", "--colour"}), "unknown option --colour");
  CHECK(cli({"case", "set", id}).exit_code == 64);
  CHECK(EntryCount(cli) == before);
  CHECK(cli({"verify"}).exit_code == 0);
}

TEST_CASE("e2e: init refuses a weak passphrase and an existing store", "[e2e]") {
  test::Cli cli;
  cli.env["FIELDCASE_PASSPHRASE"] = "1234";
  OneLine(cli({"init", "--org", "X", "--insecure-fast-kdf"}), "passphrase too short");
  CHECK_FALSE(std::filesystem::exists(cli.tmp / "data" / "keystore"));
  cli.env["FIELDCASE_PASSPHRASE"] = test::kPass;
  cli.env["FIELDCASE_RECOVERY_PASSPHRASE"] = test::kPass;
  OneLine(cli({"init", "--org", "X", "--insecure-fast-kdf"}), "must differ");
  cli.env["FIELDCASE_RECOVERY_PASSPHRASE"] = test::kRecoveryPass;
  cli.Init();
  OneLine(cli({"init", "--org", "X", "--insecure-fast-kdf"}), "already holds a store");
}

TEST_CASE("e2e: a second process on the same folder is refused clearly", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  test::Child holder({"--data", cli.data, "case", "note", id, "--stdin-lines"}, cli.env);
  holder.Write("first line\n");
  std::string line;
  REQUIRE(holder.ReadLine(line));  // it has unlocked and committed: it holds the folder
  SECTION("after a few seconds of waiting, saying so") {
    auto r = cli({"case", "note", id, "second"});
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("waiting for another fieldcase process"));
    CHECK_THAT(r.err, Contains("another fieldcase process is using"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
    CHECK(holder.Finish().exit_code == 0);
  }
  SECTION("or it goes on when the other finishes within them") {
    test::Child second({"--data", cli.data, "case", "note", id, "waited"}, cli.env);
    std::this_thread::sleep_for(std::chrono::seconds(1));  // it is waiting now
    CHECK(holder.Finish().exit_code == 0);
    auto r = second.Finish();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Contains("waiting for another fieldcase process"));
  }
  CHECK(cli({"case", "note", id, "now free"}).exit_code == 0);
}

TEST_CASE("e2e: verify names the entry and what failed for a flipped byte", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  REQUIRE(cli({"case", "note", id, "to be tampered with"}).exit_code == 0);
  std::string db = cli.data + "/fieldcase.db";
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  // Change one byte in the newest payload, as a disk editor would (triggers dropped); the
  // ciphertext is random, so the new byte is chosen to differ from the old.
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(h, "SELECT id FROM entries ORDER BY rowid DESC LIMIT 1", -1, &q, nullptr);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  std::string victim = ToHex(ByteView(static_cast<const uint8_t*>(sqlite3_column_blob(q, 0)), 32));
  sqlite3_finalize(q);
  std::string sql =
      "DROP TRIGGER payloads_immutable; UPDATE payloads SET payload = "
      "substr(payload, 1, 40) || (CASE WHEN substr(payload, 41, 1) = x'ff' THEN x'00' ELSE "
      "x'ff' END) || substr(payload, 42) WHERE id = x'" +
      victim + "'";
  REQUIRE(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(h);
  auto v = cli({"verify"});
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.out, Contains("FAIL entry " + victim));
  CHECK_THAT(v.out, Contains("payload hash does not match"));
  CHECK_THAT(v.out, Contains("VERIFY FAILED"));
}

TEST_CASE("e2e: a damaged keystore or database is reported, not crashed on", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string ks = cli.data + "/keystore";
  std::string bytes = test::ReadFile(ks);
  bytes[bytes.size() / 2] ^= 0x01;
  test::WriteFile(ks, bytes);
  OneLine(cli({"case", "list"}), "keystore");
  CHECK_THAT(cli({"case", "list"}).err, Contains("damaged"));

  test::Cli other;
  other.Init();
  test::WriteFile(other.data + "/fieldcase.db", std::string(8192, 'z'));
  std::filesystem::remove(other.data + "/fieldcase.db-wal");
  std::filesystem::remove(other.data + "/fieldcase.db-shm");
  auto r = other({"verify"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("damaged"));
}

TEST_CASE("e2e: a full disk is one clear line and loses nothing acknowledged", "[e2e]") {
  // A 2 MiB tmpfs in a private mount namespace: no root and no global mount needed.
  if (std::system("unshare -rm true >/dev/null 2>&1") != 0) {
    WARN("unshare is not available here; full-disk test skipped");
    return;
  }
  test::TempDir t;
  std::string mnt = (t / "small").string();
  std::filesystem::create_directories(mnt);
  std::string fc = FIELDCASE_BINARY;
  std::string script =
      "set -u; mount -t tmpfs -o size=2m tmpfs " + mnt +
      " || exit 99; "
      "export FIELDCASE_PASSPHRASE=" +
      test::kPass + " FIELDCASE_RECOVERY_PASSPHRASE=" + test::kRecoveryPass + "; D=" + mnt +
      "/data; "
      "" +
      fc +
      " --data $D init --org T --insecure-fast-kdf >/dev/null || exit 98; "
      "ID=$(" +
      fc +
      " --data $D case open --template stalking) || exit 97; "
      "(yes \"$(head -c 3000 /dev/zero | tr '\\0' x)\" | head -n 2000) 2>/dev/null | "
      "" +
      fc + " --data $D case note $ID --stdin-lines > " + t.path().string() +
      "/acked.txt "
      "2> " +
      t.path().string() +
      "/err.txt; echo \"exit=$?\"; "
      "" +
      fc +
      " --data $D verify --json; "
      "" +
      fc + " --data $D case show $ID --json | grep -o '\"kind\":\"incident\"' | wc -l";
  test::WriteFile(t / "run.sh", script);
  FILE* p = popen(("unshare -rm sh " + (t / "run.sh").string()).c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  INFO(out);
  std::string err = test::ReadFile(t / "err.txt");
  std::string acked = test::ReadFile(t / "acked.txt");
  size_t acked_lines = size_t(std::count(acked.begin(), acked.end(), '\n'));
  CHECK_THAT(out, Contains("exit=1"));
  CHECK_THAT(err, Contains("disk full"));
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK_THAT(out, Contains("\"ok\":true"));
  CHECK(acked_lines > 10);
  // Every acknowledged note is in the case, and nothing else.
  CHECK_THAT(out, Contains("\n" + std::to_string(acked_lines) + "\n"));
}

TEST_CASE("e2e: verify derives statuses again and finds a status changed by hand", "[e2e]") {
  test::Cli cli;
  cli.Init();
  std::string id = cli.OpenCase();
  REQUIRE(cli({"verify"}).exit_code == 0);
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open((cli.data + "/fieldcase.db").c_str(), &h) == SQLITE_OK);
  REQUIRE(sqlite3_exec(
              h, "UPDATE entries SET status = 4 WHERE rowid = (SELECT max(rowid) FROM entries)",
              nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(h);
  auto v = cli({"verify"});
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.out, Contains("status column says quarantined, the entries say accepted"));
}

namespace {

// Runs a shell script as root of a private user and mount namespace (for a tmpfs of its
// own), returning what it printed; empty when namespaces are not available here.
std::string InNamespace(const test::TempDir& t, const std::string& script) {
  test::WriteFile(t / "run.sh", script);
  FILE* p = popen(("unshare -rm sh " + (t / "run.sh").string() + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace

TEST_CASE("e2e: a store on a read-only medium is read and verified, and a write says why not",
          "[e2e]") {
  if (std::system("unshare -rm true >/dev/null 2>&1") != 0) {
    WARN("unshare is not available here; read-only medium test skipped");
    return;
  }
  test::TempDir t;
  const std::string mnt = (t / "stick").string();
  std::filesystem::create_directories(mnt);
  const std::string fc = std::string(FIELDCASE_BINARY) + " --data " + mnt + "/data";
  const std::string out = InNamespace(
      t, "set -u; mount -t tmpfs -o size=16m tmpfs " + mnt + " || exit 99\n" +
             "export FIELDCASE_PASSPHRASE=" + test::kPass +
             " FIELDCASE_RECOVERY_PASSPHRASE=" + test::kRecoveryPass + "\n" + fc +
             " init --org T --insecure-fast-kdf >/dev/null || exit 98\n"
             "ID=$(" + fc + " case open --template stalking) || exit 97\n" + fc +
             " case note $ID 'written before the medium turned read-only' >/dev/null || exit 96\n"
             "stat -c 'mode before %a' " + mnt + "/data\n"
             "mount -o remount,ro " + mnt + " || exit 95\n"
             "echo '== verify'; " + fc + " verify; echo \"exit=$?\"\n"
             "echo '== status'; " + fc + " status >/dev/null; echo \"exit=$?\"\n"
             "echo '== note'; " + fc + " case note $ID 'after'; echo \"exit=$?\"\n"
             "stat -c 'mode after %a' " + mnt + "/data\n");
  INFO(out);
  REQUIRE_THAT(out, Contains("== verify"));
  CHECK_THAT(out, Contains("verify ok"));
  CHECK_THAT(out, Contains("== verify\nverify ok"));
  CHECK_THAT(out, Contains("== status\nexit=0"));
  // The write is refused in one line that says what still works.
  CHECK_THAT(out, Contains("== note\nfieldcase: cannot write in"));
  CHECK_THAT(out, Contains("can still be checked with `fieldcase verify`"));
  CHECK_THAT(out, !Contains("== note\nfieldcase: cannot write in" + std::string("\n\n")));
  const auto before = out.find("mode before "), after = out.find("mode after ");
  REQUIRE(before != std::string::npos);
  REQUIRE(after != std::string::npos);
  CHECK(out.substr(before + 12, 3) == out.substr(after + 11, 3));  // never chmod'ed
}

TEST_CASE("e2e: running out of file descriptors is named, wherever it happens", "[e2e]") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("the sanitizer runtime needs descriptors of its own; checked in the plain build");
  return;
#endif
  if (!std::filesystem::exists("/usr/bin/prlimit")) {
    WARN("prlimit is not available here; file descriptor test skipped");
    return;
  }
  test::Cli cli;
  cli.Init();
  const std::string id = cli.OpenCase();
  int refused = 0, written = 0;
  // From too few to open the keystore, through the database and its journal, to enough.
  for (int n = 4; n <= 16; ++n) {
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"case", "note", id, "note " + std::to_string(n)},
          std::vector<std::string>{"case", "show", id}, std::vector<std::string>{"verify"}}) {
      std::vector<std::string> args = {"--data", cli.data};
      args.insert(args.end(), cmd.begin(), cmd.end());
      auto r = test::Run(args, cli.env, "",
                         {"/usr/bin/prlimit", "--nofile=" + std::to_string(n), "--"});
      INFO(n << " descriptors, " << cmd[0] << ": " << r.err);
      if (r.exit_code == 0) {
        written += cmd[1] == "note" ? 1 : 0;
        continue;
      }
      // Too few for the program to start at all (descriptors the test runner leaves open
      // count too): the loader's message, not ours.
      if (r.err.find("error while loading shared libraries") != std::string::npos) continue;
      ++refused;
      CHECK_THAT(r.err, Contains("out of file descriptors"));
      CHECK_THAT(r.err, Contains("ulimit -n"));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
  CHECK(refused > 0);
  CHECK(written > 0);
  // Nothing half-written: the store verifies and holds exactly the notes that said so.
  auto v = cli({"verify"});
  CHECK(v.exit_code == 0);
  auto show = cli({"case", "show", id, "--json"});
  REQUIRE(show.exit_code == 0);
  size_t notes = 0;
  for (size_t at = show.out.find("\"text\":\"note "); at != std::string::npos;
       at = show.out.find("\"text\":\"note ", at + 1)) {
    ++notes;
  }
  CHECK(notes == size_t(written));
}
