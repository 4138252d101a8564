// Commands that write to a case: open, set, note, tag, untag, close, reopen.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "fieldcase/base/text.h"
#include "format.h"
#include "fieldcase/base/json.h"
#include "templates.h"

namespace fieldcase::cli {

namespace {

struct OpenedCase {
  std::unique_ptr<node::Node> node;
  Id128 id{};
  record::CaseView view;
};

Result<OpenedCase> LoadCaseArg(Context& c) {
  OpenedCase oc;
  FC_ASSIGN_OR_RETURN(oc.node, c.Unlock());
  FC_ASSIGN_OR_RETURN(oc.id, oc.node->ResolveCase(c.args().positional()[0]));
  FC_ASSIGN_OR_RETURN(oc.view, oc.node->LoadCase(oc.id));
  return oc;
}

// Checks FIELD and VALUE against the case's own template (carried in its open-case op) and,
// when this device knows the template by name, the field's type (dates).
Status CheckField(const Context& c, const record::CaseView& v, const std::string& field,
                  const std::string& value) {
  if (!v.opened) return Status::NotFound("this case's opening entry is not readable here");
  if (IsBlank(value)) {
    return Status::InvalidArgument("the value for " + field +
                                   " is empty; to clear a field, `fieldcase case clear CASE " +
                                   field + "`");
  }
  const auto& defs = v.opened->value.fields;
  auto it = std::find_if(defs.begin(), defs.end(), [&](auto& d) { return d.name == field; });
  if (it == defs.end()) {
    std::string names;
    for (auto& d : defs) names += (names.empty() ? "" : ", ") + d.name;
    return Status::InvalidArgument("unknown field '" + field + "' for template " +
                                   v.opened->value.template_name + "; fields: " + names);
  }
  if (!it->allowed_values.empty() && std::find(it->allowed_values.begin(), it->allowed_values.end(),
                                               value) == it->allowed_values.end()) {
    std::string allowed;
    for (auto& x : it->allowed_values) allowed += (allowed.empty() ? "" : ", ") + x;
    return Status::InvalidArgument("value '" + value + "' is not allowed for " + field +
                                   "; use one of: " + allowed);
  }
  if (auto t = FindTemplate(v.opened->value.template_name, c.TemplateDirs());
      t.ok() && t->date_fields.count(field)) {
    FC_RETURN_IF_ERROR(CheckDate(value).Prefixed(field));
  }
  return Status::Ok();
}

std::vector<Id> CurrentIds(const record::FieldState& f) {
  std::vector<Id> ids;
  for (const auto& v : f.current) ids.push_back(v.id);
  return ids;
}

int WriteStatus(Context& c, record::CaseStatus status) {
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  record::SetStatus op;
  op.status = status;
  for (const auto& v : oc->view.status.current) op.supersedes.push_back(v.id);
  bool closing = status == record::CaseStatus::kClosed;
  return PrintWritten(c, oc->node->Write(oc->id, op, Context::NowMs()),
                      closing ? "Closed case" : "Reopened case");
}

// A note of standard input is bounded before it is held whole: a 100 MB line is refused
// after 16 MiB, not read first.
constexpr size_t kMaxNoteLineBytes = 16 * 1024 * 1024 - 1024;

// Reads one line (without its newline) of at most `max` bytes. False at the end of input.
Result<bool> ReadLineBounded(std::FILE* in, std::string& line, size_t max) {
  line.clear();
  int ch = 0;
  while ((ch = std::getc(in)) != EOF) {
    if (ch == '\n') return true;
    if (line.size() == max) {
      return Status::InvalidArgument("a line longer than " + std::to_string(max >> 20) +
                                     " MiB; a note is at most 16 MiB");
    }
    line.push_back(char(ch));
  }
  if (std::ferror(in)) return Status::IOError("cannot read standard input");
  return !line.empty();
}

}  // namespace

int RunCaseOpen(Context& c) {
  auto name = c.args().Get("template");
  if (!name)
    return Fail(Status::InvalidArgument("`case open` needs --template NAME (try stalking)"));
  auto tmpl = FindTemplate(*name, c.TemplateDirs());
  if (!tmpl.ok()) return Fail(tmpl.status());
  // Validate every --set before anything is written.
  record::CaseView shape;
  shape.opened = record::OpenRecord{};
  shape.opened->value = tmpl->op;
  std::vector<std::pair<std::string, std::string>> sets;
  for (const auto& s : c.args().GetAll("set")) {
    auto eq = s.find('=');
    if (eq == std::string::npos) return Fail(Status::InvalidArgument("--set needs FIELD=VALUE"));
    sets.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    if (Status st = CheckField(c, shape, sets.back().first, sets.back().second); !st.ok())
      return Fail(st);
  }
  if (c.args().Has("to") && !c.args().Has("restricted")) {
    return Fail(Status::InvalidArgument("--to names the readers of a --restricted case"));
  }
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto persons = c.PersonsFromTo(**node);
  if (!persons.ok()) return Fail(persons.status());
  const std::vector<Id128>& readers = *persons;
  if (c.args().Has("restricted") && readers.empty()) {
    return Fail(
        Status::InvalidArgument("a --restricted case needs at least one --to PERSON besides you"));
  }
  int64_t now = Context::NowMs();
  auto id = (*node)->OpenCase(tmpl->op, now, readers);
  if (!id.ok()) return Fail(id.status());
  if (!sets.empty()) {
    std::vector<std::pair<Id128, record::Op>> ops;
    for (auto& [f, v] : sets) ops.emplace_back(*id, record::SetField{f, v, {}});
    auto written = (*node)->WriteBatch(ops, now);
    if (!written.ok()) return Fail(written.status().Prefixed("case opened, but setting fields"));
  }
  if (c.json()) {
    std::printf("{\"id\":\"%s\"}\n", ToHex(*id).c_str());
  } else {
    std::printf("%s\n", ToHex(*id).c_str());
  }
  return kExitOk;
}

int RunCaseSet(Context& c) {
  const auto& p = c.args().positional();
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  if (Status s = CheckField(c, oc->view, p[1], p[2]); !s.ok()) return Fail(s);
  record::SetField op{p[1], p[2], {}};
  if (auto it = oc->view.fields.find(p[1]); it != oc->view.fields.end()) {
    op.supersedes = CurrentIds(it->second);
  }
  return PrintWritten(c, oc->node->Write(oc->id, op, Context::NowMs()), "Set " + p[1]);
}

int RunCaseClear(Context& c) {
  const auto& p = c.args().positional();
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  auto it = oc->view.fields.find(p[1]);
  const bool set = it != oc->view.fields.end() &&
                   std::any_of(it->second.current.begin(), it->second.current.end(),
                               [](const auto& v) { return !v.value.empty(); });
  if (!set) return Fail(Status::InvalidArgument(p[1] + " has no value to clear"));
  // An empty value supersedes every current one; the values stay in `case history`.
  record::SetField op{p[1], "", CurrentIds(it->second)};
  return PrintWritten(c, oc->node->Write(oc->id, op, Context::NowMs()), "Cleared " + p[1]);
}

int RunCaseResolve(Context& c) {
  const auto& p = c.args().positional();
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  if (Status s = CheckField(c, oc->view, p[1], p[2]); !s.ok()) return Fail(s);
  auto it = oc->view.fields.find(p[1]);
  const size_t current = it == oc->view.fields.end() ? 0 : it->second.current.size();
  if (current < 2) {
    return Fail(Status::InvalidArgument("no conflict on " + p[1] + " to resolve (" +
                                        std::to_string(current) +
                                        " current value); use `fieldcase case set`"));
  }
  record::SetField op{p[1], p[2], CurrentIds(it->second)};
  return PrintWritten(c, oc->node->Write(oc->id, op, Context::NowMs()),
                      "Resolved " + p[1] + " (" + std::to_string(current) +
                          " concurrent values superseded)");
}

int RunCaseNote(Context& c) {
  const auto& p = c.args().positional();
  bool from_stdin = c.args().Has("stdin-lines");
  if (from_stdin == (p.size() == 2)) {
    return Fail(Status::InvalidArgument("give the note TEXT or --stdin-lines, not both"));
  }
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  if (!oc->view.opened)
    return Fail(Status::NotFound("this case's opening entry is not readable here"));
  const auto& kinds = oc->view.opened->value.note_kinds;
  std::string kind = c.args().Get("kind").value_or(kinds.empty() ? "note" : kinds.front());
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string list;
    for (auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    return Fail(Status::InvalidArgument("note kind '" + kind + "' is not one of: " + list));
  }
  uint64_t at_ms = 0;
  if (auto at = c.args().Get("at")) {
    auto parsed = ParseEventTime(*at, Context::NowMs());
    if (!parsed.ok()) return Fail(parsed.status());
    at_ms = *parsed;
  }
  if (!from_stdin) {
    return PrintWritten(
        c, oc->node->Write(oc->id, record::AddNote{kind, p[1], at_ms}, Context::NowMs()),
        "Added " + kind + " note");
  }
  // One commit per line, acknowledged only after it is durable: a reader of stdout knows
  // exactly which lines are safe, even if this process is killed.
  std::string line;
  int64_t count = 0;
  while (true) {
    auto more = ReadLineBounded(stdin, line, kMaxNoteLineBytes);
    if (!more.ok()) {
      return Fail(more.status().Prefixed("line " + std::to_string(count + 1) + " (after " +
                                         std::to_string(count) + " notes written)"));
    }
    if (!*more) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file from Windows
    if (IsBlank(line)) continue;
    auto id = oc->node->Write(oc->id, record::AddNote{kind, line, at_ms}, Context::NowMs());
    if (!id.ok()) return Fail(id.status().Prefixed("after " + std::to_string(count) + " notes"));
    if (c.json()) {
      std::printf("{\"entry\":\"%s\"}\n", ToHex(*id).c_str());  // JSON lines
    } else {
      std::printf("%s\n", ToHex(*id).c_str());
    }
    std::fflush(stdout);
    ++count;
  }
  if (!c.json()) Note("Added " + std::to_string(count) + " notes");
  return kExitOk;
}

int RunCaseTag(Context& c) {
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  const std::string& tag = c.args().positional()[1];
  if (tag.empty() || tag.size() > 64)
    return Fail(Status::InvalidArgument("a tag is 1 to 64 bytes"));
  return PrintWritten(c, oc->node->Write(oc->id, record::Tag{tag}, Context::NowMs()),
                      "Tagged " + tag);
}

int RunCaseUntag(Context& c) {
  auto oc = LoadCaseArg(c);
  if (!oc.ok()) return Fail(oc.status());
  const std::string& tag = c.args().positional()[1];
  auto adds = oc->node->LiveTagAdds(oc->id, tag);
  if (!adds.ok()) return Fail(adds.status());
  if (adds->empty()) return Fail(Status::NotFound("case has no tag '" + tag + "'"));
  return PrintWritten(c, oc->node->Write(oc->id, record::Untag{tag, *adds}, Context::NowMs()),
                      "Removed tag " + tag);
}

int RunCaseClose(Context& c) { return WriteStatus(c, record::CaseStatus::kClosed); }
int RunCaseReopen(Context& c) { return WriteStatus(c, record::CaseStatus::kOpen); }

}  // namespace fieldcase::cli
