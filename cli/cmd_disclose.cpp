// Case disclosures: written by `case disclose`, checked by `disclosure check` with no
// store and no key.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "disclosure_view.h"
#include "fieldcase/base/json.h"
#include "fieldcase/node/disclosure.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/store/keystore.h"
#include "format.h"

namespace fieldcase::cli {

namespace {

std::filesystem::path PagePath(const std::filesystem::path& file) {
  std::filesystem::path page = file;
  page += ".html";
  return page;
}

Result<node::DisclosureFindings> Check(const node::DisclosureFile& d) {
  std::error_code ec;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  return node::CheckDisclosure(d, tmp, Context::NowMs());
}

void PrintText(const node::DisclosureFindings& f) {
  std::printf("Disclosure:   case %s of %s (org id %s, fingerprint %s)\n",
              ToHex(f.case_id).c_str(), Safe(f.org_name).c_str(), ToHex(f.org_id).substr(0, 16).c_str(),
              org::OrgFingerprint(f.org_id).c_str());
  if (f.ok()) {
    std::printf("Verified:     %zu entries: every signature, chain link and payload hash; the "
                "founding entry, enrolments and roles; %zu of the case's %zu data entries "
                "disclosed, each opened by the key its author committed to\n",
                f.entries, f.disclosed, f.case_entries);
  } else {
    std::printf("DOES NOT CHECK: it proves nothing until these are explained:\n");
    for (const auto& p : f.problems) std::printf("  - %s\n", Safe(p).c_str());
  }
  std::printf("Authors:\n");
  for (const auto& a : f.authors) {
    std::printf("  %s%s: key %s, chain complete from seq 1 to %llu, %zu disclosed\n",
                DisclosedAuthorLabel(f, a.key).c_str(), a.revoked ? " (REVOKED)" : "",
                ShortHex(a.key, 16).c_str(), static_cast<unsigned long long>(a.last_seq),
                a.disclosed);
  }
  if (!f.receipts.empty()) std::printf("Receipts:\n");
  for (const auto& r : f.receipts) std::printf("  %s\n", ReceiptLine(f, r).c_str());
  std::printf("Timeline (written = the author's clock as signed):\n");
  for (const auto& l : f.lines) {
    std::printf("  %s  #%llu %s  %s\n    %s\n", FormatHlc(l.hlc).c_str(),
                static_cast<unsigned long long>(l.seq), DisclosedAuthorLabel(f, l.author).c_str(),
                ShortHex(l.id, 12).c_str(), SafeBlock(DisclosedWhat(l), "    ").c_str());
    if (l.status != store::EntryStatus::kAccepted) {
      std::printf("    [%s: not part of the case as it stands]\n", store::ToString(l.status));
    }
    for (const auto& s : l.superseded_by) std::printf("    superseded by %s\n", ShortHex(s, 12).c_str());
  }
  std::printf("Not proven:\n");
  for (const auto& n : NotProven(f)) std::printf("  - %s\n", n.c_str());
}

void PrintJson(const node::DisclosureFindings& f) {
  Json j;
  j.BeginObject().FieldBool("ok", f.ok()).Field("problems", f.problems);
  j.Field("org_name", f.org_name).Field("org_id", ToHex(f.org_id)).Field("org_fingerprint", org::OrgFingerprint(f.org_id));
  j.Field("case_id", ToHex(f.case_id)).Field("entries", int64_t(f.entries));
  j.Field("case_entries", int64_t(f.case_entries)).Field("disclosed", int64_t(f.disclosed));
  j.Key("authors").BeginArray();
  for (const auto& a : f.authors) {
    j.BeginObject().Field("key", ToHex(a.key)).Field("fingerprint", org::Fingerprint(f.org_id, a.key));
    j.Field("role", a.role ? org::ToString(*a.role) : "unenrolled");
    j.Field("person_id", ToHex(a.person_id)).FieldBool("revoked", a.revoked);
    j.Field("last_seq", int64_t(a.last_seq)).Field("disclosed", int64_t(a.disclosed)).EndObject();
  }
  j.EndArray().Key("receipts").BeginArray();
  for (const auto& r : f.receipts) {
    j.BeginObject().Field("receipt", ToHex(r.receipt)).Field("hub", ToHex(r.hub));
    j.Field("hub_time_ms", int64_t(r.hub_time_ms)).Field("author", ToHex(r.author));
    j.Field("seq", int64_t(r.seq)).Field("head", ToHex(r.head)).EndObject();
  }
  j.EndArray().Key("timeline").BeginArray();
  for (const auto& l : f.lines) {
    j.BeginObject().Field("entry", ToHex(l.id)).Field("author", ToHex(l.author));
    j.Field("seq", int64_t(l.seq)).Field("time", FormatHlc(l.hlc));
    j.Field("status", store::ToString(l.status)).FieldBool("disclosed", l.op.has_value());
    j.Field("what", DisclosedWhat(l)).Key("superseded_by").BeginArray();
    for (const auto& s : l.superseded_by) j.String(ToHex(s));
    j.EndArray().EndObject();
  }
  j.EndArray().Field("not_proven", NotProven(f)).EndObject();
  std::puts(j.str().c_str());
}

}  // namespace

int RunCaseDisclose(Context& c) {
  const auto to = c.args().Get("to");
  if (!to) {
    return Fail(Status::InvalidArgument("case disclose needs --to FILE, the disclosure to write"));
  }
  const std::filesystem::path out(*to);
  const std::filesystem::path page = PagePath(out);
  for (const auto& p : {out, page}) {
    if (std::filesystem::exists(p)) {
      return Fail(Status::InvalidArgument(p.string() + " already exists; choose another --to"));
    }
  }
  std::vector<std::string> chosen;
  if (auto list = c.args().Get("entries")) {
    std::string item;
    for (char ch : *list + ",") {
      if (ch != ',') {
        item += ch;
      } else if (!item.empty()) {
        chosen.push_back(item);
        item.clear();
      }
    }
    if (chosen.empty()) return Fail(Status::InvalidArgument("--entries takes entry ids, e.g. --entries 3f2a9c1b,77d0e41a"));
  }
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto id = (*node)->ResolveCase(c.args().positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto d = (*node)->Disclose(*id, chosen);
  if (!d.ok()) return Fail(d.status());
  // What is written is what a court will check: check it here first.
  auto f = Check(*d);
  if (!f.ok()) return Fail(f.status());
  if (!f->ok()) {
    return Fail(Status::Corruption("the disclosure would not check (" + f->problems.front() +
                                   "); run `fieldcase verify` on this store"));
  }
  if (auto s = store::WriteFileAtomic(out, node::WriteDisclosure(*d)); !s.ok()) return Fail(s);
  if (auto s = store::WriteFileAtomic(page, AsBytes(DisclosureHtml(*f, out.filename().string())));
      !s.ok()) {
    return Fail(s);
  }
  if (c.json()) {
    Json j;
    j.BeginObject().Field("file", out.string()).Field("page", page.string());
    j.Field("case_id", ToHex(*id)).Field("disclosed", int64_t(f->disclosed));
    j.Field("case_entries", int64_t(f->case_entries)).Field("entries", int64_t(f->entries)).EndObject();
    std::puts(j.str().c_str());
  } else {
    std::printf("disclosure written: %s (%zu of %zu entries of the case, %zu entries in all) and "
                "%s; check it anywhere with `fieldcase disclosure check %s`\n",
                out.string().c_str(), f->disclosed, f->case_entries, f->entries,
                page.string().c_str(), out.string().c_str());
  }
  return kExitOk;
}

int RunDisclosureCheck(Context& c) {
  const std::string path = c.args().positional().at(0);
  auto file = store::ReadFileBounded(path, node::kMaxDisclosureBytes, node::kDisclosureMagic,
                                     "disclosure");
  if (!file.ok()) return Fail(file.status());
  auto d = node::ReadDisclosure(*file);
  if (!d.ok()) {
    return Fail(Status::Corruption(path + " is damaged or cut short (" + d.status().message() +
                                   "); ask for the disclosure again"));
  }
  auto f = Check(*d);
  if (!f.ok()) return Fail(f.status());
  if (auto html = c.args().Get("html")) {
    const std::string name = std::filesystem::path(path).filename().string();
    if (auto s = store::WriteFileAtomic(*html, AsBytes(DisclosureHtml(*f, name))); !s.ok()) {
      return Fail(s);
    }
  }
  if (c.json())
    PrintJson(*f);
  else
    PrintText(*f);
  return f->ok() ? kExitOk : kExitFailure;
}

}  // namespace fieldcase::cli
