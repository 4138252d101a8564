// How a checked disclosure is shown: the words shared by `disclosure check`, its JSON and
// the readable page (a timeline a court can read). Everything shown comes from what the
// check verified, never from what the discloser claimed.
#pragma once

#include <string>
#include <vector>

#include "fieldcase/node/disclosure.h"

namespace fieldcase::cli {

// "officer 3f2a9c1b": the role its certificate gives, and the key's fingerprint.
std::string DisclosedAuthorLabel(const node::DisclosureFindings& f, const PublicKey& key);
// "set risk_level = high", "case key entry", "(not disclosed)". Unescaped.
std::string DisclosedWhat(const node::DisclosedLine& l);
// "hub 3f2a… held the chain of officer 77d0… up to seq 14 by 2026-…Z (its clock; receipt …)".
std::string ReceiptLine(const node::DisclosureFindings& f, const node::DisclosedReceipt& r);
// What the disclosure does not prove, one sentence each.
std::vector<std::string> NotProven(const node::DisclosureFindings& f);
// The page: verdict, authors, the timeline with event and written times, conflicts, what
// superseded what, and what is not proven. Every string from the file is escaped.
std::string DisclosureHtml(const node::DisclosureFindings& f, const std::string& file_name);

}  // namespace fieldcase::cli
