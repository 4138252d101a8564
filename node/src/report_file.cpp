#include "fieldcase/node/report_file.h"

#include <ctime>

#include "fieldcase/base/json.h"
#include "fieldcase/base/json_reader.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/record/hlc.h"

namespace fieldcase::node {

namespace {

constexpr std::string_view kSignerStart = "{\"signer\":\"";
constexpr std::string_view kSigMiddle = "\",\"sig\":\"";
constexpr std::string_view kUnsigned = "null";
constexpr std::string_view kEnd = "}\n";

Status Damaged(std::string_view what) {
  return Status::Corruption("not a fieldcase verification report, or damaged: " +
                            std::string(what) +
                            "; ask for the report again (a report is checked exactly as written)");
}

}  // namespace

std::string ReportFileText(std::string_view body, const std::optional<PublicKey>& signer,
                           const Signature& sig) {
  std::string out(body);
  out += kReportSeparator;
  if (signer) {
    out += kSignerStart;
    out += ToHex(*signer);
    out += kSigMiddle;
    out += ToHex(sig);
    out += "\"}";
  } else {
    out += kUnsigned;
  }
  out += kEnd;
  return out;
}

Result<SignedReport> OpenReportFile(ByteView file) {
  if (file.size() > kMaxReportBytes) return Damaged("larger than any report (64 MiB)");
  const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  if (text.substr(0, kReportBodyStart.size()) != kReportBodyStart) {
    return Damaged("it does not begin as a report does");
  }
  // Strings in the body are escaped, so the last raw newline is the separator's.
  const size_t sep = text.rfind(kReportSeparator);
  if (sep == std::string_view::npos || sep < kReportBodyStart.size() || text[sep - 1] != ',') {
    return Damaged("its signature line is missing");
  }
  SignedReport out;
  out.body = std::string(text.substr(0, sep));
  if (out.body.find('\n') != std::string::npos) return Damaged("a line break inside the report");
  std::string_view rest = text.substr(sep + kReportSeparator.size());
  if (rest.size() < kEnd.size() || rest.substr(rest.size() - kEnd.size()) != kEnd) {
    return Damaged("it does not end as a report does (cut short?)");
  }
  rest.remove_suffix(kEnd.size());
  if (rest == kUnsigned) return out;
  constexpr size_t kSignedLen = kSignerStart.size() + 64 + kSigMiddle.size() + 128 + 2;
  if (rest.size() != kSignedLen || rest.substr(0, kSignerStart.size()) != kSignerStart ||
      rest.substr(kSignerStart.size() + 64, kSigMiddle.size()) != kSigMiddle ||
      rest.substr(kSignedLen - 2) != "\"}") {
    return Damaged("its signature line is malformed");
  }
  PublicKey signer{};
  Signature signature{};
  if (!FromHex(rest.substr(kSignerStart.size(), 64), signer) ||
      !FromHex(rest.substr(kSignerStart.size() + 64 + kSigMiddle.size(), 128), signature)) {
    return Damaged("its signature line is not hex");
  }
  if (!crypto::Verify(signer, crypto::SignTag::kReport, {AsBytes(out.body)}, signature)) {
    return Status::Rejected(
        "the report's signature does not verify: it was changed after it was signed, or was "
        "not signed by the key it names; do not rely on it, and ask its author for the "
        "report again");
  }
  out.signer = signer;
  return out;
}

}  // namespace fieldcase::node

namespace fieldcase::node {

namespace {

std::string IsoTime(int64_t ms) {
  std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What `verify` checks, in the words a report states them: the reader of a filed report
// should not need our source to know what "ok" meant.
constexpr const char* kChecks[] = {
    "every entry's id is BLAKE2b-256(fc-entry-id) of its header and signature",
    "every signature verifies (Ed25519, domain fieldcase/v1/entry) under its author's key",
    "every held payload matches its header's payload hash and length",
    "every author's chain links: seq 1, 2, 3 … each naming the id of the one before",
    "clocks never run backwards along a chain",
    "the heads table names exactly the newest entry of every chain",
    "every key and control payload decodes under the strict rules",
    "every status (accepted, pending, needs upgrade, quarantined) derives again from the "
    "entries: enrolment, roles, revocations and forks",
    "two entries signed for one place in a chain are kept as proof of a fork",
};

void Counts(Json& j, const store::AuthorCounts& c) {
  j.Key("statuses").BeginObject().Field("accepted", c.accepted).Field("pending", c.pending);
  j.Field("needs_upgrade", c.needs_upgrade).Field("quarantined", c.quarantined);
  if (c.other != 0) j.Field("unknown", c.other);
  j.EndObject();
}

void Problems(Json& j, std::string_view key, const std::vector<store::VerifyProblem>& ps) {
  j.Key(key).BeginArray();
  for (const auto& p : ps) {
    j.BeginObject();
    if (p.id != Id{}) j.Field("entry", ToHex(p.id));
    if (p.author != PublicKey{}) j.Field("author", ToHex(p.author));
    if (p.seq != 0) j.Field("seq", int64_t(p.seq));
    j.Field("check", p.what).EndObject();
  }
  j.EndArray();
}

Status Bad(std::string_view field) {
  return Status::Corruption("the report's " + std::string(field) +
                            " is missing or malformed; it was not written by fieldcase verify");
}

}  // namespace

std::string ReportBody(const Audit& a, const ReportMeta& meta) {
  Json j;
  j.BeginObject().Field("program", meta.program).Field("made_at", IsoTime(meta.made_at_ms));
  j.Field("made_at_ms", meta.made_at_ms).Field("data", meta.data_dir);
  j.Key("organisation").BeginObject().Field("name", a.org_name).Field("org_id", ToHex(a.org_id));
  j.Field("fingerprint", a.org_fingerprint).EndObject();
  j.Field("heads_digest", ToHex(a.heads_digest));
  const store::VerifyReport& v = a.verify;
  j.Key("result").BeginObject().FieldBool("ok", v.ok()).Field("entries", v.entries);
  j.Field("payloads", v.payloads).Field("authors", v.authors);
  j.Key("statuses").BeginObject().Field("accepted", v.accepted).Field("pending", v.pending);
  j.Field("needs_upgrade", v.needs_upgrade).Field("quarantined", v.quarantined).EndObject();
  Problems(j, "problems", v.problems);
  Problems(j, "missing_payloads", v.missing);
  j.Key("forks").BeginArray();
  for (const auto& f : v.forks) {
    j.BeginObject().Field("author", ToHex(f.author)).Field("seq", int64_t(f.seq));
    j.Key("proof").BeginArray();
    for (size_t i = 0; i < f.ids.size() && i < f.headers.size(); ++i) {
      j.BeginObject().Field("entry", ToHex(f.ids[i])).Field("signed_header", ToHex(f.headers[i]));
      j.EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndArray().EndObject();
  j.Key("checks").BeginArray();
  for (const char* c : kChecks) j.String(c);
  j.EndArray();
  // Losses against receipts are among the problems; equivocations are listed here.
  j.Key("receipts").BeginObject().Field("checked", a.verify.receipts);
  j.Field("complete", a.verify.receipts_complete).Key("equivocations").BeginArray();
  for (const auto& e : a.verify.equivocations) {
    j.BeginObject().Field("receipt", ToHex(e.id)).Field("hub", ToHex(e.author));
    j.Field("what", e.what).EndObject();
  }
  j.EndArray().Field("note", "a receipt counts once this store held every head it covers; an "
                             "entry it covers that the store then lacks is a problem "
                             "(missing after receipt)");
  j.EndObject();
  j.Key("authors").BeginArray();
  for (const auto& au : a.authors) {
    j.BeginObject().Field("key", ToHex(au.author)).Field("fingerprint", au.fingerprint);
    j.Field("role", au.role).FieldBool("revoked", au.revoked);
    if (!au.person_id.empty()) j.Field("person_id", au.person_id);
    if (!au.name.empty()) j.Field("name", au.name);
    if (!au.badge.empty()) j.Field("badge", au.badge);
    j.Field("first_seq", int64_t(au.counts.first_seq)).Field("last_seq", int64_t(au.counts.last_seq));
    Counts(j, au.counts);
    j.Key("heads").BeginArray();
    for (const auto& h : au.heads) {
      j.BeginObject().Field("seq", int64_t(h.seq)).Field("id", ToHex(h.id));
      j.Field("time", IsoTime(int64_t(record::HlcMillis(h.hlc)))).EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndArray().EndObject();
  std::string body(kReportBodyStart);
  body += j.str();
  body += ',';
  return body;
}

Result<ReportFacts> ReadReport(const SignedReport& report) {
  // The body is the report object's opening, the report, and a ","; closed, it is JSON.
  std::string doc = report.body;
  doc.back() = '}';
  FC_ASSIGN_OR_RETURN(JsonValue root, ParseJson(doc));
  using T = JsonValue::Type;
  const JsonValue* r = root.Get("report", T::kObject);
  if (r == nullptr) return Bad("report object");
  ReportFacts out;
  auto str = [&](const JsonValue& o, std::string_view k, std::string& into) -> Status {
    const JsonValue* v = o.Get(k, T::kString);
    if (v == nullptr) return Bad(k);
    into = v->string;
    return Status::Ok();
  };
  FC_RETURN_IF_ERROR(str(*r, "program", out.program));
  FC_RETURN_IF_ERROR(str(*r, "made_at", out.made_at));
  const JsonValue* org = r->Get("organisation", T::kObject);
  if (org == nullptr) return Bad("organisation");
  FC_RETURN_IF_ERROR(str(*org, "name", out.org_name));
  FC_RETURN_IF_ERROR(str(*org, "fingerprint", out.org_fingerprint));
  std::string org_hex;
  FC_RETURN_IF_ERROR(str(*org, "org_id", org_hex));
  if (!FromHex(org_hex, out.coverage.org_id)) return Bad("org id");
  const JsonValue* result = r->Get("result", T::kObject);
  if (result == nullptr) return Bad("result");
  const JsonValue* ok = result->Get("ok", T::kBool);
  const JsonValue* entries = result->Get("entries", T::kInt);
  const JsonValue* problems = result->Get("problems", T::kArray);
  if (ok == nullptr || entries == nullptr || problems == nullptr) return Bad("result");
  out.ok = ok->boolean;
  out.entries = entries->integer;
  out.problems = int64_t(problems->array.size());
  const JsonValue* authors = r->Get("authors", T::kArray);
  if (authors == nullptr || authors->array.size() > kMaxReportAuthors) return Bad("authors");
  for (const JsonValue& au : authors->array) {
    std::string key_hex, role;
    PublicKey key{};
    FC_RETURN_IF_ERROR(str(au, "key", key_hex));
    FC_RETURN_IF_ERROR(str(au, "role", role));
    if (!FromHex(key_hex, key)) return Bad("author key");
    out.roles.emplace_back(key, role);
    const JsonValue* heads = au.Get("heads", T::kArray);
    if (heads == nullptr || heads->array.size() > kMaxReportHeads) return Bad("heads");
    for (const JsonValue& h : heads->array) {
      const JsonValue* seq = h.Get("seq", T::kInt);
      std::string id_hex;
      FC_RETURN_IF_ERROR(str(h, "id", id_hex));
      store::Head head;
      head.author = key;
      if (seq == nullptr || seq->integer < 1 || !FromHex(id_hex, head.id)) return Bad("head");
      head.seq = uint64_t(seq->integer);
      out.coverage.heads.push_back(head);
    }
  }
  return out;
}

}  // namespace fieldcase::node
