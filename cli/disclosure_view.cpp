#include "disclosure_view.h"

#include "fieldcase/org/enrolment.h"
#include "fieldcase/record/hlc.h"
#include "format.h"

namespace fieldcase::cli {

std::string DisclosedAuthorLabel(const node::DisclosureFindings& f, const PublicKey& key) {
  auto it = f.roles.find(key);
  const std::string role = it == f.roles.end() ? "unenrolled key" : org::ToString(it->second);
  return role + " " + org::Fingerprint(f.org_id, key);
}

std::string DisclosedWhat(const node::DisclosedLine& l) {
  if (l.kind == uint8_t(store::Kind::kKey)) return "case key entry";
  if (!l.op) return "(not disclosed)";
  return DescribeOp(*l.op);
}

std::string ReceiptLine(const node::DisclosureFindings& f, const node::DisclosedReceipt& r) {
  return DisclosedAuthorLabel(f, r.hub) + " held the chain of " + DisclosedAuthorLabel(f, r.author) +
         " up to seq " + std::to_string(r.seq) + " by " + FormatMs(int64_t(r.hub_time_ms)) +
         " (its clock; receipt " + ToHex(r.receipt).substr(0, 16) + ")";
}

std::vector<std::string> NotProven(const node::DisclosureFindings& f) {
  std::vector<std::string> out;
  const size_t hidden = f.case_entries - f.disclosed;
  if (hidden > 0) {
    out.push_back("the content of the " + std::to_string(hidden) +
                  " entries of the case that are not disclosed: their headers show who wrote "
                  "them, when, and the size of their encrypted payload, nothing more");
  }
  out.push_back("that the case has no entries beyond these: the disclosure shows the case as "
                "the discloser's device held it");
  if (f.receipts.empty()) {
    out.push_back("that the times are true: each is the writing device's clock as it signed it "
                  "(ordered within each author's chain); no hub receipt covers them");
  } else {
    out.push_back("that the times are true: each is the writing device's clock as it signed it; "
                  "only the hub receipts bound them, by the hub's own clock");
  }
  out.push_back("who the people are: certificates name a person only by an id, with names and "
                "badges sealed under the organisation's directory key");
  return out;
}

namespace {

std::string H(std::string_view s) { return HtmlText(s); }

}  // namespace

std::string DisclosureHtml(const node::DisclosureFindings& f, const std::string& file_name) {
  std::string o = HtmlPageStart("fieldcase case disclosure");
  o += "<h1>Case disclosure</h1>\n";
  if (f.ok()) {
    o += "<p class=\"ok\"><strong>Checked: every signature, chain link, payload hash, "
         "enrolment and role verifies, and each disclosed entry is opened by the key its "
         "author committed to.</strong></p>\n";
  } else {
    o += "<p class=\"fail\"><strong>THIS DISCLOSURE DOES NOT CHECK; it proves nothing. "
         "Problems:</strong></p>\n<ul>\n";
    for (const auto& p : f.problems) o += "<li>" + H(p) + "</li>\n";
    o += "</ul>\n";
  }
  o += "<table>\n";
  o += "<tr><th>File</th><td><code>" + H(file_name) + "</code>; check it with <code>fieldcase "
       "disclosure check " + H(file_name) + "</code> (no store, passphrase or key needed). "
       "This page is a reading of that check.</td></tr>\n";
  o += "<tr><th>Organisation</th><td>" + H(f.org_name) + "; org id <code>" + ToHex(f.org_id) +
       "</code>, fingerprint <code>" + org::OrgFingerprint(f.org_id) + "</code></td></tr>\n";
  o += "<tr><th>Case</th><td><code>" + ToHex(f.case_id) + "</code></td></tr>\n";
  o += "<tr><th>Entries</th><td>" + std::to_string(f.disclosed) + " of the case's " +
       std::to_string(f.case_entries) + " data entries disclosed; " + std::to_string(f.entries) +
       " entries carried in all</td></tr>\n</table>\n";

  o += "<h2>Authors</h2>\n<table>\n<tr><th>Author</th><th>Key</th><th>Person id</th>"
       "<th>Chain</th><th>Disclosed</th></tr>\n";
  for (const auto& a : f.authors) {
    o += "<tr><td>" + H(DisclosedAuthorLabel(f, a.key)) + (a.revoked ? " (revoked)" : "") +
         "</td><td><code>" + ToHex(a.key) + "</code></td><td><code>" +
         (a.role ? ToHex(a.person_id) : std::string("—")) + "</code></td><td>complete from seq 1 to " +
         std::to_string(a.last_seq) + "</td><td>" + std::to_string(a.disclosed) + "</td></tr>\n";
  }
  o += "</table>\n";

  o += "<h2>Timeline</h2>\n<p class=\"muted\">Written: the author's clock as signed. "
       "Happened: when the note says the event took place.</p>\n<table>\n<tr><th>Written</th>"
       "<th>Author (seq)</th><th>What</th><th>Entry</th></tr>\n";
  for (const auto& l : f.lines) {
    o += "<tr><td>" + FormatHlc(l.hlc) + "</td><td>" + H(DisclosedAuthorLabel(f, l.author)) +
         " (#" + std::to_string(l.seq) + ")</td><td" + (l.op ? "" : " class=\"muted\"") + ">" +
         H(DisclosedWhat(l));
    if (l.status != store::EntryStatus::kAccepted) {
      o += "<br><strong>" + std::string(store::ToString(l.status)) +
           ": not part of the case as it stands</strong>";
    }
    for (const auto& s : l.superseded_by) {
      o += "<br><em>superseded by <code>" + ToHex(s).substr(0, 16) + "</code></em>";
    }
    o += "</td><td><code>" + ToHex(l.id).substr(0, 16) + "</code></td></tr>\n";
  }
  o += "</table>\n";

  o += "<h2>Hub receipts</h2>\n";
  if (f.receipts.empty()) o += "<p>None cover the authors of this case.</p>\n";
  for (const auto& r : f.receipts) {
    o += "<p>" + H(ReceiptLine(f, r)) + "</p>\n";
  }
  o += "<h2>The case as the disclosed entries give it</h2>\n<table>\n";
  for (const auto& [name, field] : f.view.fields) {
    if (field.current.empty()) continue;
    o += "<tr><th>" + H(name) + "</th><td>";
    if (field.conflict()) o += "<strong>CONFLICT</strong> — values set without seeing each other:<br>";
    for (const auto& v : field.current) {
      o += H(v.value) + " <span class=\"muted\">(" + H(DisclosedAuthorLabel(f, v.author)) + ", " +
           FormatHlc(v.hlc) + ")</span><br>";
    }
    o += "</td></tr>\n";
  }
  o += "<tr><th>Tags</th><td>";
  for (const auto& t : f.view.tags) o += H(t) + " ";
  o += "</td></tr>\n<tr><th>Notes</th><td>" + std::to_string(f.view.notes.size()) +
       "</td></tr>\n</table>\n";

  o += "<h2>Not proven by this disclosure</h2>\n<ul>\n";
  for (const auto& n : NotProven(f)) o += "<li>" + H(n) + "</li>\n";
  o += "</ul>\n</body></html>\n";
  return o;
}

}  // namespace fieldcase::cli
