#pragma once

// Trunk host names, resolved once at start on the main thread: the B2BUA takes them as
// addresses and does no DNS on the call path.

#include <string>
#include <unordered_map>
#include <vector>

#include "mediaplane/api/address.h"
#include "topology/route.h"

namespace sbc::sbcd {

using TrunkAddresses = std::unordered_map<std::string, net::IpAddress>;

// Every forward route's trunk host: IP literals as they are, names through the resolver
// (the first address). A host that does not resolve is logged (event=trunk_unresolved) and
// left out; calls on its routes get 503.
TrunkAddresses resolveTrunks(const std::vector<topology::Route>& routes);

}  // namespace sbc::sbcd
