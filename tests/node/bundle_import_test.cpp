// A bundle is imported in bounded pieces, the next read on a thread of its own
// (node/src/piece_reader.h). With pieces far smaller than a bundle's messages, the import
// must store, count and settle exactly what one piece does.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "fieldcase/base/byte_source.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/statuses.h"
#include "node_fixture.h"

using namespace fieldcase;
using test::kNow;
using test::Role;

namespace {

struct Imported {
  node::BundleReport report;
  Id heads{};
  std::vector<std::pair<size_t, size_t>> progress;
};

Imported ImportWith(node::Node& device, ByteView file, const sync::PieceBounds& bounds) {
  Imported out;
  MemorySource source(file);
  auto rep = device.ImportBundle(
      source, kNow, [&](size_t done, size_t total) { out.progress.emplace_back(done, total); },
      bounds);
  REQUIRE(rep.ok());
  out.report = *rep;
  auto heads = device.log().Heads();
  REQUIRE(heads.ok());
  out.heads = sync::HeadsDigest(*heads);
  // The status column agrees with a derivation over every entry held.
  auto derived = sync::DeriveStatuses(device.log());
  REQUIRE(derived.ok());
  for (size_t i = 0; i < derived->ids.size(); ++i) {
    CHECK(derived->stored[i] == derived->validity.status[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("node: a bundle imported in many small pieces stores what one piece stores",
          "[node][bundle]") {
  test::Org o;
  // Devices that joined before the notes: the bundle carries everything they lack.
  auto whole = o.Device("whole", Role::kOfficer);
  auto by_entries = o.Device("by-entries", Role::kOfficer);
  auto by_message = o.Device("by-message", Role::kOfficer);
  auto ann = o.Device("ann", Role::kOfficer);
  // Each joined holding the org log as it was then: the same start for all three.
  for (node::Node* d : {whole.get(), by_entries.get(), by_message.get()}) test::Sync(*o.hq, *d);
  // ~100 KB notes: about ten to a bundle message (sync::kMaxBundleMessage), so the bundle
  // has several messages and a piece of three entries ends inside most of them.
  const std::string text(100 * 1000, 'n');
  auto ann_case = ann->OpenCase(test::SmallCase(), kNow);
  REQUIRE(ann_case.ok());
  for (int i = 0; i < 25; ++i) {
    REQUIRE(ann->Write(*ann_case, record::AddNote{"incident", text + std::to_string(i)}, kNow).ok());
    REQUIRE(o.hq->Write(o.case_id, record::AddNote{"incident", text + std::to_string(i)}, kNow).ok());
  }
  test::Sync(*ann, *o.hq);
  auto bundle = o.hq->ExportBundle({}, kNow);
  REQUIRE(bundle.ok());
  const size_t total = size_t(bundle->manifest.entries);
  REQUIRE(total > 50);

  const Imported one = ImportWith(*whole, bundle->file, {});
  const Imported pieces = ImportWith(*by_entries, bundle->file, {3, sync::kIngestPieceBytes});
  const Imported messages = ImportWith(*by_message, bundle->file, {sync::kIngestPieceEntries, 1});
  CHECK(one.report.imported.added > 50);
  for (const Imported* other : {&pieces, &messages}) {
    CHECK(other->report.imported.added == one.report.imported.added);
    CHECK(other->report.imported.duplicates == one.report.imported.duplicates);
    CHECK(other->report.imported.rejected == 0);
    CHECK(other->report.imported.gaps == 0);
    CHECK(other->report.imported.pending == one.report.imported.pending);
    CHECK(other->report.imported.quarantined == one.report.imported.quarantined);
    CHECK(other->heads == one.heads);
    // Progress only rises and ends at the manifest's count; pieces report more often.
    REQUIRE_FALSE(other->progress.empty());
    for (size_t i = 1; i < other->progress.size(); ++i) {
      CHECK(other->progress[i].first >= other->progress[i - 1].first);
    }
    CHECK(other->progress.back() == std::make_pair(total, total));
    CHECK(other->progress.size() > one.progress.size());
  }
  // The same bundle again: nothing new, in pieces or not.
  MemorySource again(bundle->file);
  auto twice = by_entries->ImportBundle(again, kNow, {}, {3, sync::kIngestPieceBytes});
  REQUIRE(twice.ok());
  CHECK(twice->imported.added == 0);
  CHECK(twice->imported.duplicates == total);
}
