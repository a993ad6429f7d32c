#pragma once

// The second admission step, in the B2BUA's call set-up: caps on new calls (initial
// INVITEs only, so in-dialog requests and established calls are never shed). A global and
// a per-realm calls-per-second cap (token buckets), a per-trunk (per-route) concurrent-call
// cap, and shedding while the signaling thread lags (the daemon measures the lag and
// reports it with setLoopLag). A refused call gets 503 with Retry-After from the B2BUA.
//
// Time is passed in; single-threaded, like the signaling side.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signaling/admission/token_bucket.h"
#include "signaling/timer/timer_service.h"

namespace sbc::admission {

struct CallCaps {
  uint32_t cps = 0;    // new calls a second over all realms; 0 = unlimited
  uint32_t burst = 0;  // how many may come at once; 0 = one second's worth
  struct Realm {
    std::string name;
    uint32_t cps = 0;
    uint32_t burst = 0;
  };
  std::vector<Realm> realms;  // per realm of the caller
  struct Trunk {
    std::string route;      // the route's name
    uint32_t maxCalls = 0;  // concurrent calls on the route; 0 = unlimited
  };
  std::vector<Trunk> trunks;
  std::chrono::seconds retryAfter{5};        // in the 503's Retry-After
  std::chrono::milliseconds shedLoopLag{0};  // lag above which new calls are shed; 0 = off
  std::vector<std::string> realmNames;       // refusal counters exist from the start for these
};

enum class Refusal : uint8_t { kGlobalCps, kRealmCps, kTrunkCalls, kLoopLag };
inline constexpr size_t kRefusals = 4;
std::string_view refusalName(Refusal r);    // "global_cps", "realm_cps", "trunk_calls", "loop_lag"
std::string_view refusalReason(Refusal r);  // the 503's reason phrase

class CallAdmission {
 public:
  static constexpr int kNoTrunk = -1;

  explicit CallAdmission(CallCaps caps);

  // A new call from realm `realm` on route `route`: nullopt when it may start, and then
  // `trunk` holds the route's slot until release(trunk); else why it may not.
  std::optional<Refusal> admit(std::string_view realm, std::string_view route, timer::TimePoint now,
                               int& trunk);
  void release(int trunk);

  // The signaling thread's recent loop lag (the daemon's probe).
  void setLoopLag(std::chrono::microseconds lag) { loopLag_ = lag; }
  std::chrono::microseconds loopLag() const { return loopLag_; }

  const CallCaps& caps() const { return caps_; }
  // Refusals by reason, over all realms and per realm of the caller.
  const std::array<uint64_t, kRefusals>& refused() const { return refused_; }
  const std::unordered_map<std::string, std::array<uint64_t, kRefusals>>& refusedByRealm() const {
    return refusedByRealm_;
  }
  struct TrunkState {
    std::string route;
    uint32_t maxCalls = 0;
    uint32_t active = 0;
  };
  const std::vector<TrunkState>& trunks() const { return trunks_; }

 private:
  std::optional<Refusal> refuse(std::string_view realm, Refusal why);

  CallCaps caps_;
  TokenBucket global_;
  std::unordered_map<std::string, TokenBucket> realmBuckets_;
  std::vector<TrunkState> trunks_;
  std::chrono::microseconds loopLag_{0};
  std::array<uint64_t, kRefusals> refused_{};
  std::unordered_map<std::string, std::array<uint64_t, kRefusals>> refusedByRealm_;
};

}  // namespace sbc::admission
