#pragma once

// How the calls went, in total and per realm: plain counters, read by whoever reports them.

#include <cstdint>

namespace sbc::b2bua {

struct CallCounters {
  uint64_t started = 0;    // INVITEs that were routed out
  uint64_t answered = 0;   // 2xx relayed to the caller
  uint64_t busy = 0;       // 486/600 relayed
  uint64_t cancelled = 0;  // caller CANCEL
  uint64_t failed = 0;     // other failures (including timeouts)
  uint64_t rejected = 0;   // refused by the SBC itself (no route, limits, bad SDP, 483)
};

}  // namespace sbc::b2bua
