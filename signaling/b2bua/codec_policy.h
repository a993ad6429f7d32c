#pragma once

// The realms' codec policy on an offer crossing the SBC (docs/CONFIG.md, "Codecs"): each
// audio stream keeps the formats that both legs' realms allow and neither strips, ordered by
// the receiving realm's preference (then the offerer's). Answers need no rule: an answer
// picks from the offer as it was sent.

#include <string>

#include "signaling/sdp/session.h"
#include "topology/realm.h"

namespace sbc::b2bua {

// The codec name a format of `md` stands for: its a=rtpmap encoding, or the RFC 3551 static
// name of a payload type without one, or the format itself.
std::string codecNameOf(const sdp::MediaDescription& md, std::string_view format);

// Applies the policy of the offerer's realm (`from`) and the receiving one (`to`) to `sd`.
// False, changing nothing, with `error` (the Warning text) when an active audio stream would
// keep no codec but telephone-event, comfort noise or redundancy.
bool applyCodecPolicy(sdp::SessionDescription& sd, const topology::RealmCodecs& from,
                      const topology::RealmCodecs& to, std::string& error);

}  // namespace sbc::b2bua
