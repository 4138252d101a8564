// What a sync session needs from the device it runs on. net/ knows no node: the CLI hands
// it a Host over a node::Node (docs/architecture.md), so net/ uses only sync/, crypto/ and
// base/.
#pragma once

#include <string>

#include "fieldcase/base/status.h"
#include "fieldcase/net/handshake.h"
#include "fieldcase/sync/reconcile.h"

namespace fieldcase::net {

class Host {
 public:
  virtual ~Host() = default;
  virtual Id org_id() = 0;
  // This device's signing key, certificate and org-log digest, as of now.
  virtual Result<Identity> Me() = 0;
  // Whether the peer may sync now: a current member device, not revoked (learning its
  // enrolment from the certificate when that verifies against this org log). Returns a
  // label for logs (role and name where known). Any failure becomes the one refusal.
  virtual Result<std::string> Admit(const PeerHello& peer, int64_t now_ms) = 0;
  // The reconciliation's view of this device's store and its ingest path, in a session
  // with `peer` (a hub's receipts name it).
  virtual sync::Reconciler::Local Local(const PublicKey& peer) = 0;
  // After a session with a peer (the hub's `hub status` reads these).
  virtual void Record(const PublicKey& peer, const sync::ReconcileTotals& totals,
                      int64_t now_ms) = 0;
  virtual int64_t NowMs() = 0;
};

}  // namespace fieldcase::net
