#pragma once

// The B2BUA's settings taken from the daemon's configuration.

#include "signaling/b2bua/settings.h"
#include "tools/sbcd/trunks.h"
#include "topology/config.h"

namespace sbc::sbcd {

b2bua::Settings b2buaSettings(const topology::Config& config, TrunkAddresses trunks);

}  // namespace sbc::sbcd
