#include "dpdk/relay_config.h"

namespace sbc::dpdk {

std::string validateConfig(const RelayConfig& config) {
  std::vector<mediaplane::Problem> problems = mediaplane::validate(config);
  if (!problems.empty()) return mediaplane::describe(problems.front(), config);
  if (config.mbufsPerLcore < 1023) return "at least 1023 mbufs per lcore";
  if (config.latchHandover.count() < 0 || config.latchHandover > std::chrono::minutes(1))
    return "latch_handover_ms is 0..60000";
  if (config.rxDescriptors < 32 || config.txDescriptors < 32)
    return "at least 32 RX and TX descriptors";
  return {};
}

}  // namespace sbc::dpdk
