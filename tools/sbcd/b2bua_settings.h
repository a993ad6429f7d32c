#pragma once

// The B2BUA's settings taken from the daemon's configuration.

#include "config/config.h"
#include "signaling/b2bua/settings.h"
#include "tools/sbcd/trunks.h"

namespace sbc::sbcd {

b2bua::Settings b2buaSettings(const config::Config& config, TrunkAddresses trunks);

}  // namespace sbc::sbcd
