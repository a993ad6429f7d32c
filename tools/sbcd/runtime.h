#pragma once

// The process around sbcd's signaling thread: the event loop that nothing escapes, and the
// descriptor limit that every TCP connection the configuration allows must fit in.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "topology/realm.h"

namespace sbc::sbcd {

struct LoopCounters {
  uint64_t exceptions = 0;  // handlers that threw (std::bad_alloc included): logged, dropped
};

// Runs `io` until it stops. A handler that throws loses only its own work (its connection
// or timer is not re-armed by it; timeouts clean up after it): the exception is logged and
// counted and the loop goes on, so one peer cannot stop the SBC. Returns when io.run()
// returns normally (io.stop(), or no work left).
void runEventLoop(boost::asio::io_context& io, LoopCounters& counters);

// Descriptors the realms' TCP caps allow (inbound and outbound per TCP listener), plus a
// reserve for the listeners, the metrics endpoint, the media plane and the logs.
uint64_t descriptorsNeeded(const std::vector<topology::Realm>& realms);

// Raises the soft RLIMIT_NOFILE to the hard limit and checks that `needed` descriptors fit
// in it. Returns "" when they do, else a warning for the operator that says by how much
// they do not (accepts then fail with EMFILE, which the transport rides out by backing off).
std::string fitDescriptorLimit(uint64_t needed, uint64_t* limit = nullptr);

}  // namespace sbc::sbcd
