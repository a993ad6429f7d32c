#pragma once

// The media relay's families for the metrics endpoint: sessions, per-lcore packets and
// bytes, drops by reason, and the ports' basic and extended stats. Lcore counters are
// atomics the lcores own, so this reads them from any thread without disturbing them; the
// port stats go through the drivers, so call it from the control thread.

#include "dpdk/dpdk_media_plane.h"
#include "metrics/snapshot.h"

namespace sbc::sbcd {

void sampleMedia(const dpdk::DpdkMediaPlane& media, metrics::Snapshot& out);

}  // namespace sbc::sbcd
