#pragma once

// rtp-probe recv's SRTP: the keys given on the command line, tried in turn. Each SSRC gets
// its own context (sbc::srtp::Context naming the SSRC) on the first key that authenticates
// its first packet (ROC 0: a new SSRC starts a new ROC, RFC 3711 3.3.1). When that key stops
// authenticating, the other keys are tried with the rollover counter carried over (a re-key
// keeps the ROC): the first that authenticates becomes the SSRC's key. A replay on the
// current key is a replay, never a reason to try another key.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mediaplane/srtp/context.h"
#include "tools/rtp-probe/srtp_key.h"

namespace sbc::rtpprobe {

class SrtpKeyRing {
 public:
  struct KeyChange {
    uint32_t ssrc = 0;
    size_t key = 0;       // index into the keys, in command-line order
    uint64_t packet = 0;  // the SSRC's packet count (authenticated) when it changed
    uint32_t roc = 0;     // the rollover counter the new context started from
  };

  explicit SrtpKeyRing(std::vector<SrtpKeySpec> keys) : keys_(std::move(keys)) {}

  // In place; `length` in and out. kError also for a packet too short to be RTP, and when
  // a context cannot be created (`lastError()` says why, never with key material).
  srtp::Status unprotect(uint8_t* packet, int& length);

  const std::vector<KeyChange>& changes() const { return changes_; }
  // The key an SSRC is on, or -1.
  int keyOf(uint32_t ssrc) const;
  const std::string& lastError() const { return error_; }

 private:
  struct PerSsrc {
    uint32_t ssrc = 0;
    size_t key = 0;
    uint64_t packets = 0;
    std::unique_ptr<srtp::Context> context;
  };
  std::vector<SrtpKeySpec> keys_;
  std::vector<PerSsrc> ssrcs_;
  std::vector<KeyChange> changes_;
  std::string error_;
};

}  // namespace sbc::rtpprobe
