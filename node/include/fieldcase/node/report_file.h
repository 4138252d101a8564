// The verification report file (`fieldcase verify --report FILE`): JSON text whose last
// line carries an ed25519 signature over everything before it (docs/formats/report.md).
//
//   | part      | bytes                                                                |
//   |-----------|----------------------------------------------------------------------|
//   | body      | `{"fieldcase_report":1,"report":{…}` then `,` — UTF-8 JSON in which  |
//   |           | every string is escaped, so no raw newline occurs in it             |
//   | separator | `\n"signature":`                                                     |
//   | signature | `{"signer":"<64 hex>","sig":"<128 hex>"}` or `null` (unsigned)       |
//   | end       | `}\n`                                                                |
//
//   sig = Ed25519(signer, "fieldcase/v1/verify-report\0" ‖ body)
//
// The whole body is signed as bytes, so a report edited anywhere — a count, a name, a
// space — no longer checks; a reader needs no canonical JSON to verify it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/node/audit.h"

namespace fieldcase::node {

inline constexpr size_t kMaxReportBytes = 64u << 20;
inline constexpr std::string_view kReportBodyStart = "{\"fieldcase_report\":1,\"report\":";
inline constexpr std::string_view kReportSeparator = "\n\"signature\":";

struct SignedReport {
  std::string body;                  // as signed, ending in ","
  std::optional<PublicKey> signer;   // nullopt: written unsigned
};

struct ReportMeta {
  std::string program;  // "fieldcase 0.1.0"
  int64_t made_at_ms = 0;
  std::string data_dir;
};
// The body of a report on `audit` (kReportBodyStart … ","): what was checked, what was
// found, and per author key what the store holds. docs/formats/report.md lists its fields.
std::string ReportBody(const Audit& audit, const ReportMeta& meta);

// What a reader of a report needs from its body: who and when, the verdict, and the heads
// it covered (for CheckCoverage).
struct ReportFacts {
  std::string program, made_at, org_name, org_fingerprint;
  bool ok = false;
  int64_t entries = 0, problems = 0;
  Coverage coverage;
  std::vector<std::pair<PublicKey, std::string>> roles;  // author key → role, as reported
};
// Parses an opened report's body (bounded: kMaxReportAuthors authors, kMaxReportHeads heads
// each). Fails naming the field that is missing or malformed.
inline constexpr size_t kMaxReportAuthors = 1'000'000;
inline constexpr size_t kMaxReportHeads = 1'000;
Result<ReportFacts> ReadReport(const SignedReport& report);

// Joins a body (from kReportBodyStart to the "," after the report) and its signature.
std::string ReportFileText(std::string_view body, const std::optional<PublicKey>& signer,
                           const Signature& sig);
// The one reader of report files: layout, size and signature, before any of the body is
// parsed. A bad signature, an edit, a truncation: an error naming it.
Result<SignedReport> OpenReportFile(ByteView file);

}  // namespace fieldcase::node
