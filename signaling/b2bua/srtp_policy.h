#pragma once

// SRTP on anchored calls (SDES, RFC 4568), per m-line and per side, as each realm's
// media.srtp says (docs/CONFIG.md "SRTP"). The SBC terminates SDES on each leg: it answers
// the offerer's a=crypto with a key of its own, and offers its own keys to the other leg;
// no key crosses legs. What each side ends up with is MediaEndpoint::srtp for the relay.
//
// Each exchange is checked first (plan: nothing changes, so a refused offer or a bad answer
// leaves the call as it was) and then applied to the call and the SDP, after the media
// anchor has taken its ports. Keys are never logged, and no error text carries one.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "signaling/sdp/crypto.h"
#include "signaling/sdp/session.h"

namespace sbc::b2bua {

struct CallMedia;

// One side of one anchored m-line.
struct SrtpSide {
  // What the relay runs on this side (the last completed exchange); none: plain RTP.
  std::optional<mediaplane::SrtpKeys> active;
  // The exchange in flight. On the offerer's side: the keys the SBC answers with (the
  // peer's chosen line as `receive`, the SBC's as `send`) and the peer's tag; none: plain.
  std::optional<mediaplane::SrtpKeys> answering;
  uint32_t answeringTag = 0;
  // On the answerer's side: the lines the SBC offered (tags 1..n, the SBC's keys); empty:
  // it offered plain RTP.
  std::vector<sdp::SdesCrypto> offered;
};

// The role an SDP plays as it crosses (RFC 3264): an answer in a provisional response
// leaves the exchange open (the 2xx repeats or replaces it), a final one closes it.
enum class SdpRole : uint8_t { kOffer, kAnswer, kFinalAnswer };

struct SrtpOfferLine {
  bool rtp = false;  // an RTP m-line with a port: the policy applies
  bool feedback = false;
  std::optional<sdp::SdesCrypto> peer;  // the offerer's chosen line; none: plain RTP
  bool offerSrtp = false;               // the SBC offers SRTP to the answerer
};

struct SrtpAnswerLine {
  bool rtp = false;
  bool rejected = false;  // port 0 in the answer
  bool feedback = false;
  std::optional<sdp::SdesCrypto> peer;  // the answerer's line (its tag is one the SBC offered)
};

// An offer from side `from` to side `to`. False with `error` (the 488 Warning text).
bool planSrtpOffer(const CallMedia& call, size_t from, size_t to, const sdp::SessionDescription& sd,
                   std::vector<SrtpOfferLine>& plan, std::string& error);
// Records the exchange in the call and rewrites the offer for `to`: its profile, and the
// SBC's a=crypto lines in place of the offerer's.
void applySrtpOffer(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
                    const std::vector<SrtpOfferLine>& plan);

// An answer from side `from` to the offer the SBC made it; the offer came from `to`.
bool planSrtpAnswer(const CallMedia& call, size_t from, size_t to,
                    const sdp::SessionDescription& sd, std::vector<SrtpAnswerLine>& plan,
                    std::string& error);
// Makes the exchange's keys the active ones and rewrites the answer for `to`: the profile
// it offered, and one a=crypto (its chosen tag, the SBC's key) in place of the answerer's.
void applySrtpAnswer(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
                     const std::vector<SrtpAnswerLine>& plan);

}  // namespace sbc::b2bua
