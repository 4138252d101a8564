// `fieldcase-bench micro`: one-thread rates of the primitives an entry costs, through
// fieldcase's own wrappers (docs/benchmarks.md). Fixed iteration counts, so the work is
// bounded and the same on every machine.
#include <functional>

#include "benches.h"
#include "fieldcase/crypto/aead.h"
#include "fieldcase/crypto/hash.h"
#include "fieldcase/crypto/sign.h"
#include "fieldcase/record/data_payload.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"
#include "fixture.h"
#include "report.h"

namespace fieldcase::bench {

namespace {

volatile uint8_t g_sink = 0;  // keeps results alive so the loops are not optimised away

struct Case {
  const char* name;
  const char* unit;
  int64_t iterations;
  std::function<void()> body;
};

double Rate(const Case& c) {
  auto t0 = Clock::now();
  for (int64_t i = 0; i < c.iterations; ++i) c.body();
  return double(c.iterations) / SecondsSince(t0);
}

}  // namespace

const char* const kMicroHelp =
    "usage: fieldcase-bench micro [--runs R] [--json]\n"
    "\n"
    "One-thread rates of the primitives behind every entry, through fieldcase's wrappers\n"
    "(so allocation and message assembly are included), fixed iteration counts:\n"
    "  micro.ed25519_sign      SigningKey::Sign of an entry-sized message (org id + header)\n"
    "  micro.ed25519_verify    crypto::Verify of the same\n"
    "  micro.xchacha20poly1305_400B  AeadEncrypt of 400 bytes, no associated data\n"
    "  micro.blake2b256_400B   Hash256 of 400 bytes\n"
    "For locating costs, not reference primitives:\n"
    "  micro.secret_alloc_free SecretBytes(32) made and freed (sodium_malloc/sodium_free)\n"
    "  micro.seal_data         record::SealData of a 400-byte note op (entry key, pad, encrypt)\n"
    "  micro.open_data         record::OpenData of the same (entry key, commit, decrypt, unpad)\n"
    "Each figure is the median of R runs.\n"
    "\n"
    "  --runs R   runs (default 3)\n"
    "  --json     print one JSON object instead of lines\n";

int RunMicro(const Options& o) {
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  const Id org = crypto::RandomArray<32>();
  store::Header h;
  h.kind = uint8_t(store::Kind::kData);
  h.author = key.public_key();
  h.seq = 42;
  h.case_id = crypto::RandomArray<16>();
  h.hlc = uint64_t(WallMs()) << 16;
  h.key_id = crypto::RandomArray<16>();
  const auto header = store::EncodeHeader(h);
  const Signature sig = key.Sign(crypto::SignTag::kEntry, {org, header});

  const crypto::SecretBytes aead_key = crypto::SecretBytes::Random(crypto::kAeadKeyBytes);
  const crypto::AeadNonce nonce = crypto::RandomArray<crypto::kAeadNonceBytes>();
  const NoteTexts texts;
  const std::string text400 = texts.Note(0).text;
  const ByteView msg400 = AsBytes(text400);
  const Bytes op_bytes = record::EncodeOp(texts.Note(0));
  const Bytes sealed = record::SealData(aead_key, org, h, op_bytes);

  const Case cases[] = {
      {"micro.ed25519_sign", "signs/s", 20000,
       [&] {
         g_sink = g_sink ^ key.Sign(crypto::SignTag::kEntry, {org, header})[0];
       }},
      {"micro.ed25519_verify", "verifies/s", 10000,
       [&] {
         g_sink = g_sink ^ uint8_t(crypto::Verify(key.public_key(), crypto::SignTag::kEntry,
                                                  {org, header}, sig));
       }},
      {"micro.xchacha20poly1305_400B", "encrypts/s", 300000,
       [&] { g_sink = g_sink ^ crypto::AeadEncrypt(aead_key, nonce, msg400, {})[0]; }},
      {"micro.blake2b256_400B", "hashes/s", 300000,
       [&] { g_sink = g_sink ^ crypto::Hash256(crypto::hashname::kPayload, {msg400})[0]; }},
      {"micro.secret_alloc_free", "allocs/s", 50000,
       [&] { g_sink = g_sink ^ crypto::SecretBytes(32).data()[0]; }},
      {"micro.seal_data", "payloads/s", 50000,
       [&] { g_sink = g_sink ^ record::SealData(aead_key, org, h, op_bytes)[0]; }},
      {"micro.open_data", "payloads/s", 50000,
       [&] {
         auto r = record::OpenData(aead_key, org, h, sealed);
         g_sink = g_sink ^ (r.ok() ? r->data()[0] : 0);
       }},
  };

  Report report("micro");
  report.Param("runs", o.runs);
  report.Note(
      "one thread; iterations per run: sign 20000, verify 10000, aead and hash 300000, "
      "others 50000");
  for (int run = 1; run <= o.runs; ++run) {
    Say("run " + std::to_string(run) + "/" + std::to_string(o.runs) + "…");
    for (const Case& c : cases) {
      if (Interrupted()) return Fail(CheckInterrupted());
      report.Add(c.name, c.unit, 0, Rate(c));
    }
  }
  report.Print(o.json);
  return 0;
}

}  // namespace fieldcase::bench
