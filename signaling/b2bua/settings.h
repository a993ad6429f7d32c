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
