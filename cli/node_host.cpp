#include "node_host.h"

#include <chrono>

namespace fieldcase::cli {

Id NodeHost::org_id() { return node_.org_id(); }

Result<net::Identity> NodeHost::Me() {
  FC_ASSIGN_OR_RETURN(auto id, node_.SessionIdentityNow());
  net::Identity me;
  me.key = id.key;
  me.certificate = net::MakeCertificate(id.key->public_key(), id.enrolment);
  me.org_log_digest = id.org_log_digest;
  return me;
}

Result<std::string> NodeHost::Admit(const net::PeerHello& peer, int64_t now_ms) {
  return node_.AdmitPeer(peer.key, peer.enrolment, now_ms);
}

sync::Reconciler::Local NodeHost::Local(const PublicKey& peer) {
  return node_.ReconcileLocal(peer);
}

void NodeHost::Record(const PublicKey& peer, const sync::ReconcileTotals& t, int64_t now_ms) {
  // Bookkeeping only: a failure here does not undo a sync that completed.
  (void)node_.RecordPeerSync({peer, now_ms, t.imported.added, t.entries_sent});
}

int64_t NodeHost::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace fieldcase::cli
