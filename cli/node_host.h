// net::Host over a node::Node: what a sync session sees of this device. Shared by the
// fieldcase binary and fieldcase-bench; net/ itself never sees a node.
#pragma once

#include "fieldcase/net/host.h"
#include "fieldcase/node/node.h"

namespace fieldcase::cli {

class NodeHost : public net::Host {
 public:
  explicit NodeHost(node::Node& node) : node_(node) {}
  Id org_id() override;
  Result<net::Identity> Me() override;
  Result<std::string> Admit(const net::PeerHello& peer, int64_t now_ms) override;
  sync::Reconciler::Local Local(const PublicKey& peer) override;
  void Record(const PublicKey& peer, const sync::ReconcileTotals& totals, int64_t now_ms) override;
  int64_t NowMs() override;

 private:
  node::Node& node_;
};

}  // namespace fieldcase::cli
