#include "signaling/b2bua/peer_flow.h"

namespace sbc::b2bua {

bool pinnedRealm(const RealmContext& realm) {
  return !realm.config || realm.config->trust == topology::Trust::kUntrusted;
}

bool fromFlow(Leg& leg, const transport::Source& from) {
  if (!leg.pinned) return true;
  const transport::Endpoint& flow = leg.peer.remote;
  if (from.listener != leg.peer.listener || from.remote.protocol != flow.protocol ||
      from.remote.address != flow.address) {
    return false;
  }
  if (flow.protocol == transport::Protocol::kUdp) return from.remote.port == flow.port;
  if (from.connection != 0) leg.peer.connection = from.connection;
  return true;
}

}  // namespace sbc::b2bua
