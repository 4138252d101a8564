// One function per command; the table lives in commands.cpp.
#pragma once

#include "context.h"

namespace fieldcase::node {
struct Audit;
}

namespace fieldcase::cli {

int RunInit(Context& c);
int RunCaseOpen(Context& c);
int RunCaseSet(Context& c);
int RunCaseResolve(Context& c);
int RunCaseClear(Context& c);
int RunOrgExportRoot(Context& c);
int RunOrgRestoreRoot(Context& c);
// Writes this node's root key, sealed under a new passphrase of its own, to `out`.
Status ExportRootKeyTo(const node::Node& node, const Args& a, const std::string& out,
                       const crypto::SecretBytes& device_passphrase, crypto::KdfCost cost);
int RunCaseNote(Context& c);
int RunCaseTag(Context& c);
int RunCaseUntag(Context& c);
int RunCaseClose(Context& c);
int RunCaseReopen(Context& c);
int RunCaseShow(Context& c);
int RunCaseList(Context& c);
int RunCaseHistory(Context& c);
int RunVerify(Context& c);
int RunReportCheck(Context& c);
int RunCaseDisclose(Context& c);
int RunDisclosureCheck(Context& c);
// Writes FILE (the signed JSON record) and FILE.html beside it; says what it wrote.
Result<std::string> WriteVerifyReport(const Context& c, const node::Audit& audit,
                                      const node::Node* signer, const std::string& path);
int RunStatus(Context& c);
int RunTemplates(Context& c);
int RunEnrolRequest(Context& c);
int RunOrgEnrol(Context& c);
int RunJoin(Context& c);
int RunOrgMembers(Context& c);
int RunOrgRevoke(Context& c);
int RunOrgAcceptUpTo(Context& c);
int RunBackup(Context& c);
int RunOrgRotateTeamKey(Context& c);
int RunRecover(Context& c);
int RunHeads(Context& c);
int RunExport(Context& c);
int RunImport(Context& c);
int RunBundleInspect(Context& c);
int RunSync(Context& c);
int RunServe(Context& c);
int RunHubStatus(Context& c);

}  // namespace fieldcase::cli
