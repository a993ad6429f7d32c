#pragma once

// What the B2BUA uses of the daemon's configuration, and nothing more. Trunk host names
// arrive resolved: the B2BUA does no DNS (the signaling thread never blocks).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "mediaplane/api/address.h"
#include "topology/realm.h"
#include "topology/route.h"

namespace sbc::b2bua {

struct Settings {
  std::vector<topology::Realm> realms;  // in configuration order
  std::vector<topology::Route> routes;  // in configuration order (the first match wins)
  uint32_t maxForwards = 70;            // for requests the SBC originates
  std::chrono::milliseconds noAnswerTimeout{180000};
  // Timer C (RFC 3261 §16.6 step 11, as a B2BUA): leg B silent this long after our INVITE
  // or its last provisional (101-199) is cancelled and the caller gets 408. Over 3 min.
  std::chrono::milliseconds timerC{185000};
  // The B2BUA's tables: calls, and dialogs (two per call), refused with 503 past these.
  uint32_t maxCalls = 20000;
  uint32_t maxDialogs = 40000;
  // m= lines one SDP may carry into the call: each anchored line takes a port pair on
  // both realms, so this bounds what one INVITE can take of a realm's range.
  uint32_t maxMediaLines = 8;
  // Final failures from leg B mapped before they go to leg A (e.g. 503 -> 480).
  std::map<int, int> responseMap;
  // Media anchoring: accept only signaled sources (no latching); how long a released
  // media port rests before it is reused.
  bool strictMediaSource = false;
  std::chrono::milliseconds portQuarantine{10000};
  // Trunk host name -> address. A forward route whose host is missing gets
  // 503 Trunk Address Unknown.
  std::unordered_map<std::string, net::IpAddress> trunkAddresses;
};

}  // namespace sbc::b2bua
