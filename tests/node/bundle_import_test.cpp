// A bundle is imported in bounded pieces, the next read on a thread of its own
// (node/src/piece_reader.h). With pieces far smaller than a bundle's messages, the import
// must store, count and settle exactly what one piece does.
#include <catch2/catch.hpp>

#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "fieldcase/base/byte_sink.h"
#include "fieldcase/base/byte_source.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/statuses.h"
#include "node_fixture.h"
#include "test_util.h"

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

TEST_CASE("node: an export is written a message at a time, its progress rising to its count",
          "[node][bundle]") {
  test::Org o;
  auto device = o.Device("device", Role::kOfficer);
  test::Sync(*o.hq, *device);
  const std::string text(100 * 1000, 'x');  // ~10 notes to a bundle message
  for (int i = 0; i < 30; ++i) {
    REQUIRE(o.hq->Write(o.case_id, record::AddNote{"incident", text + std::to_string(i)}, kNow).ok());
  }
  MemorySink sink;
  std::vector<std::pair<size_t, size_t>> progress;
  auto manifest = o.hq->ExportBundle({}, sink, kNow, [&](size_t done, size_t total) {
    progress.emplace_back(done, total);
  });
  REQUIRE(manifest.ok());
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() == std::make_pair(size_t(manifest->entries), size_t(manifest->entries)));
  const Imported got = ImportWith(*device, sink.bytes(), {});
  CHECK(got.report.imported.added >= 30);
  CHECK(got.report.manifest.content_hash == manifest->content_hash);

  // The disk fills part way: the export says so and stops (the CLI then removes the file).
  test::FullSink full(sink.bytes().size() / 2);
  auto cut = o.hq->ExportBundle({}, full, kNow);
  REQUIRE_FALSE(cut.ok());
  CHECK_THAT(cut.status().message(), Catch::Contains("no space left"));
  CHECK(full.written < sink.bytes().size());
}

namespace {
// A source that throws at its n-th read, as an allocation that fails does (an edge fake).
class ThrowingSource final : public ByteSource {
 public:
  ThrowingSource(ByteView bytes, size_t throw_at) : inner_(bytes), throw_at_(throw_at) {}
  uint64_t size() const override { return inner_.size(); }
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    if (++reads == throw_at_) throw std::bad_alloc();
    return inner_.ReadAt(offset, out);
  }
  size_t reads = 0;

 private:
  MemorySource inner_;
  size_t throw_at_;
};
}  // namespace

TEST_CASE("node: running out of memory on the bundle's reading thread ends the import and not the "
          "process",
          "[node][bundle]") {
  test::Org o;
  auto device = o.Device("device", Role::kOfficer);
  auto probe = o.Device("probe", Role::kOfficer);
  test::Sync(*o.hq, *device);
  test::Sync(*o.hq, *probe);
  const std::string text(100 * 1000, 'y');
  for (int i = 0; i < 30; ++i) {
    REQUIRE(o.hq->Write(o.case_id, record::AddNote{"incident", text + std::to_string(i)}, kNow).ok());
  }
  auto bundle = o.hq->ExportBundle({}, kNow);
  REQUIRE(bundle.ok());
  // How many reads a whole import takes; the last ones are the second pass, on the thread.
  ThrowingSource counting(bundle->file, SIZE_MAX);
  REQUIRE(probe->ImportBundle(counting, kNow).ok());
  REQUIRE(counting.reads > 4);

  ThrowingSource failing(bundle->file, counting.reads);
  auto rep = device->ImportBundle(failing, kNow);
  REQUIRE_FALSE(rep.ok());
  CHECK_THAT(rep.status().message(), Catch::Contains("out of memory"));
  // What was stored stands and the store is whole: the same bundle then imports cleanly.
  MemorySource again(bundle->file);
  auto second = device->ImportBundle(again, kNow);
  REQUIRE(second.ok());
  CHECK(second->imported.rejected == 0);
  auto v = node::VerifyFolder({o.tmp.path() / "device"});
  REQUIRE(v.ok());
  CHECK(v->ok());
}
