#include <catch2/catch.hpp>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/secretstream.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/bundle_writer.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/transit.h"
#include "org/org_builder.h"
#include "test_util.h"

using namespace fieldcase;

namespace {

std::vector<store::RawEntry> Raw(const std::vector<store::Entry>& entries) {
  std::vector<store::RawEntry> out;
  for (const auto& e : entries) {
    out.push_back({Bytes(e.header_bytes.begin(), e.header_bytes.end()), e.signature, e.payload});
  }
  return out;
}

struct Fixture {
  test::OrgBuilder o;
  crypto::SigningKey exporter = crypto::SigningKey::Generate();
  crypto::BoxKeyPair reader = crypto::BoxKeyPair::Generate();
  crypto::BoxKeyPair stranger = crypto::BoxKeyPair::Generate();
  std::vector<store::RawEntry> entries;
  Fixture() {
    o.Found();
    o.Enrol("root", "admin", org::Role::kAdmin);
    o.Enrol("admin", "officer", org::Role::kOfficer);
    auto ck = o.OpenCaseKey("officer");
    for (int i = 0; i < 50; ++i) o.Data("officer", ck);
    entries = Raw(o.log);
  }
  sync::SealedBundle Seal() {
    auto b = sync::SealBundle(o.org, exporter, {reader.public_key()}, entries, Id{}, 1234);
    REQUIRE(b.ok());
    return std::move(b).value();
  }
};

}  // namespace

TEST_CASE("sync: a bundle opens whole for its recipient, with its signed manifest", "[sync]") {
  Fixture f;
  auto b = f.Seal();
  auto opened = sync::OpenBundle(b.file, f.o.org, f.reader);
  REQUIRE(opened.ok());
  CHECK(opened->manifest.exporter == f.exporter.public_key());
  CHECK(opened->manifest.entries == f.entries.size());
  CHECK(opened->manifest.created_ms == 1234);
  REQUIRE(opened->entries.size() == f.entries.size());
  for (size_t i = 0; i < f.entries.size(); ++i) {
    CHECK(opened->entries[i].header == f.entries[i].header);
    CHECK(opened->entries[i].payload == f.entries[i].payload);
  }
}

TEST_CASE("sync: a bundle refuses other devices, other orgs and any change of its bytes",
          "[sync]") {
  Fixture f;
  auto b = f.Seal();
  CHECK_THAT(sync::OpenBundle(b.file, f.o.org, f.stranger).status().message(),
             Catch::Contains("not encrypted to this device"));
  Id other = f.o.org;
  other[0] ^= 1;
  CHECK_THAT(sync::OpenBundle(b.file, other, f.reader).status().message(),
             Catch::Contains("another organisation"));
  // Every byte after the org id, flipped one at a time (strided to keep the test quick).
  for (size_t at = 37; at < b.file.size(); at += 7) {
    Bytes bad = b.file;
    bad[at] ^= 0x04;
    INFO("byte " << at);
    CHECK_FALSE(sync::OpenBundle(bad, f.o.org, f.reader).ok());
  }
  // Cut at every message boundary region and anywhere else.
  for (size_t len : {size_t(0), size_t(4), size_t(38), b.file.size() / 2, b.file.size() - 1}) {
    CHECK_FALSE(sync::OpenBundle(ByteView(b.file).first(len), f.o.org, f.reader).ok());
  }
  Bytes longer = b.file;
  longer.push_back(0);
  CHECK_FALSE(sync::OpenBundle(longer, f.o.org, f.reader).ok());
}

TEST_CASE("sync: a bundle that lists a recipient twice is refused", "[sync]") {
  // Sealed to the stranger, then the reader; the stranger's key is then overwritten with
  // the reader's: the reader is listed twice, first with a key it cannot open.
  Fixture f;
  auto b = sync::SealBundle(f.o.org, f.exporter, {f.stranger.public_key(), f.reader.public_key()},
                            f.entries, Id{}, 1234);
  REQUIRE(b.ok());
  REQUIRE(sync::OpenBundle(b->file, f.o.org, f.reader).ok());
  constexpr size_t kFirstRecipient = 5 + 32 + 2;  // magic and version, org id, count
  REQUIRE(std::equal(f.stranger.public_key().begin(), f.stranger.public_key().end(),
                     b->file.begin() + kFirstRecipient));
  Bytes twice = b->file;
  std::copy(f.reader.public_key().begin(), f.reader.public_key().end(),
            twice.begin() + kFirstRecipient);
  for (const crypto::BoxKeyPair* who : {&f.reader, &f.stranger}) {
    auto opened = sync::OpenBundle(twice, f.o.org, *who);
    CHECK_THAT(opened.status().message(), Catch::Contains("listed twice"));
  }
  CHECK_THAT(sync::ReadBundleEnvelope(twice).status().message(), Catch::Contains("listed twice"));
}

TEST_CASE("sync: heads files round-trip", "[sync]") {
  Fixture f;
  std::vector<store::Head> theirs;
  // They hold the org log and the officer's first 11 entries.
  std::map<PublicKey, store::Head> tip;
  for (const auto& e : f.o.log) {
    if (e.header.author == f.o.Pk("officer") && e.header.seq > 11) continue;
    auto& t = tip[e.header.author];
    if (e.header.seq >= t.seq) t = {e.header.author, e.header.seq, e.id, e.header.hlc};
  }
  for (auto& [a, h] : tip) theirs.push_back(h);
  auto file = sync::EncodeHeadsFile(f.o.org, theirs, {f.entries[0], f.entries[1]});
  auto back = sync::DecodeHeadsFile(file);
  REQUIRE(back.ok());
  CHECK(back->org_id == f.o.org);
  CHECK(sync::HeadsDigest(back->heads) == sync::HeadsDigest(theirs));
  CHECK(back->heads.size() == theirs.size());
  REQUIRE(back->org_log.size() == 2);
  CHECK(back->org_log[1].header == f.entries[1].header);
  CHECK_FALSE(sync::DecodeHeadsFile(ByteView(file).first(file.size() - 1)).ok());
}

TEST_CASE("sync: a bundle is read a message at a time and checked whole before any entry",
          "[sync][bundle]") {
  Fixture f;
  auto b = f.Seal();
  Bytes file = b.file;
  MemorySource src(file);
  auto reader = sync::BundleReader::Open(src, f.o.org, f.reader);
  REQUIRE(reader.ok());
  CHECK((*reader)->manifest().entries == f.entries.size());
  REQUIRE((*reader)->CheckWhole().ok());
  std::vector<store::RawEntry> got;
  for (;;) {
    auto more = (*reader)->Next(got);
    REQUIRE(more.ok());
    if (!*more) break;
  }
  REQUIRE(got.size() == f.entries.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].header == f.entries[i].header);

  // A byte flipped anywhere in the stream: the first pass refuses, nothing is handed on.
  Bytes bad = b.file;
  bad[bad.size() - 3] ^= 0x01;
  MemorySource bad_src(bad);
  auto r2 = sync::BundleReader::Open(bad_src, f.o.org, f.reader);
  REQUIRE(r2.ok());
  CHECK_FALSE((*r2)->CheckWhole().ok());

  // The file changed after the first pass (a stick swapped mid-import): the second pass
  // stops at the change, before the entries of that message are handed on.
  Bytes changing = b.file;
  MemorySource changing_src(changing);
  auto r3 = sync::BundleReader::Open(changing_src, f.o.org, f.reader);
  REQUIRE(r3.ok());
  REQUIRE((*r3)->CheckWhole().ok());
  changing[changing.size() - 3] ^= 0x01;
  std::vector<store::RawEntry> none;
  auto more = (*r3)->Next(none);
  CHECK_FALSE(more.ok());
  CHECK(none.empty());
}

TEST_CASE("sync: a bundle larger than one message streams in order, counted against its manifest",
          "[sync][bundle]") {
  Fixture f;
  // Enough notes for several ~1 MiB messages.
  auto ck = f.o.OpenCaseKey("officer");
  size_t bytes = 0;
  for (int i = 0; i < 100000 && bytes < (3u << 20) + (1u << 19); ++i) {
    const auto& e = f.o.Data("officer", ck);
    bytes += 111 + (e.payload ? e.payload->size() : 0);
  }
  std::vector<store::RawEntry> many = Raw(f.o.log);
  auto b = sync::SealBundle(f.o.org, f.exporter, {f.reader.public_key()}, many, Id{}, 1);
  REQUIRE(b.ok());
  MemorySource src(b->file);
  auto reader = sync::BundleReader::Open(src, f.o.org, f.reader);
  REQUIRE(reader.ok());
  REQUIRE((*reader)->CheckWhole().ok());
  std::vector<store::RawEntry> got;
  size_t messages = 0;
  for (;;) {
    auto more = (*reader)->Next(got);
    REQUIRE(more.ok());
    if (!*more) break;
    ++messages;
  }
  CHECK(messages >= 3);
  CHECK(got.size() == many.size());
  // Reading again after the end hands nothing more.
  auto after = (*reader)->Next(got);
  REQUIRE(after.ok());
  CHECK_FALSE(*after);
}

namespace {

Result<sync::BundleTally::Totals> Tally(const std::vector<store::RawEntry>& entries) {
  sync::BundleTally tally;
  for (const auto& e : entries) FC_RETURN_IF_ERROR(tally.Add(e));
  return tally.Finish();
}

}  // namespace

TEST_CASE("sync: a bundle written a message at a time is the bundle its tally announced",
          "[sync][bundle]") {
  Fixture f;
  auto ck = f.o.OpenCaseKey("officer");
  for (int i = 0; i < 6000; ++i) f.o.Data("officer", ck);  // several ~1 MiB messages
  std::vector<store::RawEntry> many = Raw(f.o.log);
  auto totals = Tally(many);
  REQUIRE(totals.ok());
  CHECK(totals->entries == many.size());

  MemorySink sink;
  auto w = sync::BundleWriter::Start(sink, f.o.org, f.exporter, {f.reader.public_key()}, *totals,
                                     Id{}, 77);
  REQUIRE(w.ok());
  const size_t head = sink.bytes().size();  // envelope and stream header: all Start writes
  for (const auto& e : many) REQUIRE((*w)->Add(e).ok());
  auto manifest = (*w)->Finish();
  REQUIRE(manifest.ok());
  CHECK(manifest->entries == many.size());
  CHECK(manifest->content_hash == totals->content_hash);
  // The tally knew the file's size before a byte was written: the envelope, the manifest
  // message (u32 length, 180 bytes of manifest, 17 of stream tag) and the entry messages.
  const Bytes file = sink.Take();
  CHECK(file.size() == head + (4 + 180 + 17) + totals->body_bytes);
  auto opened = sync::OpenBundle(file, f.o.org, f.reader);
  REQUIRE(opened.ok());
  CHECK(opened->manifest.content_hash == totals->content_hash);
  REQUIRE(opened->entries.size() == many.size());
  for (size_t i = 0; i < many.size(); i += 997) {
    CHECK(opened->entries[i].header == many[i].header);
    CHECK(opened->entries[i].payload == many[i].payload);
  }
}

TEST_CASE("sync: a bundle writer refuses entries other than those its manifest announced",
          "[sync][bundle]") {
  Fixture f;
  auto totals = Tally(f.entries);
  REQUIRE(totals.ok());
  SECTION("one fewer") {
    MemorySink sink;
    auto w = sync::BundleWriter::Start(sink, f.o.org, f.exporter, {f.reader.public_key()},
                                       *totals, Id{}, 1);
    REQUIRE(w.ok());
    for (size_t i = 0; i + 1 < f.entries.size(); ++i) REQUIRE((*w)->Add(f.entries[i]).ok());
    auto m = (*w)->Finish();
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.status().message(), Catch::Contains("changed while the bundle was written"));
    // No FINAL message was written: what is in the sink is no bundle.
    CHECK_FALSE(sync::OpenBundle(sink.bytes(), f.o.org, f.reader).ok());
  }
  SECTION("as many, one of them another") {
    MemorySink sink;
    auto w = sync::BundleWriter::Start(sink, f.o.org, f.exporter, {f.reader.public_key()},
                                       *totals, Id{}, 1);
    REQUIRE(w.ok());
    std::vector<store::RawEntry> other = f.entries;
    std::swap(other[3], other[4]);
    for (const auto& e : other) REQUIRE((*w)->Add(e).ok());
    CHECK_FALSE((*w)->Finish().ok());
    CHECK_FALSE(sync::OpenBundle(sink.bytes(), f.o.org, f.reader).ok());
  }
}

TEST_CASE("sync: a bundle writer refuses a bundle no reader would take, and a full disk",
          "[sync][bundle]") {
  Fixture f;
  auto totals = Tally(f.entries);
  REQUIRE(totals.ok());
  // Exactly 4 GiB is begun; a byte more is refused before a byte is written.
  MemorySink probe;
  REQUIRE(sync::BundleWriter::Start(probe, f.o.org, f.exporter, {f.reader.public_key()}, *totals,
                                    Id{}, 1)
              .ok());
  const uint64_t fixed = probe.bytes().size() + (4 + 180 + 17);
  sync::BundleTally::Totals huge = *totals;
  huge.body_bytes = sync::kMaxBundleBytes - fixed;
  MemorySink at_limit;
  CHECK(sync::BundleWriter::Start(at_limit, f.o.org, f.exporter, {f.reader.public_key()}, huge,
                                  Id{}, 1)
            .ok());
  huge.body_bytes += 1;
  MemorySink sink;
  auto big = sync::BundleWriter::Start(sink, f.o.org, f.exporter, {f.reader.public_key()}, huge,
                                       Id{}, 1);
  REQUIRE_FALSE(big.ok());
  CHECK_THAT(big.status().message(), Catch::Contains("above the 4 GiB"));
  CHECK(sink.bytes().empty());
  // No recipient, or too many.
  CHECK_FALSE(sync::BundleWriter::Start(sink, f.o.org, f.exporter, {}, *totals, Id{}, 1).ok());
  // A sink that fills up part way: the error comes back, whichever write it was.
  for (size_t room : {size_t(10), size_t(200), size_t(2000)}) {
    test::FullSink full(room);
    auto w = sync::BundleWriter::Start(full, f.o.org, f.exporter, {f.reader.public_key()},
                                       *totals, Id{}, 1);
    Status st = w.status();
    if (w.ok()) {
      for (const auto& e : f.entries)
        if (st = (*w)->Add(e); !st.ok()) break;
      if (st.ok()) st = (*w)->Finish().status();
    }
    INFO("room " << room);
    CHECK_THAT(st.message(), Catch::Contains("no space left"));
  }
}

TEST_CASE("sync: a bundle message holding more entries than any writer puts in one is refused",
          "[sync][bundle][attack]") {
  // Built by hand from docs/formats/bundle.md, as a stranger would: a valid envelope, a
  // signed manifest, one message of the smallest entries there are (1-byte headers of an
  // unknown version), `n` of them.
  Fixture f;
  auto build = [&](size_t n) {
    std::vector<store::RawEntry> tiny(n);
    for (auto& e : tiny) e.header = {9};
    ByteWriter batch;
    sync::PutTransitBatch(batch, tiny);
    const Bytes message = batch.Take();
    Id content{};
    crypto::Hasher(crypto::hashname::kBundle, 32).Update(message).Final(content);
    ByteWriter body;
    body.Fixed(f.exporter.public_key());
    body.U64(1);
    body.U64(n);
    body.Fixed(Id{});
    body.Fixed(content);
    const Bytes body_bytes = body.Take();
    const Signature sig = f.exporter.Sign(crypto::SignTag::kBundleManifest, {f.o.org, body_bytes});
    ByteWriter manifest;
    manifest.U32(uint32_t(body_bytes.size() + sig.size()));
    manifest.Raw(body_bytes);
    manifest.Fixed(sig);
    const Bytes manifest_bytes = manifest.Take();
    const auto file_key = crypto::SecretBytes::Random(crypto::kStreamKeyBytes);
    const PublicKey to = f.reader.public_key();
    auto sealed = crypto::SealTo(to, crypto::KeyWrapContext({f.o.org, AsBytes("bundle"), to}),
                                 file_key.view());
    REQUIRE(sealed.ok());
    ByteWriter w;
    w.Raw(AsBytes("FCBU"));
    w.U8(2);
    w.Fixed(f.o.org);
    w.U16(1);
    w.Fixed(to);
    w.U16(uint16_t(sealed->size()));
    w.Raw(*sealed);
    crypto::StreamSealer stream(file_key);
    w.Fixed(stream.header());
    for (const Bytes* m : {&manifest_bytes, &message}) {
      const Bytes c = stream.Seal(*m, m == &message);
      w.U32(uint32_t(c.size()));
      w.Raw(c);
    }
    return w.Take();
  };
  // As many as a writer can put in one message: a bundle (the construction is right).
  auto most = sync::OpenBundle(build(sync::kMaxBundleMessageEntries), f.o.org, f.reader);
  REQUIRE(most.ok());
  CHECK(most->entries.size() == sync::kMaxBundleMessageEntries);
  // One more: refused before any is kept.
  auto over = sync::OpenBundle(build(sync::kMaxBundleMessageEntries + 1), f.o.org, f.reader);
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.status().message(), Catch::Contains("entries in one batch"));
}
