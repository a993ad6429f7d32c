#pragma once

// What an SDP says about the one who sent it, hidden from the other leg's realm
// (topology_hiding.sdp_identity: hide, the default). Media anchoring hides the addresses
// in c=, m= and a=rtcp and strips ICE candidates; SdpOrigin rewrites o=. What is left is
// descriptive text and identifiers that name the sender's user, host or equipment:
//   s=  (RFC 4566 §5.3)  the session name: required, becomes "-"
//   i= u= e= p=          session/media information, URI, e-mail, phone: removed
//   a=tool               the sending application and its version: removed
//   a=ssrc ... cname:    the RTCP CNAME, often user@host (RFC 5576, RFC 7022): the leg's
//                        own random CNAME instead
// The RTCP packets themselves are relayed unchanged: their SDES CNAME is the endpoint's.

#include <string_view>

#include "signaling/sdp/session.h"

namespace sbc::b2bua {

// Applies the hiding to `sd`; `cname` is the CNAME the receiving leg sees (one per leg,
// SdpOrigin::cname()).
void hideSdpIdentity(sdp::SessionDescription& sd, std::string_view cname);

}  // namespace sbc::b2bua
