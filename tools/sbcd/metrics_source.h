#pragma once

// What sbcd's layers report to the metrics endpoint, sampled on the control thread (the
// only one that touches their counters; the lcores' counters are atomics).

#include "dpdk/dpdk_media_plane.h"
#include "metrics/snapshot.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/transaction/transaction_layer.h"
#include "signaling/transport/asio_transport.h"
#include "tools/sbcd/call_metrics.h"
#include "tools/sbcd/media_metrics.h"
#include "tools/sbcd/overload.h"
#include "tools/sbcd/runtime.h"

namespace sbc::sbcd {

struct MetricsSources {
  const transport::AsioTransport* transport = nullptr;
  const transaction::TransactionLayer* transactions = nullptr;
  const b2bua::B2bua* b2bua = nullptr;
  const CallMetrics* calls = nullptr;           // the B2BUA's observer: set with b2bua
  const dpdk::DpdkMediaPlane* media = nullptr;  // null when media is only bypassed
  const LoopCounters* loop = nullptr;           // the signaling event loop (runtime.h)
  OverloadSources overload;                     // the admission gate, call caps, loop lag
};

metrics::Snapshot sampleSbc(const MetricsSources& sources);

}  // namespace sbc::sbcd
