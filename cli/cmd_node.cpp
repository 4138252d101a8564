// Commands about the node rather than a case: verify, status, templates.
#include <algorithm>
#include <cstdio>
#include <map>

#include "commands.h"
#include "fieldcase/node/audit.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/store/keystore.h"
#include "format.h"
#include "fieldcase/base/json.h"
#include "templates.h"

namespace fieldcase::cli {

int RunVerify(Context& c) {
  const auto report_path = c.args().Get("report");
  // Unlocked only when needed: to check this device's own entries, or to sign a report
  // (and name people in it, where this device holds the directory key).
  std::unique_ptr<node::Node> node;
  if (c.args().Has("device") || (report_path && !c.args().Has("unsigned"))) {
    auto n = c.Unlock();
    if (!n.ok()) return Fail(n.status());
    node = std::move(n).value();
  }
  std::optional<node::Audit> audit;
  Result<store::VerifyReport> rep = [&]() -> Result<store::VerifyReport> {
    if (!report_path) return node::VerifyFolder(c.dir());
    FC_ASSIGN_OR_RETURN(node::Audit a, node::AuditFolder(c.dir(), node.get()));
    audit = std::move(a);
    return audit->verify;
  }();
  if (!rep.ok()) return Fail(rep.status());
  if (c.args().Has("device")) {
    auto own = node->CheckOwnEntries();
    if (!own.ok()) return Fail(own.status());
    rep->problems.insert(rep->problems.end(), own->begin(), own->end());
  }
  if (report_path) {
    audit->verify = *rep;
    auto written = WriteVerifyReport(c, *audit, node.get(), *report_path);
    if (!written.ok()) return Fail(written.status());
    Note(*written);
  }
  if (c.json()) {
    Json j;
    j.BeginObject().FieldBool("ok", rep->ok()).Field("entries", rep->entries);
    j.Field("payloads", rep->payloads).Field("authors", rep->authors);
    j.Key("statuses").BeginObject().Field("accepted", rep->accepted).Field("pending", rep->pending);
    j.Field("needs_upgrade", rep->needs_upgrade).Field("quarantined", rep->quarantined).EndObject();
    j.Key("problems").BeginArray();
    for (const auto& p : rep->problems) {
      j.BeginObject().Field("entry", ToHex(p.id)).Field("author", ToHex(p.author));
      j.Field("seq", int64_t(p.seq)).Field("what", p.what).EndObject();
    }
    j.EndArray().Key("missing").BeginArray();
    for (const auto& p : rep->missing) {
      j.BeginObject().Field("entry", ToHex(p.id)).Field("author", ToHex(p.author));
      j.Field("seq", int64_t(p.seq)).Field("what", p.what).EndObject();
    }
    j.EndArray().Key("forks").BeginArray();
    for (const auto& f : rep->forks) {
      j.BeginObject().Field("author", ToHex(f.author)).Field("seq", int64_t(f.seq));
      j.Key("proof").BeginArray();
      for (size_t i = 0; i < f.ids.size(); ++i) {
        j.BeginObject().Field("entry", ToHex(f.ids[i])).Field("signed_header", ToHex(f.headers[i]));
        j.EndObject();
      }
      j.EndArray().EndObject();
    }
    j.EndArray().Field("receipts", rep->receipts).Field("receipts_complete", rep->receipts_complete);
    j.Key("equivocations").BeginArray();
    for (const auto& e : rep->equivocations) {
      j.BeginObject().Field("receipt", ToHex(e.id)).Field("hub", ToHex(e.author));
      j.Field("what", e.what).EndObject();
    }
    j.EndArray().EndObject();
    std::puts(j.str().c_str());
  } else {
    for (const auto& e : rep->equivocations) std::printf("EQUIVOCATION: %s\n", e.what.c_str());
    for (const auto& f : rep->forks) {
      std::printf(
          "FORK by key %s at seq %llu: %zu entries signed for one place in its chain; "
          "its entries from there on are quarantined. Proof (header ‖ signature):\n",
          ShortHex(f.author, 16).c_str(), static_cast<unsigned long long>(f.seq), f.ids.size());
      for (size_t i = 0; i < f.ids.size(); ++i) {
        std::printf("  entry %s\n    %s\n", ToHex(f.ids[i]).c_str(), ToHex(f.headers[i]).c_str());
      }
    }
    for (const auto& p : rep->missing) {
      if (p.id == Id{}) {
        std::printf("NOTE: %s\n", p.what.c_str());
        continue;
      }
      std::printf("MISSING entry %s (author %s seq %llu): %s\n", ToHex(p.id).c_str(),
                  ShortHex(p.author).c_str(), static_cast<unsigned long long>(p.seq),
                  p.what.c_str());
    }
    for (const auto& p : rep->problems) {
      if (p.id == Id{}) {  // about the store or a key, not one entry
        if (p.author == PublicKey{}) {
          std::printf("FAIL: %s\n", p.what.c_str());
        } else {
          std::printf("FAIL key %s: %s\n", ShortHex(p.author, 16).c_str(), p.what.c_str());
        }
        continue;
      }
      std::printf("FAIL entry %s (author %s seq %llu): %s\n", ToHex(p.id).c_str(),
                  ShortHex(p.author).c_str(), static_cast<unsigned long long>(p.seq),
                  p.what.c_str());
    }
    std::printf(
        "%s: %lld entries from %lld keys, %lld payloads; %lld accepted, %lld pending, "
        "%lld need upgrade, %lld quarantined; %zu missing payloads; %zu problems\n",
        rep->ok() ? "verify ok" : "VERIFY FAILED", static_cast<long long>(rep->entries),
        static_cast<long long>(rep->authors), static_cast<long long>(rep->payloads),
        static_cast<long long>(rep->accepted), static_cast<long long>(rep->pending),
        static_cast<long long>(rep->needs_upgrade), static_cast<long long>(rep->quarantined),
        rep->missing.size(), rep->problems.size());
  }
  return rep->ok() ? kExitOk : kExitFailure;
}

int RunStatus(Context& c) {
  const store::DataDir& d = c.dir();
  auto summary = node::Summarize(d);
  if (!summary.ok()) return Fail(summary.status());
  const std::string& org_name = summary->org_name;
  const auto& roles = summary->roles;
  const auto* heads = &summary->heads;
  const auto* count = &summary->entries;
  const auto* forks = &summary->forks;
  auto cost = store::KeystoreCost(d.keystore());
  std::string kdf = !cost.ok() ? "keystore missing or damaged"
                    : *cost == crypto::KdfCost::kModerate
                        ? "Argon2id moderate"
                        : "Argon2id below the moderate cost (WEAK: made with --insecure-fast-kdf)";
  std::string org_id = summary->org_id ? ToHex(*summary->org_id) : "";
  auto role_of = [&](const PublicKey& k) {
    auto it = roles.find(k);
    return it == roles.end() ? "unenrolled" : org::ToString(it->second);
  };
  if (c.json()) {
    Json j;
    j.BeginObject().Field("data", d.root.string()).Field("org", org_name).Field("org_id", org_id);
    j.Field("entries", *count).Field("keystore", kdf).Key("heads").BeginArray();
    for (const auto& h : *heads) {
      j.BeginObject().Field("author", ToHex(h.author)).Field("role", role_of(h.author));
      j.Field("seq", int64_t(h.seq)).Field("id", ToHex(h.id)).Field("time", FormatHlc(h.hlc));
      j.EndObject();
    }
    j.EndArray().Key("forks").BeginArray();
    for (const auto& f : *forks) {
      j.BeginObject().Field("author", ToHex(f.author)).Field("seq", int64_t(f.seq));
      j.Field("branches", f.branches).EndObject();
    }
    j.EndArray().Field("equivocations", summary->equivocations);
    j.Field("receipts", summary->receipts).Field("receipts_complete", summary->receipts_complete);
    if (summary->newest_receipt_ms > 0) j.Field("newest_receipt", FormatMs(summary->newest_receipt_ms));
    j.EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf("Organisation: %s (org id %s)\n", Safe(org_name).c_str(),
              org_id.substr(0, 16).c_str());
  std::printf("Data folder:  %s\n", Safe(d.root.string()).c_str());
  std::printf("Keystore:     %s\n", kdf.c_str());
  std::printf("Entries:      %lld\n", static_cast<long long>(*count));
  if (summary->halted) std::printf("Writing:      STOPPED — %s\n", Safe(*summary->halted).c_str());
  for (const auto& f : *forks) {
    std::printf(
        "FORK:         key %s (%s) signed %lld entries at seq %llu; its entries from there "
        "on are quarantined. `fieldcase verify` prints the proof.\n",
        ShortHex(f.author, 16).c_str(), role_of(f.author), static_cast<long long>(f.branches),
        static_cast<unsigned long long>(f.seq));
  }
  if (summary->receipts > 0) {
    const std::string newest =
        summary->newest_receipt_ms > 0
            ? " (newest " + FormatMs(summary->newest_receipt_ms) + ", the hub's clock)"
            : "";
    std::printf("Receipts:     %lld from hubs, %lld complete%s; `fieldcase verify` checks this "
                "store against them\n",
                static_cast<long long>(summary->receipts),
                static_cast<long long>(summary->receipts_complete), newest.c_str());
  }
  for (const auto& e : summary->equivocations) {
    std::printf("EQUIVOCATION: %s. `fieldcase verify` names the receipts.\n", e.c_str());
  }
  std::printf("Chains (newest entry per key):\n");
  for (const auto& h : *heads) {
    std::printf("  %-10s %s  seq %-6llu %s\n", role_of(h.author), ShortHex(h.author, 16).c_str(),
                static_cast<unsigned long long>(h.seq), FormatHlc(h.hlc).c_str());
  }
  return kExitOk;
}

int RunTemplates(Context& c) {
  Json j;
  j.BeginArray();
  std::vector<std::string> names = BuiltinTemplateNames();
  for (const auto& dir : c.TemplateDirs()) {
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
      if (f.path().extension() != ".json") continue;
      std::string name = f.path().stem().string();  // one that shadows a built-in: once
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (const auto& n : names) {
    auto t = FindTemplate(n, c.TemplateDirs());
    if (!t.ok()) {
      Note(t.status().message());
      continue;
    }
    if (c.json()) {
      j.BeginObject().Field("name", t->name).Field("description", t->description);
      j.Key("fields").BeginArray();
      for (auto& f : t->op.fields) {
        j.BeginObject().Field("name", f.name);
        j.Field("type", t->date_fields.count(f.name) ? "date" : "text");
        j.Key("allowed").BeginArray();
        for (const auto& v : f.allowed_values) j.String(v);
        j.EndArray().EndObject();
      }
      j.EndArray().Key("note_kinds").BeginArray();
      for (const auto& k : t->op.note_kinds) j.String(k);
      j.EndArray().EndObject();
    } else {
      std::printf("%s — %s\n  fields:\n", Safe(t->name).c_str(), Safe(t->description).c_str());
      for (const auto& f : t->op.fields) {
        std::string what = t->date_fields.count(f.name) ? "a date, YYYY-MM-DD" : "free text";
        if (!f.allowed_values.empty()) {
          what = "one of: ";
          for (size_t i = 0; i < f.allowed_values.size(); ++i)
            what += (i ? ", " : "") + Safe(f.allowed_values[i]);
        }
        std::printf("    %-14s %s\n", Safe(f.name).c_str(), what.c_str());
      }
      std::string kinds;
      for (const auto& k : t->op.note_kinds) kinds += (kinds.empty() ? "" : ", ") + Safe(k);
      std::printf("  note kinds: %s\n\n", kinds.c_str());
    }
  }
  j.EndArray();
  if (c.json()) std::puts(j.str().c_str());
  return kExitOk;
}

}  // namespace fieldcase::cli
