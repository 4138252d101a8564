// Node: bundles — what another device lacks, carried by file (sync/bundle.h).
#include <algorithm>
#include <functional>
#include <set>

#include "fieldcase/node/node.h"
#include "fieldcase/sync/bundle_writer.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/reconcile.h"
#include "parts.h"
#include "piece_reader.h"

namespace fieldcase::node {

using org::Role;

Result<Bytes> Node::HeadsFile() {
  FC_ASSIGN_OR_RETURN(auto heads, p_->log->Heads());
  std::vector<store::RawEntry> org_log;
  for (const PublicKey& author : p_->members.OrgAuthors()) {
    sync::ChainCursor chain{author, 0};
    while (!chain.done) {
      FC_RETURN_IF_ERROR(sync::ReadChain(*p_->log, chain, sync::kIngestBatch,
                                         sync::kMaxBundleMessage, org_log));
    }
  }
  return sync::EncodeHeadsFile(p_->org_id, std::move(heads), org_log);
}

Result<sync::BundleManifest> Node::ExportBundle(const ExportOptions& options, ByteSink& sink,
                                                int64_t now_ms,
                                                const sync::IngestProgress& progress) {
  Parts& p = *p_;
  if (!is_member()) return Status::NotPermitted("this device has not joined an organisation yet");
  // The recipient's org log first: devices enrolled since this one last heard.
  if (!options.org_log.empty()) FC_RETURN_IF_ERROR(Import(options.org_log, now_ms).status());
  // Who may open it: named members' devices, or every current member device.
  std::set<PublicKey> to;
  if (options.for_devices.empty()) {
    for (const auto& [key, m] : p.members.members()) {
      if (m.role == Role::kRoot || p.members.IsRevoked(key)) continue;
      if (crypto::IsUsableBoxKey(m.box_key)) to.insert(m.box_key);
    }
  } else {
    for (const PublicKey& k : options.for_devices) {
      const org::Member* m = p.members.Find(k);
      if (m == nullptr || !crypto::IsUsableBoxKey(m->box_key)) {
        return Status::NotFound("no member device " + ToHex(k).substr(0, 16) +
                                " to export to; see `fieldcase org members`");
      }
      to.insert(m->box_key);
    }
  }
  if (p.device) to.insert(p.device->public_key());
  // Signed by the writing key (or, on a node without one, its admin key).
  const crypto::SigningKey* signer = nullptr;
  if (p.signer.has_writer())
    signer = &p.signer.writer();
  else if (p.signer.Has(Role::kAdmin))
    signer = &p.signer.Key(Role::kAdmin);
  if (signer == nullptr) {
    return Status::NotPermitted(
        "this device holds no key that may sign a bundle (hub and auditor "
        "devices pass bundles on with `fieldcase export` once they sync)");
  }
  // What they lack (sync/reconcile.h: a bundle cannot ask where a fork parted, so a forked
  // author travels whole), the org log first, then author by author, parent first.
  FC_ASSIGN_OR_RETURN(auto heads, p.log->Heads());
  FC_ASSIGN_OR_RETURN(auto plans, sync::PlanSend(*p.log, heads, options.since.value_or(
                                                                     std::vector<store::Head>{})));
  const std::vector<PublicKey> org_authors = p.members.OrgAuthors();
  const std::set<PublicKey> org_set(org_authors.begin(), org_authors.end());
  std::stable_partition(plans.begin(), plans.end(),
                        [&](const sync::SendPlan& x) { return org_set.count(x.author) > 0; });
  // The same entries in the same order on both passes, a bounded batch at a time (this
  // process holds the data folder: nothing is stored between the passes).
  auto each_entry = [&](const std::function<Status(store::RawEntry)>& fn) -> Status {
    std::vector<store::RawEntry> batch;
    for (const auto& plan : plans) {
      sync::ChainCursor chain{plan.author, plan.probe_from ? 0 : plan.after_seq};
      while (!chain.done) {
        batch.clear();
        FC_RETURN_IF_ERROR(sync::ReadChain(*p.log, chain, sync::kIngestBatch,
                                           sync::kMaxBundleMessage, batch));
        for (auto& e : batch) FC_RETURN_IF_ERROR(fn(std::move(e)));
      }
    }
    return p.log->ForEachOpaque([&](store::RawEntry& r) { return fn(std::move(r)); });
  };
  sync::BundleTally tally;
  FC_RETURN_IF_ERROR(each_entry([&](store::RawEntry e) { return tally.Add(std::move(e)); }));
  FC_ASSIGN_OR_RETURN(sync::BundleTally::Totals totals, tally.Finish());
  FC_ASSIGN_OR_RETURN(auto writer,
                      sync::BundleWriter::Start(sink, p.org_id, *signer, {to.begin(), to.end()},
                                                totals, sync::HeadsDigest(std::move(heads)),
                                                now_ms));
  const size_t total = size_t(totals.entries);
  FC_RETURN_IF_ERROR(each_entry([&](store::RawEntry e) {
    FC_RETURN_IF_ERROR(writer->Add(std::move(e)));
    const size_t done = size_t(writer->added());
    if (progress && (done % 1000 == 0 || done == total)) progress(done, total);
    return Status::Ok();
  }));
  return writer->Finish();
}

Result<sync::SealedBundle> Node::ExportBundle(const ExportOptions& options, int64_t now_ms) {
  MemorySink sink;
  sync::SealedBundle out;
  FC_ASSIGN_OR_RETURN(out.manifest, ExportBundle(options, sink, now_ms));
  out.file = sink.Take();
  return out;
}

namespace {
Status NotJoined() {
  return Status::NotPermitted(
      "this device has not joined an organisation yet; `fieldcase join` first");
}
}  // namespace

Result<sync::OpenedBundle> Node::OpenBundle(ByteView file) {
  Parts& p = *p_;
  if (!is_member() || !p.device) return NotJoined();
  return sync::OpenBundle(file, p.org_id, *p.device);
}

Result<std::unique_ptr<sync::BundleReader>> Node::CheckBundle(ByteSource& file) {
  Parts& p = *p_;
  if (!is_member() || !p.device) return NotJoined();
  FC_ASSIGN_OR_RETURN(auto reader, sync::BundleReader::Open(file, p.org_id, *p.device));
  FC_RETURN_IF_ERROR(reader->CheckWhole());
  return reader;
}

Result<BundleReport> Node::ImportBundle(ByteSource& file, int64_t now_ms,
                                        const sync::IngestProgress& progress,
                                        const sync::PieceBounds& bounds) {
  Parts& p = *p_;
  FC_ASSIGN_OR_RETURN(auto reader, CheckBundle(file));
  BundleReport out;
  out.manifest = reader->manifest();
  const size_t total = size_t(out.manifest.entries);
  // A bounded piece at a time (sync/ingest.h), the next read while this one is stored.
  sync::Ingester in(*p.log, p.signer.clock(), p.signer.OwnKeys(), now_ms);
  FC_RETURN_IF_ERROR(in.Begin());
  PieceReader pieces(*reader, bounds);
  while (true) {
    FC_ASSIGN_OR_RETURN(auto piece, pieces.Take());
    if (!piece) break;
    FC_RETURN_IF_ERROR(in.Add(std::move(*piece), progress, total));
  }
  FC_ASSIGN_OR_RETURN(out.imported, in.Finish());
  FC_RETURN_IF_ERROR(Imported(out.imported.added, now_ms));
  return out;
}

Result<BundleReport> Node::ImportBundle(ByteView file, int64_t now_ms,
                                        const sync::IngestProgress& progress) {
  MemorySource source(file);
  return ImportBundle(source, now_ms, progress);
}

}  // namespace fieldcase::node
