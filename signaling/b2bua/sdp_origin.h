#pragma once

// The SDP origin (o=) each leg sees. RFC 3264 §8 wants one session id per session and a
// version that grows by one whenever the description changes; in media bypass mode the
// B2BUA rewrites o= so that neither side learns the other's origin (user, host, ids),
// while c=/m= keep the far endpoint's media addresses (only anchoring hides those).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/sdp/session.h"

namespace sbc::b2bua {

class SdpOrigin {
 public:
  // Rewrites o= of `body` for this leg, with `address` as the origin address. Returns the
  // new body, or nullopt with `error` set when the body is not valid SDP.
  std::optional<std::string> rewrite(std::string_view body, std::string_view address,
                                     std::string& error);

  // The same on a parsed description; `original` is the far side's text (its changes are
  // what bump the version). nullptr, or the reason.
  const char* apply(sdp::SessionDescription& sd, std::string_view original,
                    std::string_view address);

  // The RTCP CNAME this leg sees in a=ssrc lines when its realm hides SDP identity
  // (sdp_privacy.h): random, one per leg of a call (RFC 7022), chosen on first use.
  const std::string& cname();

 private:
  std::string sessionId_;  // decimal, chosen on first use
  uint64_t version_ = 0;
  uint64_t lastContent_ = 0;  // hash of the last description sent, without its o= line
  std::string cname_;
};

}  // namespace sbc::b2bua
