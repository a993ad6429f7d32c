#include "dpdk/rtp_stats.h"

#include <cstdlib>

namespace sbc::dpdk {

double RtpReceiver::jitterMs(uint32_t clockHz) const {
  return static_cast<double>(jitter16) / 16.0 * 1000.0 / clockHz;
}

}  // namespace sbc::dpdk
