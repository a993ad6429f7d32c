#pragma once

// Media anchoring for the B2BUA: every SDP that crosses the SBC is rewritten so that the
// receiving side sends its media to the SBC's media address in its own realm (c=, m= port,
// a=rtcp; ICE attributes stripped, since the SBC is the only candidate), and the media
// plane is told, as plain data, which streams to relay between the two sides. Ports come
// from each realm's range, RTP even and RTCP + 1, and rest in quarantine after a call.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "mediaplane/port_allocator.h"
#include "signaling/b2bua/settings.h"
#include "signaling/b2bua/srtp_policy.h"
#include "signaling/sdp/session.h"

namespace sbc::b2bua {

// Index 0 is the caller's side (A), 1 the callee's (B).
struct AnchoredStream {
  bool enabled = false;                             // m= port 0 on either side disables it
  std::array<uint16_t, 2> local{};                  // the SBC's RTP port on each side's realm
  std::array<mediaplane::SocketAddress, 2> remote;  // where each side receives (its SDP)
  std::array<uint16_t, 2> remoteRtcp{};
  std::array<bool, 2> mux{};
  // local[side] went to that side's peer in an SDP: only then can late packets be aimed
  // at it, and only then does it rest in quarantine when released.
  std::array<bool, 2> told{};
  // SRTP on each side (srtp_policy.h); `rtp`: the last offer had this line as RTP with a
  // port, so its answer is checked and rewritten too.
  std::array<SrtpSide, 2> srtp{};
  bool rtp = false;
};

struct CallMedia {
  bool anchored = false;                // the route anchors this call's media
  bool created = false;                 // the media plane has the session
  std::vector<AnchoredStream> streams;  // by m-line
  std::array<const topology::Realm*, 2> realms{};
  // The side whose offer awaits its answer (the SDP from the other side answers it).
  std::optional<size_t> offerFrom;
};

class MediaAnchor {
 public:
  // `plane` may be null: then no route can anchor (the config loader refuses such routes).
  MediaAnchor(mediaplane::MediaPlane* plane, const Settings& settings);

  bool available() const { return plane_ != nullptr; }

  // Rewrites `sd`, which side `from` sent and which goes to side `to`, and records where
  // `from` receives. 0 on success; else `error` and the status to refuse with: 503 when no
  // media port is free (the words name no realm and no figure), 488 when the SDP is bad.
  int anchor(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
             std::string& error);
  // The SDP rewritten by anchor() for side `to` is on its way to that side's peer.
  void told(CallMedia& call, size_t to);
  // Gives the media plane the call's current streams (create, then update).
  mediaplane::Error commit(uint64_t callId, CallMedia& call);
  // Deletes the session and returns the ports: to quarantine when a peer was told of
  // them, straight back otherwise (a failed set-up must not make ports rest).
  void release(uint64_t callId, CallMedia& call);
  // Ports resting in quarantine in `realm` (tests).
  size_t restingPorts(const std::string& realm) const;

  std::optional<mediaplane::SessionStats> stats(uint64_t callId) const {
    return plane_ ? plane_->stats(callId) : std::nullopt;
  }
  std::vector<mediaplane::MediaEvent> poll() {
    return plane_ ? plane_->pollEvents() : std::vector<mediaplane::MediaEvent>{};
  }
  size_t freePorts(const std::string& realm) const;

 private:
  mediaplane::MediaPlane* plane_;
  bool strict_ = false;
  std::unordered_map<std::string, mediaplane::PortAllocator> ports_;  // by realm
  std::unordered_map<std::string, mediaplane::IpAddress> addresses_;  // realm media address
};

}  // namespace sbc::b2bua
