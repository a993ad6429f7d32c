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
  // Of `rejected`: refused with 503 and Retry-After because a table was full.
  uint64_t overCallTable = 0;    // the B2BUA's calls (sip.max_calls)
  uint64_t overDialogTable = 0;  // the B2BUA's dialogs (sip.max_dialogs)
  uint64_t overRealmCalls = 0;   // the caller's realm's limits.max_calls
  // Of `failed`: leg B answered after the caller's transaction had ended (ACKed, BYEd).
  uint64_t callerGone = 0;
  // `event=reject` log lines held back by the rate limit (a flood of refused INVITEs must
  // not stall the signaling thread on a blocking stderr).
  uint64_t rejectLogsSuppressed = 0;
};

}  // namespace sbc::b2bua
