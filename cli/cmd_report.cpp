// Verification reports: written by `verify --report`, checked by `report check`.
#include <filesystem>

#include "commands.h"
#include "fieldcase/base/json.h"
#include "fieldcase/node/audit.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/node/report_file.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/store/keystore.h"
#include "format.h"
#include "report_html.h"

namespace fieldcase::cli {

Result<std::string> WriteVerifyReport(const Context& c, const node::Audit& audit,
                                      const node::Node* signer, const std::string& path) {
  const std::filesystem::path json_path(path);
  std::filesystem::path html_path = json_path;
  html_path.replace_extension(".html");
  if (html_path == json_path) {
    return Status::InvalidArgument("--report names the JSON record, e.g. report.json; the "
                                   "readable page is written beside it as report.html");
  }
  for (const auto& p : {json_path, html_path}) {
    if (std::filesystem::exists(p)) {
      return Status::InvalidArgument(p.string() + " already exists; choose another --report");
    }
  }
  node::ReportMeta meta;
  meta.program = kProgramVersion;
  meta.made_at_ms = Context::NowMs();
  meta.data_dir = std::filesystem::absolute(c.dir().root).lexically_normal().string();
  const std::string body = node::ReportBody(audit, meta);
  std::optional<PublicKey> key;
  Signature sig{};
  if (signer != nullptr) {
    FC_ASSIGN_OR_RETURN(auto signed_by, signer->SignReport(AsBytes(body)));
    key = signed_by.first;
    sig = signed_by.second;
  }
  const std::string text = node::ReportFileText(body, key, sig);
  FC_RETURN_IF_ERROR(store::WriteFileAtomic(json_path, AsBytes(text)));
  const std::string page = ReportHtml(audit, meta, key, json_path.filename().string());
  FC_RETURN_IF_ERROR(store::WriteFileAtomic(html_path, AsBytes(page)));
  return "report written: " + json_path.string() + (key ? " (signed by key " + ShortHex(*key, 16) + ")" : " (unsigned)") +
         " and " + html_path.string();
}

int RunReportCheck(Context& c) {
  const std::string path = c.args().positional().at(0);
  auto file = store::ReadFileBounded(path, node::kMaxReportBytes, node::kReportBodyStart,
                                     "verification report");
  if (!file.ok()) return Fail(file.status());
  auto opened = node::OpenReportFile(*file);
  if (!opened.ok()) return Fail(opened.status());
  auto facts = node::ReadReport(*opened);
  if (!facts.ok()) return Fail(facts.status());
  // The role the signing key has: from the store's own certificates when one is given,
  // else only what the report says of itself.
  // Without a store the signer's role is only what the report says of itself: anyone can
  // sign a report; a store's certificates say whether the signer belongs.
  std::string signer_role = "not named in the report (give --store DIR to check the signer)";
  for (const auto& [key, role] : facts->roles) {
    if (opened->signer && key == *opened->signer) {
      signer_role = role + " (as the report says; give --store DIR to check it)";
    }
  }
  bool signer_member = true;
  const std::string org_fingerprint = org::OrgFingerprint(facts->coverage.org_id);
  if (facts->org_fingerprint != org_fingerprint) {
    return Fail(Status::Corruption(path + " states an organisation fingerprint that is not its "
                                   "org id's: it was not made by fieldcase; do not rely on it"));
  }
  std::vector<std::string> lost;
  const auto store_dir = c.args().Get("store");
  if (store_dir) {
    store::DataDir dir{*store_dir};
    auto summary = node::Summarize(dir);
    if (!summary.ok()) return Fail(summary.status());
    if (opened->signer) {
      auto it = summary->roles.find(*opened->signer);
      signer_member = it != summary->roles.end();
      signer_role = !signer_member
                        ? "NOT a member of the store's organisation"
                        : std::string(org::ToString(it->second)) + " (from the store's certificates)";
    }
    auto covered = node::CheckCoverage(dir, facts->coverage);
    if (!covered.ok()) return Fail(covered.status());
    lost = std::move(covered).value();
  }
  const bool signed_ok = opened->signer.has_value();
  const bool intact = lost.empty();
  if (c.json()) {
    Json j;
    j.BeginObject().FieldBool("signature_ok", signed_ok);
    if (opened->signer) {
      j.Field("signer", ToHex(*opened->signer));
      j.Field("signer_fingerprint", org::Fingerprint(facts->coverage.org_id, *opened->signer));
      j.Field("signer_role", signer_role);
    }
    j.Field("org_id", ToHex(facts->coverage.org_id)).Field("org_fingerprint", org_fingerprint);
    j.Field("made_at", facts->made_at).Field("program", facts->program);
    j.FieldBool("report_ok", facts->ok).Field("entries", facts->entries);
    j.Field("problems", facts->problems);
    if (store_dir) {
      j.FieldBool("store_holds_all", intact).Key("lost").BeginArray();
      for (const auto& l : lost) j.String(l);
      j.EndArray();
    }
    j.EndObject();
    std::puts(j.str().c_str());
  } else {
    if (opened->signer) {
      std::printf("Signature:    good, by key %s (fingerprint %s), %s\n",
                  ShortHex(*opened->signer, 16).c_str(),
                  org::Fingerprint(facts->coverage.org_id, *opened->signer).c_str(),
                  signer_role.c_str());
    } else {
      std::printf("Signature:    NONE (written with --unsigned: anyone could have written it)\n");
    }
    std::printf("Organisation: %s (org id %s, fingerprint %s)\n", Safe(facts->org_name).c_str(),
                ToHex(facts->coverage.org_id).substr(0, 16).c_str(), org_fingerprint.c_str());
    std::printf("Made:         %s by %s\n", Safe(facts->made_at).c_str(), Safe(facts->program).c_str());
    std::printf("Found then:   %s: %lld entries, %lld problems\n",
                facts->ok ? "verify ok" : "VERIFY FAILED", static_cast<long long>(facts->entries),
                static_cast<long long>(facts->problems));
    if (store_dir) {
      for (const auto& l : lost) std::printf("LOST %s\n", Safe(l).c_str());
      std::printf("Store:        %s\n",
                  intact ? "holds every entry the report covered (it may have grown since)"
                         : "DOES NOT hold everything the report covered (lines above)");
    }
  }
  if (!signed_ok || !signer_member) return kExitFailure;
  return intact ? kExitOk : kExitFailure;
}

}  // namespace fieldcase::cli
