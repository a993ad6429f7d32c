#pragma once

// A leg's flow (issue 14, defect 10): on an untrusted realm a dialog belongs to the
// transport flow it came in on (the caller: where its INVITE came from; the callee: where
// our INVITE went). Requests go back over it whatever the peer's Record-Route or Contact
// name, and only packets from it act on the dialog: a packet that merely names the dialog
// (Call-ID and tags) from elsewhere is refused and never moves the call. Trusted realms
// (trunks) keep RFC 3261 route sets and remote targets. Private to signaling/b2bua.

#include "signaling/b2bua/call.h"
#include "signaling/b2bua/realm_context.h"

namespace sbc::b2bua {

// Whether a leg in `realm` is pinned to its flow.
bool pinnedRealm(const RealmContext& realm);

// Whether a request or ACK received `from` may act on `leg`'s dialog: always on a leg
// that is not pinned; on a pinned one only from its flow: the same listener, transport and
// address, and for UDP the same port. A TCP peer may reconnect from a new port (its
// address cannot be forged across the handshake): the leg then prefers the new connection.
bool fromFlow(Leg& leg, const transport::Source& from);

}  // namespace sbc::b2bua
