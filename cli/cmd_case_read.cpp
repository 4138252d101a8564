// Commands that read cases: show, list, history.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "fieldcase/record/view_digest.h"
#include "format.h"
#include "fieldcase/base/json.h"

namespace fieldcase::cli {

namespace {

std::string StatusText(const record::CaseView& v) {
  if (!v.opened && !v.undecryptable.empty()) return "unknown (not readable here)";
  auto s = v.EffectiveStatus();
  if (!s) return "conflict (open and closed)";
  return *s == record::CaseStatus::kClosed ? "closed" : "open";
}

template <typename T>
void JsonVersioned(Json& j, const node::Node& n, const record::Versioned<T>& v) {
  j.Field("id", ToHex(v.id)).Field("author", ToHex(v.author));
  j.Field("author_label", AuthorLabel(n, v.author)).Field("time", FormatHlc(v.hlc));
  j.Field("hlc", int64_t(v.hlc));
}

void ShowJson(const node::Node& n, const Id128& id, const record::CaseView& v) {
  Json j;
  j.BeginObject().Field("id", ToHex(id));
  // Equal on every device that holds the same entries and keys (docs/merge.md).
  j.Field("view_digest", ToHex(record::ViewDigest(v)));
  j.Field("template", v.opened ? v.opened->value.template_name : "");
  j.Field("status", StatusText(v));
  j.Key("fields").BeginObject();
  for (const auto& [name, f] : v.fields) {
    j.Key(name).BeginObject().FieldBool("conflict", f.conflict()).Key("values").BeginArray();
    for (const auto& val : f.current) {
      j.BeginObject().Field("value", val.value);
      JsonVersioned(j, n, val);
      j.EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndObject();
  j.Key("tags").BeginArray();
  for (const auto& t : v.tags) j.String(t);
  j.EndArray();
  j.Key("notes").BeginArray();
  for (const auto& note : v.notes) {
    j.BeginObject().Field("kind", note.kind).Field("text", note.text);
    if (note.at_ms != 0) j.Field("happened", FormatMs(int64_t(note.at_ms)));
    j.Field("id", ToHex(note.id)).Field("author", ToHex(note.author));
    j.Field("author_label", AuthorLabel(n, note.author)).Field("time", FormatHlc(note.hlc));
    j.EndObject();
  }
  j.EndArray();
  j.Field("unknown_changes", int64_t(v.unknown_changes.size()));
  j.Field("unreadable_entries", int64_t(v.undecryptable.size()));
  j.EndObject();
  std::puts(j.str().c_str());
}

void ShowText(const node::Node& n, const Id128& id, const record::CaseView& v) {
  std::printf("Case %s", ToHex(id).c_str());
  if (v.opened) {
    std::printf("  (%s, opened %s by %s)", Safe(v.opened->value.template_name).c_str(),
                FormatHlc(v.opened->hlc).c_str(), AuthorLabel(n, v.opened->author).c_str());
  }
  std::printf("\nStatus: %s\n", StatusText(v).c_str());
  if (!v.tags.empty()) {
    std::string tags;
    for (auto& t : v.tags) tags += (tags.empty() ? "" : ", ") + Safe(t);
    std::printf("Tags:   %s\n", tags.c_str());
  }
  std::printf("\nFields:\n");
  if (v.opened) {
    for (const auto& def : v.opened->value.fields) {
      auto it = v.fields.find(def.name);
      if (it == v.fields.end() || it->second.current.empty()) {
        std::printf("  %-14s -\n", Safe(def.name).c_str());
        continue;
      }
      const auto& f = it->second;
      if (!f.conflict()) {
        const auto& val = f.current.front();
        std::printf("  %-14s %s   (%s, %s)\n", Safe(def.name).c_str(), Safe(val.value).c_str(),
                    AuthorLabel(n, val.author).c_str(), FormatHlc(val.hlc).c_str());
        continue;
      }
      std::printf("  %-14s CONFLICT — %zu concurrent values; `case resolve` to settle:\n",
                  Safe(def.name).c_str(), f.current.size());
      for (const auto& val : f.current) {
        std::printf("  %-14s   %s   (%s, %s)\n", "", Safe(val.value).c_str(),
                    AuthorLabel(n, val.author).c_str(), FormatHlc(val.hlc).c_str());
      }
    }
  }
  std::printf("\nTimeline (%zu notes):\n", v.notes.size());
  for (const auto& note : v.notes) {
    // Every line of a note stays under its entry: none can pass for a timeline line.
    const std::string indent(2 + 20 + 2 + 9 + 1, ' ');
    const std::string happened =
        note.at_ms != 0 ? ", happened " + FormatMs(int64_t(note.at_ms)) : std::string();
    std::printf("  %s  %-9s %s\n  %20s  — %s%s\n", FormatHlc(note.hlc).c_str(),
                Safe(note.kind).c_str(), SafeBlock(note.text, indent).c_str(), "",
                AuthorLabel(n, note.author).c_str(), happened.c_str());
  }
  for (const auto& u : v.unknown_changes) {
    std::printf("  %s  unknown change by %s (needs a newer fieldcase)\n", FormatHlc(u.hlc).c_str(),
                AuthorLabel(n, u.author).c_str());
  }
  if (!v.undecryptable.empty()) {
    std::printf("\n%zu entries of this case cannot be read with the keys on this device.\n",
                v.undecryptable.size());
  }
}

bool Matches(const Args& a, const record::CaseView& v) {
  if (auto s = a.Get("status")) {
    if (StatusText(v) != *s) return false;
  }
  for (const auto& ft : a.GetAll("field")) {
    auto eq = ft.find('=');
    std::string field = ft.substr(0, eq), value = eq == std::string::npos ? "" : ft.substr(eq + 1);
    auto it = v.fields.find(field);
    if (it == v.fields.end()) return false;
    bool any = std::any_of(it->second.current.begin(), it->second.current.end(),
                           [&](auto& x) { return x.value == value; });
    if (!any) return false;
  }
  for (const auto& t : a.GetAll("tag")) {
    if (std::find(v.tags.begin(), v.tags.end(), t) == v.tags.end()) return false;
  }
  return true;
}

std::string FieldSummary(const record::CaseView& v, const std::string& name) {
  auto it = v.fields.find(name);
  if (it == v.fields.end() || it->second.current.empty()) return "-";
  if (it->second.conflict()) return "CONFLICT";
  return it->second.current.front().value;
}

}  // namespace

int RunCaseShow(Context& c) {
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto id = (*node)->ResolveCase(c.args().positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto view = (*node)->LoadCase(*id);
  if (!view.ok()) return Fail(view.status());
  if (c.json())
    ShowJson(**node, *id, *view);
  else
    ShowText(**node, *id, *view);
  return kExitOk;
}

int RunCaseList(Context& c) {
  if (auto s = c.args().Get("status"); s && *s != "open" && *s != "closed") {
    return Fail(Status::InvalidArgument("--status takes open or closed"));
  }
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto cases = (*node)->LoadAllCases(2);
  if (!cases.ok()) return Fail(cases.status());
  Json j;
  j.BeginArray();
  size_t shown = 0;
  for (const auto& rec : *cases) {
    const auto& v = rec.view;
    if (!Matches(c.args(), v)) continue;
    ++shown;
    std::string opened = v.opened ? FormatHlc(v.opened->hlc) : "?";
    if (c.json()) {
      j.BeginObject().Field("id", ToHex(rec.case_id)).Field("status", StatusText(v));
      j.Field("template", v.opened ? v.opened->value.template_name : "").Field("opened", opened);
      j.Key("fields").BeginObject();
      for (const auto& [name, f] : v.fields) j.Field(name, FieldSummary(v, name));
      j.EndObject().Key("tags").BeginArray();
      for (auto& t : v.tags) j.String(t);
      j.EndArray().Field("notes", int64_t(v.notes.size())).EndObject();
      continue;
    }
    std::string conflicts;
    for (const auto& [name, f] : v.fields)
      if (f.conflict()) conflicts += (conflicts.empty() ? " conflicts: " : ",") + Safe(name);
    std::printf("%s  %-6s %s  victim: %s  risk: %s  notes: %zu%s\n", ToHex(rec.case_id).c_str(),
                StatusText(v).c_str(), opened.c_str(), Safe(FieldSummary(v, "victim")).c_str(),
                Safe(FieldSummary(v, "risk_level")).c_str(), v.notes.size(), conflicts.c_str());
  }
  j.EndArray();
  if (c.json())
    std::puts(j.str().c_str());
  else if (shown == 0)
    Note("no cases match");
  return kExitOk;
}

int RunCaseHistory(Context& c) {
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto id = (*node)->ResolveCase(c.args().positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto lines = (*node)->CaseHistory(*id);
  if (!lines.ok()) return Fail(lines.status());
  Json j;
  j.BeginArray();
  for (const auto& l : *lines) {
    std::string what = l.kind == uint8_t(store::Kind::kKey) ? "case key entry"
                       : l.op                               ? DescribeOp(*l.op)
                                                            : "(cannot be read on this device)";
    if (c.json()) {
      j.BeginObject().Field("entry", ToHex(l.id)).Field("author", ToHex(l.author));
      j.Field("author_label", AuthorLabel(**node, l.author)).Field("seq", int64_t(l.seq));
      j.Field("time", FormatHlc(l.hlc)).FieldBool("future_dated", l.future_dated);
      j.Field("status", store::ToString(l.status));
      j.Field("what", what).Key("superseded_by").BeginArray();
      for (const auto& s : l.superseded_by) j.String(ToHex(s));
      j.EndArray().EndObject();
      continue;
    }
    std::printf("%s  %s  #%llu %s%s\n    %s\n", FormatHlc(l.hlc).c_str(),
                ShortHex(l.id, 12).c_str(), static_cast<unsigned long long>(l.seq),
                AuthorLabel(**node, l.author).c_str(),
                l.future_dated ? "  [future-dated: its clock was ahead]" : "",
                SafeBlock(what, "    ").c_str());
    if (l.status != store::EntryStatus::kAccepted) {
      std::printf("    [%s: not in the case view]\n", store::ToString(l.status));
    }
    for (const auto& s : l.superseded_by) {
      std::printf("    superseded by %s\n", ShortHex(s, 12).c_str());
    }
  }
  j.EndArray();
  if (c.json()) std::puts(j.str().c_str());
  return kExitOk;
}

}  // namespace fieldcase::cli
