// Every pure decoder of bytes that arrive from outside: frames, handshake messages,
// reconciliation messages, transit batches, entry headers and records, key and control
// payloads, data ops, enrolment files, heads files, bundles. Each must refuse or accept
// without crashing, over-reading or allocating beyond its bounds.
#include "fieldcase/base/byte_io.h"
#include "fieldcase/crypto/box.h"
#include "fieldcase/net/frame.h"
#include "fieldcase/net/handshake.h"
#include "fieldcase/node/disclosure.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/receipt_payload.h"
#include "fieldcase/org/enrolment.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/record/ops.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/heads.h"
#include "fieldcase/sync/reconcile.h"
#include "fieldcase/sync/transit.h"
#include "fuzz_target.h"

using namespace fieldcase;

FC_FUZZ_TARGET(frame) {
  (void)net::DecodeFrameLength(input.first(std::min<size_t>(4, input.size())));
  net::FrameReader reader(1u << 16);
  for (size_t at = 0; at < input.size(); at += 7) {
    if (!reader.Feed(input.subspan(at, std::min<size_t>(7, input.size() - at))).ok()) break;
    while (reader.Next()) {
    }
  }
}

FC_FUZZ_TARGET(handshake) {
  // The responder reads msg1; an initiator reads the input as msg2; a responder that read
  // a real msg1 reads the input as msg3.
  static const crypto::SigningKey key = crypto::SigningKey::Generate();
  net::Identity me;
  me.key = &key;
  me.certificate = net::MakeCertificate(key.public_key(), {});
  Id org{};
  net::Responder r(org, me);
  (void)r.ReadHello(input);
  net::Initiator i(org, me);
  (void)i.Hello();
  (void)i.ReadResponse(input);
  net::Initiator i2(org, me);
  net::Responder r2(org, me);
  if (r2.ReadHello(i2.Hello()).ok()) {
    net::SessionKeys keys;
    (void)r2.ReadFinish(input, keys);
  }
}

FC_FUZZ_TARGET(sync_message) { (void)sync::DecodeMessage(input); }

FC_FUZZ_TARGET(transit) {
  ByteReader r(input);
  (void)sync::GetTransitBatch(r, sync::kMaxBundleMessageEntries);
}

FC_FUZZ_TARGET(entry) {
  (void)store::DecodeHeader(input);
  ByteReader r(input);
  store::RawEntry e;
  (void)store::GetRawEntry(r, e);
}

FC_FUZZ_TARGET(payloads) {
  (void)org::DecodeKeyPayload(input);
  (void)org::DecodeControlPayload(input);
  (void)org::DecodeReceipt(input);
}

FC_FUZZ_TARGET(data_op) { (void)record::DecodeOp(input); }

FC_FUZZ_TARGET(enrolment) {
  (void)org::DecodeEnrolRequest(input);
  (void)org::DecodeEnrolResponse(input);
}

FC_FUZZ_TARGET(files) {
  (void)sync::DecodeHeadsFile(input);
  (void)sync::ReadBundleEnvelope(input);
  static const crypto::BoxKeyPair device = crypto::BoxKeyPair::Generate();
  Id org{};
  if (input.size() > 37) std::copy(input.begin() + 5, input.begin() + 37, org.begin());
  (void)sync::OpenBundle(input, org, device);
  (void)node::ReadDisclosure(input);
}
