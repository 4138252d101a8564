#include "report_html.h"

#include "fieldcase/org/enrolment.h"
#include "fieldcase/record/hlc.h"
#include "format.h"

namespace fieldcase::cli {

namespace {

std::string H(std::string_view s) { return HtmlText(s); }

std::string N(int64_t v) { return std::to_string(v); }

}  // namespace

std::string ReportHtml(const node::Audit& a, const node::ReportMeta& meta,
                       const std::optional<PublicKey>& signer, const std::string& json_name) {
  const store::VerifyReport& v = a.verify;
  std::string o;
  o += HtmlPageStart("fieldcase verification report");
  o += "<h1>Verification report</h1>\n";
  o += std::string("<p class=\"") + (v.ok() ? "ok\"><strong>Verified: no problems found." 
                                             : "fail\"><strong>VERIFICATION FAILED: ") +
       (v.ok() ? "" : N(int64_t(v.problems.size())) + " problems (listed below).") +
       "</strong></p>\n";
  o += "<table>\n";
  o += "<tr><th>Organisation</th><td>" + H(a.org_name) + "</td></tr>\n";
  o += "<tr><th>Org id</th><td><code>" + ToHex(a.org_id) + "</code></td></tr>\n";
  o += "<tr><th>Org fingerprint</th><td><code>" + a.org_fingerprint + "</code></td></tr>\n";
  o += "<tr><th>Made at</th><td>" + FormatMs(meta.made_at_ms) + " by " + H(meta.program) +
       "</td></tr>\n";
  o += "<tr><th>Data folder</th><td><code>" + H(meta.data_dir) + "</code></td></tr>\n";
  o += "<tr><th>Heads digest</th><td><code>" + ToHex(a.heads_digest) + "</code></td></tr>\n";
  o += "<tr><th>Entries</th><td>" + N(v.entries) + " from " + N(v.authors) + " keys; " +
       N(v.payloads) + " payloads; " + N(v.accepted) + " accepted, " + N(v.pending) +
       " pending, " + N(v.needs_upgrade) + " need upgrade, " + N(v.quarantined) +
       " quarantined</td></tr>\n";
  o += "<tr><th>Signed by</th><td>";
  if (signer) {
    o += "device key <code>" + ToHex(*signer) + "</code> (fingerprint <code>" +
         org::Fingerprint(a.org_id, *signer) + "</code>). The signed record is <code>" +
         H(json_name) + "</code>; check it with <code>fieldcase report check " + H(json_name) +
         "</code>. This page is a reading of it and carries no signature of its own.";
  } else {
    o += "not signed";
  }
  o += "</td></tr>\n</table>\n";

  o += "<h2>Authors</h2>\n<table>\n<tr><th>Key (fingerprint)</th><th>Role</th><th>Person</th>"
       "<th>Seqs</th><th>Head</th><th>Accepted</th><th>Pending</th><th>Needs upgrade</th>"
       "<th>Quarantined</th></tr>\n";
  for (const auto& au : a.authors) {
    o += "<tr><td><code>" + ToHex(au.author).substr(0, 16) + "…</code><br><code>" +
         au.fingerprint + "</code></td><td>" + H(au.role) + (au.revoked ? " (revoked)" : "") +
         "</td><td>";
    if (!au.name.empty()) {
      o += H(au.name) + (au.badge.empty() ? "" : " (" + H(au.badge) + ")");
    } else if (!au.person_id.empty()) {
      o += "person <code>" + au.person_id.substr(0, 8) + "</code> (names need the directory key)";
    } else {
      o += "—";
    }
    o += "</td><td>" + (au.counts.last_seq == 0 ? std::string("none written")
                                                  : std::to_string(au.counts.first_seq) + "–" +
                                                        std::to_string(au.counts.last_seq)) +
         "</td><td>";
    for (const auto& h : au.heads) {
      o += "seq " + std::to_string(h.seq) + " <code>" + ToHex(h.id).substr(0, 16) + "…</code> " +
           FormatMs(int64_t(record::HlcMillis(h.hlc))) + "<br>";
    }
    o += "</td><td>" + N(au.counts.accepted) + "</td><td>" + N(au.counts.pending) + "</td><td>" +
         N(au.counts.needs_upgrade) + "</td><td>" + N(au.counts.quarantined) + "</td></tr>\n";
  }
  o += "</table>\n";

  auto list = [&](const std::string& title, const std::vector<store::VerifyProblem>& ps) {
    o += "<h2>" + title + " (" + N(int64_t(ps.size())) + ")</h2>\n";
    if (ps.empty()) {
      o += "<p>None.</p>\n";
      return;
    }
    o += "<table>\n<tr><th>Entry</th><th>Author</th><th>Seq</th><th>Check that failed</th></tr>\n";
    for (const auto& p : ps) {
      o += "<tr><td><code>" + (p.id == Id{} ? std::string("—") : ToHex(p.id)) + "</code></td><td><code>" +
           (p.author == PublicKey{} ? std::string("—") : ToHex(p.author).substr(0, 16)) +
           "</code></td><td>" + (p.seq == 0 ? std::string("—") : std::to_string(p.seq)) +
           "</td><td>" + H(p.what) + "</td></tr>\n";
    }
    o += "</table>\n";
  };
  list("Problems", v.problems);
  o += "<h2>Forks (" + N(int64_t(v.forks.size())) + ")</h2>\n";
  if (v.forks.empty()) o += "<p>None.</p>\n";
  for (const auto& f : v.forks) {
    o += "<p>Key <code>" + ToHex(f.author) + "</code> signed " + N(int64_t(f.ids.size())) +
         " entries for seq " + std::to_string(f.seq) +
         "; its entries from there on are quarantined. Proof (header ‖ signature):</p><ul>\n";
    for (size_t i = 0; i < f.ids.size() && i < f.headers.size(); ++i) {
      o += "<li>entry <code>" + ToHex(f.ids[i]) + "</code><br><code style=\"word-break:break-all\">" +
           ToHex(f.headers[i]) + "</code></li>\n";
    }
    o += "</ul>\n";
  }
  list("Payloads not held (not a fault of this store)", v.missing);
  o += "<h2>Hub receipts</h2>\n<p>" + N(v.receipts) + " receipts held, " +
       N(v.receipts_complete) +
       " complete (this store held every head they cover); an entry a complete receipt "
       "covers and the store lacks is listed among the problems as missing after receipt.</p>\n";
  for (const auto& e : v.equivocations) {
    o += "<p class=\"fail\"><strong>" + H(e.what) + "</strong></p>\n";
  }
  o += "<p>Whether a store still holds what this report covered: <code>fieldcase report "
       "check --store</code>.</p>\n";
  o += "<h2>What was checked</h2>\n<p>Every entry held, with no passphrase and no case key: "
       "ids, Ed25519 signatures, payload hashes, chain links, clocks, the heads table, key and "
       "control payloads, and every status derived again from the entries. The JSON record "
       "lists each check.</p>\n</body></html>\n";
  return o;
}

}  // namespace fieldcase::cli
