// Verification reports (issue 11 #1): what a report states, that its signature covers
// every byte, and that a later look at the store catches entries lost since.
#include <catch2/catch.hpp>

#include "edit_database.h"
#include "fieldcase/node/audit.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/report_file.h"
#include "node_fixture.h"

namespace fieldcase::test {
namespace {

struct Reported {
  std::string text;
  node::Audit audit;
};

Reported MakeReport(const Node& signer, const std::filesystem::path& dir) {
  auto audit = node::AuditFolder({dir}, &signer);
  REQUIRE(audit.ok());
  node::ReportMeta meta;
  meta.program = "fieldcase test";
  meta.made_at_ms = kNow;
  meta.data_dir = dir.string();
  const std::string body = node::ReportBody(*audit, meta);
  auto sig = signer.SignReport(AsBytes(body));
  REQUIRE(sig.ok());
  return {node::ReportFileText(body, sig->first, sig->second), *audit};
}

}  // namespace

TEST_CASE("report: an auditor's report names every author and checks as written", "[node]") {
  Org org;
  auto officer = org.Device("Officer Bo", Role::kOfficer);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(officer->Write(org.case_id, record::AddNote{"incident", "note"}, kNow).ok());
  }
  auto auditor = org.Device("Auditor Cy", Role::kAuditor);
  Sync(*org.hq, *auditor);
  Sync(*officer, *auditor);
  const auto dir = org.tmp.path() / "Auditor Cy";
  auto [text, audit] = MakeReport(*auditor, dir);

  CHECK(audit.verify.ok());
  const node::AuthorAudit* bo = nullptr;
  for (const auto& a : audit.authors) {
    if (a.author == officer->writer()) bo = &a;
  }
  REQUIRE(bo != nullptr);
  CHECK(bo->role == "officer");
  CHECK(bo->name == "Officer Bo");  // auditors hold the directory key
  CHECK(bo->counts.last_seq == bo->heads.at(0).seq);
  CHECK(bo->counts.accepted == int64_t(bo->counts.last_seq));

  auto opened = node::OpenReportFile(AsBytes(text));
  REQUIRE(opened.ok());
  REQUIRE(opened->signer.has_value());
  bool by_auditor_key = false;
  for (const auto& [role, key] : auditor->own_keys()) {
    by_auditor_key |= role == Role::kAuditor && key == *opened->signer;
  }
  CHECK(by_auditor_key);
  auto facts = node::ReadReport(*opened);
  REQUIRE(facts.ok());
  CHECK(facts->ok);
  CHECK(facts->coverage.org_id == org.hq->org_id());
  auto heads = auditor->log().Heads();
  REQUIRE(heads.ok());
  CHECK(facts->coverage.heads.size() == heads->size());
  auto lost = node::CheckCoverage({dir}, facts->coverage);
  REQUIRE(lost.ok());
  CHECK(lost->empty());
}

TEST_CASE("report: a change to any byte of a signed report is refused", "[node]") {
  Org org;
  const auto dir = org.tmp.path() / "hq";
  const std::string text = MakeReport(*org.hq, dir).text;
  REQUIRE(node::OpenReportFile(AsBytes(text)).ok());
  for (size_t i = 0; i < text.size(); ++i) {
    std::string edited = text;
    edited[i] = char(edited[i] ^ 0x01);
    INFO("byte " << i << " of " << text.size());
    CHECK_FALSE(node::OpenReportFile(AsBytes(edited)).ok());
  }
  // Cut short anywhere, or grown: refused too.
  for (size_t n : {size_t(0), size_t(10), text.size() / 2, text.size() - 1}) {
    CHECK_FALSE(node::OpenReportFile(AsBytes(std::string_view(text).substr(0, n))).ok());
  }
  CHECK_FALSE(node::OpenReportFile(AsBytes(text + "\n")).ok());
}

TEST_CASE("report: a report not signed by the key it names is refused", "[node]") {
  Org org;
  const auto dir = org.tmp.path() / "hq";
  auto audit = node::AuditFolder({dir}, org.hq.get());
  REQUIRE(audit.ok());
  node::ReportMeta meta;
  meta.made_at_ms = kNow;
  const std::string body = node::ReportBody(*audit, meta);
  auto sig = org.hq->SignReport(AsBytes(body));
  REQUIRE(sig.ok());
  auto officer = org.Device("Officer Bo", Role::kOfficer);
  // The hq's signature under the officer's name.
  const std::string forged = node::ReportFileText(body, officer->writer(), sig->second);
  auto opened = node::OpenReportFile(AsBytes(forged));
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().message().find("does not verify") != std::string::npos);
  // An entry signature (another domain) over the same bytes does not check as a report.
  CHECK_FALSE(crypto::Verify(sig->first, crypto::SignTag::kEntry, {AsBytes(body)}, sig->second));
}

TEST_CASE("report: entries deleted after a report are named by the coverage check", "[node]") {
  Org org;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(org.hq->Write(org.case_id, record::AddNote{"incident", "note"}, kNow).ok());
  }
  const auto dir = org.tmp.path() / "hq";
  const PublicKey writer = org.hq->writer();
  auto opened = node::OpenReportFile(AsBytes(MakeReport(*org.hq, dir).text));
  REQUIRE(opened.ok());
  auto facts = node::ReadReport(*opened);
  REQUIRE(facts.ok());
  auto head = org.hq->log().HeadOf(writer);
  REQUIRE(head.ok());
  REQUIRE(head->has_value());
  const uint64_t top = (*head)->seq;
  org.hq.reset();  // closed, as a store is when someone edits its file

  SECTION("the newest three gone, the heads table mended to hide it") {
    const std::string author = "x'" + ToHex(writer) + "'";
    EditDatabase(dir / "fieldcase.db",
                 "DELETE FROM payloads WHERE id IN (SELECT id FROM entries WHERE author = " +
                     author + " AND seq > " + std::to_string(top - 3) +
                     "); DELETE FROM entries WHERE author = " + author + " AND seq > " +
                     std::to_string(top - 3) + "; UPDATE heads SET seq = " +
                     std::to_string(top - 3) + ", id = (SELECT id FROM entries WHERE author = " +
                     author + " AND seq = " + std::to_string(top - 3) + ") WHERE author = " +
                     author);
    // verify alone cannot see it: the store is consistent in itself.
    auto v = node::VerifyFolder({dir});
    REQUIRE(v.ok());
    CHECK(v->ok());
    auto lost = node::CheckCoverage({dir}, facts->coverage);
    REQUIRE(lost.ok());
    REQUIRE(lost->size() == 1);
    CHECK(lost->at(0).find("3 of seqs 1 to " + std::to_string(top)) != std::string::npos);
    CHECK(lost->at(0).find("now ends at seq " + std::to_string(top - 3)) != std::string::npos);
  }
  SECTION("one in the middle gone") {
    const std::string author = "x'" + ToHex(writer) + "'";
    EditDatabase(dir / "fieldcase.db", "DELETE FROM entries WHERE author = " + author +
                                           " AND seq = 2");
    auto lost = node::CheckCoverage({dir}, facts->coverage);
    REQUIRE(lost.ok());
    REQUIRE(lost->size() == 1);
    CHECK(lost->at(0).find("1 of seqs 1 to") != std::string::npos);
  }
  SECTION("another organisation's store") {
    Org other;
    auto lost = node::CheckCoverage({other.tmp.path() / "hq"}, facts->coverage);
    REQUIRE(lost.ok());
    REQUIRE(lost->size() == 1);
    CHECK(lost->at(0).find("not the store the report was made of") != std::string::npos);
  }
}

}  // namespace fieldcase::test
