// Commands that carry entries between devices by file: heads, export, import, bundle inspect.
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "fieldcase/store/file_source.h"
#include "fieldcase/store/keystore.h"
#include "fieldcase/store/new_file.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/heads.h"
#include "format.h"
#include "fieldcase/base/json.h"

namespace fieldcase::cli {

namespace {

Status WriteNew(const std::string& path, ByteView bytes) {
  FC_ASSIGN_OR_RETURN(auto file, store::NewFile::Create(path));
  FC_RETURN_IF_ERROR(file->Write(bytes));
  return file->Commit();
}

void PrintImport(const Context& c, const sync::ImportReport& r, const std::string& from) {
  if (c.json()) {
    Json j;
    j.BeginObject().Field("from", from).Field("new", int64_t(r.added));
    j.Field("already_had", int64_t(r.duplicates)).Field("rejected", int64_t(r.rejected));
    j.Field("gaps", int64_t(r.gaps)).Field("pending", int64_t(r.pending));
    j.Field("quarantined", int64_t(r.quarantined));
    j.Field("needs_upgrade", int64_t(r.needs_upgrade)).Key("reasons").BeginArray();
    for (const auto& reason : r.reasons) j.String(reason);
    j.EndArray().EndObject();
    std::puts(j.str().c_str());
    return;
  }
  std::printf(
      "Imported %s: %zu new, %zu already held, %zu rejected, %zu waiting for earlier "
      "entries.\n",
      Safe(from).c_str(), r.added, r.duplicates, r.rejected, r.gaps);
  if (r.pending + r.quarantined + r.needs_upgrade > 0) {
    std::printf(
        "  of the new: %zu pending (an enrolment or key they need is not here yet), %zu "
        "quarantined (past a revocation or a fork; `fieldcase status`), %zu need a newer "
        "fieldcase.\n",
        r.pending, r.quarantined, r.needs_upgrade);
  }
  for (const auto& reason : r.reasons) std::printf("  rejected %s\n", Safe(reason).c_str());
}

}  // namespace

int RunHeads(Context& c) {
  auto out = c.args().Get("out");
  if (!out) return Fail(Status::InvalidArgument("`heads` needs --out FILE"));
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto bytes = (*node)->HeadsFile();
  if (!bytes.ok()) return Fail(bytes.status());
  if (Status s = WriteNew(*out, *bytes); !s.ok()) return Fail(s);
  if (c.json())
    std::printf("{\"heads\":\"%s\"}\n", JsonEscape(*out).c_str());
  else
    std::printf("Heads written to %s; carry it to the device that will export for this one.\n",
                Safe(*out).c_str());
  return kExitOk;
}

int RunExport(Context& c) {
  auto to = c.args().Get("to");
  if (!to) return Fail(Status::InvalidArgument("`export` needs --to FILE"));
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  node::ExportOptions options;
  for (const auto& who : c.args().GetAll("for")) {
    auto k = (*node)->ResolveMember(who);
    if (!k.ok()) return Fail(k.status());
    options.for_devices.push_back(*k);
  }
  if (auto since = c.args().Get("since")) {
    auto bytes = store::ReadFileBounded(
        *since, 45 + 72 * size_t(sync::kMaxHeads) + size_t(sync::kMaxHeadsFileOrgLog));
    if (!bytes.ok()) return Fail(bytes.status());
    auto heads = sync::DecodeHeadsFile(*bytes);
    if (!heads.ok()) return Fail(heads.status());
    if (heads->org_id != (*node)->org_id()) {
      return Fail(Status::NotPermitted("the heads file is from another organisation"));
    }
    options.since = heads->heads;
    options.org_log = std::move(heads->org_log);
  }
  // Written a message at a time into TO.tmp, named TO only once whole and synced.
  auto file = store::NewFile::Create(*to);
  if (!file.ok()) return Fail(file.status());
  const bool tty = isatty(fileno(stderr)) && !c.json();
  auto progress = [&](size_t done, size_t total) {
    if (tty) std::fprintf(stderr, "\rexporting to %s: %zu of %zu entries   ", Safe(*to).c_str(),
                          done, total);
  };
  auto manifest = (*node)->ExportBundle(options, **file, Context::NowMs(), progress);
  if (tty) std::fputs("\r\033[K", stderr);
  if (!manifest.ok()) return Fail(manifest.status());
  const uint64_t bytes = (*file)->written();
  if (Status s = (*file)->Commit(); !s.ok()) return Fail(s);
  if (c.json()) {
    Json j;
    j.BeginObject().Field("bundle", *to).Field("entries", int64_t(manifest->entries));
    j.Field("bytes", int64_t(bytes)).EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf("Exported %llu entries to %s (%llu bytes).\n",
              static_cast<unsigned long long>(manifest->entries), Safe(*to).c_str(),
              static_cast<unsigned long long>(bytes));
  return kExitOk;
}

int RunImport(Context& c) {
  const std::string path = c.args().positional()[0];
  // Read a message at a time (sync::BundleReader), never whole.
  auto file = store::FileSource::Open(path, sync::kMaxBundleBytes, sync::kBundleFileMagic, "bundle");
  if (!file.ok()) return Fail(file.status());
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  // Progress on a terminal (stderr), nothing otherwise.
  const bool tty = isatty(fileno(stderr)) && !c.json();
  auto progress = [&](size_t done, size_t total) {
    if (tty) std::fprintf(stderr, "\rimporting %s: %zu of %zu entries   ", Safe(path).c_str(), done,
                          total);
  };
  auto rep = (*node)->ImportBundle(**file, Context::NowMs(), progress);
  if (tty) std::fputs("\r\033[K", stderr);
  if (!rep.ok()) return Fail(rep.status());
  PrintImport(c, rep->imported, path);
  return rep->imported.rejected == 0 ? kExitOk : kExitFailure;
}

int RunBundleInspect(Context& c) {
  const std::string path = c.args().positional()[0];
  auto file = store::FileSource::Open(path, sync::kMaxBundleBytes, sync::kBundleFileMagic, "bundle");
  if (!file.ok()) return Fail(file.status());
  auto env = sync::ReadBundleEnvelope(**file);
  if (!env.ok()) return Fail(env.status());
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  if (env->org_id != (*node)->org_id()) {
    return Fail(Status::NotPermitted("this bundle belongs to another organisation"));
  }
  // The manifest is inside the encryption: only a recipient reads it.
  auto opened = (*node)->CheckBundle(**file);
  if (!opened.ok()) return Fail(opened.status());
  const auto& m = (*opened)->manifest();
  if (c.json()) {
    Json j;
    j.BeginObject().Field("exporter", ToHex(m.exporter)).Field("created", FormatMs(m.created_ms));
    j.Field("entries", int64_t(m.entries)).Field("heads_digest", ToHex(m.heads_digest));
    j.Key("recipients").BeginArray();
    for (const auto& r : (*opened)->recipients()) j.String(ToHex(r));
    j.EndArray().EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf(
      "Bundle %s\n  from:       %s\n  made:       %s\n  entries:    %llu (signed "
      "manifest, content checked)\n  recipients: %zu devices\n",
      Safe(path).c_str(), AuthorLabel(**node, m.exporter).c_str(), FormatMs(m.created_ms).c_str(),
      static_cast<unsigned long long>(m.entries), (*opened)->recipients().size());
  return kExitOk;
}

}  // namespace fieldcase::cli
