// `fuzz_replay --write-seeds DIR`: seed inputs made by the real encoders, one folder per
// target, so the checked-in corpus starts from valid messages (bundles, heads and enrolment
// files are added from real CLI runs).
#include <filesystem>
#include <fstream>

#include "fieldcase/base/byte_io.h"
#include "fieldcase/net/frame.h"
#include "fieldcase/net/handshake.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/sync/reconcile.h"
#include "fieldcase/sync/transit.h"

namespace fieldcase::fuzz {

namespace {

void Put(const std::filesystem::path& dir, const std::string& target, const std::string& name,
         ByteView bytes) {
  std::filesystem::create_directories(dir / target);
  std::ofstream(dir / target / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

void WriteSeeds(const std::filesystem::path& dir) {
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  Id org{};
  org[0] = 1;
  // Entries: a short chain with and without payloads.
  std::vector<store::RawEntry> chain;
  Id prev{};
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    store::Header h;
    h.kind = 1;
    h.author = key.public_key();
    h.seq = seq;
    h.prev = prev;
    h.hlc = (uint64_t(1764374400000) << 16) + seq;
    auto e = store::SignEntry(h, Bytes(72, uint8_t(seq)), org, key);
    prev = e.id;
    chain.push_back({Bytes(e.header_bytes.begin(), e.header_bytes.end()), e.signature,
                     seq == 2 ? std::nullopt : e.payload});
  }
  Put(dir, "entry", "header", chain[0].header);
  ByteWriter rec;
  store::PutRawEntry(rec, chain[0]);
  Put(dir, "entry", "record", rec.Take());
  ByteWriter batch;
  sync::PutTransitBatch(batch, chain);
  const Bytes transit = batch.Take();
  Put(dir, "transit", "chain", transit);

  Put(dir, "frame", "two", [] {
    Bytes b = net::EncodeFrame(AsBytes("hello"));
    Append(b, net::EncodeFrame(Bytes(300, 7)));
    return b;
  }());

  net::Identity me;
  me.key = &key;
  me.certificate = net::MakeCertificate(key.public_key(), {});
  net::Initiator i(org, me);
  net::Responder r(org, me);
  const Bytes msg1 = i.Hello();
  Put(dir, "handshake", "msg1", msg1);
  auto msg2 = r.ReadHello(msg1);
  if (msg2.ok()) Put(dir, "handshake", "msg2", *msg2);
  if (msg2.ok() && i.ReadResponse(*msg2).ok()) {
    net::SessionKeys keys;
    if (auto msg3 = i.Finish(keys); msg3.ok()) Put(dir, "handshake", "msg3", *msg3);
  }

  sync::Message m;
  m.type = sync::Message::Type::kDigest;
  Put(dir, "sync_message", "digest", sync::EncodeMessage(m));
  m.type = sync::Message::Type::kHeads;
  m.heads = {{key.public_key(), 3, prev, 0}};
  Put(dir, "sync_message", "heads", sync::EncodeMessage(m));
  m.type = sync::Message::Type::kProbe;
  m.author = key.public_key();
  m.ids = {{3, prev}, {2, Id{}}};
  m.phase = sync::Phase::kAll;
  Put(dir, "sync_message", "probe", sync::EncodeMessage(m));
  m.type = sync::Message::Type::kKnown;
  m.seq = 2;
  m.found = true;
  Put(dir, "sync_message", "known", sync::EncodeMessage(m));
  m.type = sync::Message::Type::kEntries;
  m.entries = chain;
  Put(dir, "sync_message", "entries", sync::EncodeMessage(m));

  org::KeyPayload kp;
  kp.op = org::KeyOpCode::kTeamKey;
  Put(dir, "payloads", "key", org::EncodeKeyPayload(kp));
  org::Enrolment en;
  en.subject = key.public_key();
  Put(dir, "payloads", "enrolment", org::EncodeControlPayload(en));
  Put(dir, "payloads", "founding", org::EncodeControlPayload(org::Founding{"Test Force", {}}));
  org::Receipt receipt;
  receipt.hub_time_ms = 1764374400000;
  receipt.heads.push_back({key.public_key(), 3, prev, 0});
  Put(dir, "payloads", "receipt", org::EncodeReceipt(receipt));

  Put(dir, "data_op", "note", record::EncodeOp(record::AddNote{"incident", "14 calls"}));
  Put(dir, "data_op", "set", record::EncodeOp(record::SetField{"risk_level", "high", {prev}}));
}

}  // namespace fieldcase::fuzz
