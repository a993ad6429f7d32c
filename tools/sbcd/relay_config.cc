#include "tools/sbcd/relay_config.h"

namespace sbc::sbcd {

std::string relayConfigFrom(const config::Config& config, dpdk::RelayConfig& out) {
  out = dpdk::RelayConfig{};
  static_cast<mediaplane::RelaySettings&>(out) = config::relaySettingsOf(config);
  return dpdk::validateConfig(out);
}

}  // namespace sbc::sbcd
