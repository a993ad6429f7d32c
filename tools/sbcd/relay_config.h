#pragma once

// The daemon's translation from the configuration (config/) to the relay's plain config
// (dpdk): the one place that sees both, so that neither area includes the other.

#include <string>

#include "config/config.h"
#include "dpdk/relay_config.h"

namespace sbc::sbcd {

// Fills `out` from the media_plane section and each interface's realm media address.
// Returns an empty string, or what is wrong.
std::string relayConfigFrom(const config::Config& config, dpdk::RelayConfig& out);

}  // namespace sbc::sbcd
