// Bundles by file between real fieldcase processes, each with its own data folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "cli_devices.h"

using namespace fieldcase;
using test::Carry;
using test::Enrol;
using test::HeadsOf;
using test::ViewDigest;
using Catch::Contains;


TEST_CASE("e2e: two officers edit one case offline and their bundles meet at HQ", "[e2e]") {
  test::Cli hq, ada, bob;
  hq.Init();
  std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
  Enrol(hq, ada, "PC Amy", "officer");
  Enrol(hq, bob, "PC Bob", "officer");
  // Offline, each writes to the same case: the same field, a note each, a tag each.
  REQUIRE(ada({"case", "set", id, "risk_level", "high"}).exit_code == 0);
  REQUIRE(ada({"case", "note", id, "--kind", "breach", "seen outside her work"}).exit_code == 0);
  REQUIRE(bob({"case", "set", id, "risk_level", "medium"}).exit_code == 0);
  REQUIRE(bob({"case", "note", id, "--kind", "incident", "14 calls overnight"}).exit_code == 0);
  REQUIRE(bob({"case", "tag", id, "spo-breach"}).exit_code == 0);

  // Ada's stick goes to HQ, then Bob's; HQ's goes back to both.
  auto a = Carry(ada, hq, "ada.fcb");
  auto imported = hq({"import", a, "--json"});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Contains("\"rejected\":0"));
  CHECK(hq({"import", a}).exit_code == 0);  // twice: nothing new
  CHECK_THAT(hq({"import", a, "--json"}).out, Contains("\"new\":0"));
  REQUIRE(hq({"import", Carry(bob, hq, "bob.fcb")}).exit_code == 0);
  auto back = Carry(hq, ada, "to-ada.fcb", /*since=*/false);
  REQUIRE(ada({"import", back}).exit_code == 0);
  REQUIRE(bob({"import", Carry(hq, bob, "to-bob.fcb")}).exit_code == 0);

  // Everyone sees both notes and both values as a conflict, the tag, and verifies clean.
  for (const test::Cli* who : {&hq, &ada, &bob}) {
    auto show = (*who)({"case", "show", id, "--json"});
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.out, Contains("seen outside her work"));
    CHECK_THAT(show.out, Contains("14 calls overnight"));
    CHECK_THAT(show.out, Contains("\"value\":\"high\""));
    CHECK_THAT(show.out, Contains("\"value\":\"medium\""));
    CHECK_THAT(show.out, Contains("spo-breach"));
    auto verify = (*who)({"verify"});
    INFO(verify.out + verify.err);
    CHECK(verify.exit_code == 0);
  }
  // Same entries, same heads: HQ and Ada write the same heads file.
  std::string h1 = (hq.tmp / "final.heads").string(), h2 = (ada.tmp / "final.heads").string();
  REQUIRE(hq({"heads", "--out", h1}).exit_code == 0);
  REQUIRE(ada({"heads", "--out", h2}).exit_code == 0);
  CHECK(test::ReadFile(h1) == test::ReadFile(h2));
}

TEST_CASE("e2e: a bundle is checked whole: altered, cut, for another device or another org",
          "[e2e]") {
  test::Cli hq, ada, other;
  hq.Init();
  std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
  Enrol(hq, ada, "PC Amy", "officer");
  REQUIRE(ada({"case", "note", id, "from the field"}).exit_code == 0);
  std::string bundle = Carry(ada, hq, "ada.fcb");
  const std::string bytes = test::ReadFile(bundle);

  auto write = [&](const std::string& name, const std::string& content) {
    std::string p = (hq.tmp / name).string();
    test::WriteFile(p, content);
    return p;
  };
  // A flipped byte in the encrypted part, and a cut at the end: refused, nothing imported.
  std::string flipped = bytes;
  flipped[flipped.size() - 40] ^= 0x20;
  auto r1 = hq({"import", write("flipped.fcb", flipped)});
  CHECK(r1.exit_code != 0);
  CHECK_THAT(r1.err, Contains("nothing was imported"));
  auto r2 = hq({"import", write("cut.fcb", bytes.substr(0, bytes.size() - 100))});
  CHECK(r2.exit_code != 0);
  CHECK_THAT(r2.err, Contains("nothing was imported"));
  auto r3 = hq({"import", write("junk.fcb", std::string(5000, 'x'))});
  CHECK(r3.exit_code != 0);
  CHECK_THAT(r3.err, Contains("not a valid fieldcase bundle"));
  CHECK_THAT(hq({"case", "show", id}).out, !Contains("from the field"));
  // Another organisation's device cannot open it.
  other.Init();
  auto r4 = other({"import", bundle});
  CHECK(r4.exit_code != 0);
  CHECK_THAT(r4.err, Contains("another organisation"));
  // A bundle made only for Ada's own device does not open at HQ.
  test::Cli bob;
  Enrol(hq, bob, "PC Bob", "officer");
  std::string only_hq = (ada.tmp / "only-hq.fcb").string();
  REQUIRE(ada({"export", "--to", only_hq, "--for", "PC Amy"}).exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(only_hq + ".tmp"));
  // An export never writes over a file, and leaves that file as it was.
  const std::string before = test::ReadFile(only_hq);
  auto again = ada({"export", "--to", only_hq});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Contains("already exists"));
  CHECK(test::ReadFile(only_hq) == before);
  auto r5 = hq({"import", only_hq});
  CHECK(r5.exit_code != 0);
  CHECK_THAT(r5.err, Contains("not encrypted to this device"));
  // The real one still imports, and inspect describes it.
  CHECK(hq({"import", bundle}).exit_code == 0);
  CHECK_THAT(hq({"case", "show", id}).out, Contains("from the field"));
  auto inspect = hq({"bundle", "inspect", bundle});
  REQUIRE(inspect.exit_code == 0);
  CHECK_THAT(inspect.out, Contains("PC Amy"));
  CHECK(hq({"verify"}).exit_code == 0);
}


TEST_CASE("e2e: five devices converge by bundles carried in any order and through a third",
          "[e2e]") {
  test::Cli hq, ada, bob, hub, aud;
  hq.Init();
  std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
  Enrol(hq, ada, "PC Amy", "officer");
  Enrol(hq, bob, "PC Bob", "officer");
  Enrol(hq, hub, "Station hub", "hub");
  Enrol(hq, aud, "Audit", "auditor");
  // Offline edits on both officers, and a case of Bob's own.
  REQUIRE(ada({"case", "set", id, "risk_level", "high"}).exit_code == 0);
  REQUIRE(ada({"case", "note", id, "--kind", "breach", "at her door 02:10"}).exit_code == 0);
  REQUIRE(bob({"case", "set", id, "risk_level", "medium"}).exit_code == 0);
  REQUIRE(bob({"case", "note", id, "--kind", "contact", "called victim back"}).exit_code == 0);
  std::string bobs = bob.OpenCase({"--set", "victim=K. Roe"});
  // No conflict yet on Bob's device: resolve is refused and says what to use.
  auto early = bob({"case", "resolve", id, "risk_level", "high"});
  CHECK(early.exit_code != 0);
  CHECK_THAT(early.err, Contains("case set"));

  // Ada's stick reaches HQ only through Bob; HQ's goes to the hub and the auditor, then Ada.
  REQUIRE(bob({"import", Carry(ada, bob, "a1.fcb")}).exit_code == 0);
  REQUIRE(hq({"import", Carry(bob, hq, "b1.fcb")}).exit_code == 0);
  CHECK_THAT(hq({"case", "show", id}).out, Contains("at her door 02:10"));
  const std::string all = Carry(hq, aud, "h1.fcb", /*since=*/false);
  REQUIRE(aud({"import", all}).exit_code == 0);
  REQUIRE(hub({"import", all}).exit_code == 0);
  REQUIRE(ada({"import", Carry(hq, ada, "h2.fcb")}).exit_code == 0);

  // Bob settles the conflict; it travels back the other way round.
  REQUIRE(bob({"case", "resolve", id, "risk_level", "high"}).exit_code == 0);
  REQUIRE(ada({"import", Carry(bob, ada, "b2.fcb")}).exit_code == 0);
  REQUIRE(hq({"import", Carry(ada, hq, "a2.fcb")}).exit_code == 0);
  const std::string last = Carry(hq, hub, "h3.fcb", /*since=*/false);
  for (const test::Cli* who : {&hub, &aud, &bob}) REQUIRE((*who)({"import", last}).exit_code == 0);

  // The same heads everywhere, the same views where the keys are the same, verify clean.
  const std::string heads = HeadsOf(hq);
  for (const test::Cli* who : {&ada, &bob, &hub, &aud}) CHECK(HeadsOf(*who) == heads);
  for (const std::string& c : {id, bobs}) {
    const std::string d = ViewDigest(hq, c);
    CHECK(ViewDigest(ada, c) == d);
    CHECK(ViewDigest(bob, c) == d);
  }
  auto show = ada({"case", "show", id, "--json"});
  CHECK_THAT(show.out, Contains("called victim back"));
  CHECK_THAT(show.out, Contains("\"conflict\":false"));
  for (const test::Cli* who : {&hq, &ada, &bob, &hub, &aud}) {
    auto verify = (*who)({"verify"});
    INFO(verify.out + verify.err);
    CHECK(verify.exit_code == 0);
  }
  // The hub and the auditor hold every entry but read no case.
  CHECK_THAT(hub({"case", "show", id}).out, !Contains("called victim back"));
  CHECK_THAT(aud({"case", "show", id}).out, !Contains("called victim back"));
}

TEST_CASE("e2e: a revocation travels by bundle and quarantines what the device wrote after it",
          "[e2e]") {
  test::Cli hq, ada, bob;
  hq.Init();
  std::string id = hq.OpenCase({"--set", "victim=J. Doe"});
  Enrol(hq, ada, "PC Amy", "officer");
  Enrol(hq, bob, "PC Bob", "officer");
  REQUIRE(ada({"case", "note", id, "before the loss"}).exit_code == 0);
  REQUIRE(hq({"import", Carry(ada, hq, "a1.fcb")}).exit_code == 0);
  // Ada's phone is lost; HQ revokes it at what it holds. The phone writes on (a thief).
  auto revoke = hq({"org", "revoke", "PC Amy", "--yes"});
  INFO(revoke.err);
  REQUIRE(revoke.exit_code == 0);
  REQUIRE(ada({"case", "note", id, "written by the thief"}).exit_code == 0);
  // Bob gets the thief's bundle first, then HQ's: the note is quarantined once he learns.
  auto first = bob({"import", Carry(ada, bob, "a2.fcb"), "--json"});
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(bob({"case", "show", id}).out, Contains("written by the thief"));
  auto second = bob({"import", Carry(hq, bob, "h1.fcb"), "--json"});
  INFO(second.out + second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(bob({"case", "show", id}).out, !Contains("written by the thief"));
  CHECK_THAT(bob({"case", "show", id}).out, Contains("before the loss"));
  // HQ learns of the note later, in the other order: quarantined on arrival.
  auto late = hq({"import", Carry(bob, hq, "b1.fcb"), "--json"});
  REQUIRE(late.exit_code == 0);
  CHECK_THAT(late.out, Contains("\"quarantined\":1"));
  CHECK_THAT(hq({"case", "show", id}).out, !Contains("written by the thief"));
  CHECK(HeadsOf(hq) == HeadsOf(bob));
  // Bob writes on: the case key the revoked phone held is rotated, so a copy of Bob's
  // note carried to the phone stays unreadable there.
  REQUIRE(bob({"case", "note", id, "after the revocation"}).exit_code == 0);
  std::string to_phone = (bob.tmp / "to-phone.fcb").string();
  REQUIRE(bob({"export", "--to", to_phone, "--for", "PC Amy"}).exit_code == 0);
  REQUIRE(ada({"import", to_phone}).exit_code == 0);
  CHECK_THAT(ada({"case", "show", id}).out, !Contains("after the revocation"));
  CHECK_THAT(bob({"case", "show", id}).out, Contains("after the revocation"));
}
