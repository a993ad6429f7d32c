#include "tools/sbcd/runtime.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

namespace sbc::sbcd {

void runEventLoop(boost::asio::io_context& io, LoopCounters& counters) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::bad_alloc&) {
      // Memory ran out in a handler: the bounded queues and tables make that the sign of a
      // limit set too high for the host, not of one peer; keep serving what fits.
      ++counters.exceptions;
      try {
        spdlog::error("event=loop_exception kind=bad_alloc note=\"out of memory in a handler\"");
      } catch (...) {  // logging may need memory too
      }
    } catch (const std::exception& e) {
      ++counters.exceptions;
      try {
        spdlog::error("event=loop_exception kind=exception what=\"{}\"", e.what());
      } catch (...) {
      }
    } catch (...) {
      ++counters.exceptions;
      try {
        spdlog::error("event=loop_exception kind=unknown");
      } catch (...) {
      }
    }
  }
}

uint64_t descriptorsNeeded(const std::vector<topology::Realm>& realms) {
  uint64_t n = 256;
  for (const topology::Realm& realm : realms) {
    for (const topology::Listen& l : realm.listen) {
      if (l.transport == topology::Transport::kTcp)
        n += uint64_t(realm.limits.tcpMaxConnections) + realm.limits.tcpMaxOutboundConnections;
    }
  }
  return n;
}

std::string fitDescriptorLimit(uint64_t needed, uint64_t* limit) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return std::string("cannot read RLIMIT_NOFILE: ") + std::strerror(errno);
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (limit) *limit = rl.rlim_cur;
  if (rl.rlim_cur == RLIM_INFINITY || needed <= rl.rlim_cur) return "";
  return "the TCP connection caps and the process's own descriptors need " +
         std::to_string(needed) + " descriptors but RLIMIT_NOFILE is " +
         std::to_string(rl.rlim_cur) +
         " (hard limit reached): lower limits.tcp_max_connections / "
         "tcp_max_outbound_connections or raise the limit (ulimit -n, LimitNOFILE=)";
}

}  // namespace sbc::sbcd
