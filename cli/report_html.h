// The readable page of a verification report: the same facts as its JSON, for people.
// The JSON file is the signed record; the page says so and names its signer.
#pragma once

#include <optional>
#include <string>

#include "fieldcase/base/bytes.h"
#include "fieldcase/node/audit.h"
#include "fieldcase/node/report_file.h"

namespace fieldcase::cli {

// Every string from the store (names, badges, the org name, problem texts) is escaped.
std::string ReportHtml(const node::Audit& audit, const node::ReportMeta& meta,
                       const std::optional<PublicKey>& signer, const std::string& json_name);

}  // namespace fieldcase::cli
