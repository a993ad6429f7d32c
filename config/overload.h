#pragma once

// The overload section as plain data: per-source rate limit and scanner drops (before the
// transaction layer), caps on new calls (global and per-realm calls per second, per-route
// concurrent calls), shedding while the signaling thread lags. docs/CONFIG.md documents
// every key; tools/sbcd turns this into signaling/admission's settings.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sbc::config {

struct OverloadSettings {
  std::chrono::seconds retryAfter{5};        // Retry-After of a 503 from a cap
  std::chrono::milliseconds shedLoopLag{0};  // new calls get 503 above this loop lag; 0 = off
  uint32_t callsPerSecond = 0;               // over all realms; 0 = unlimited
  uint32_t callsPerSecondBurst = 0;          // 0 = one second's worth
  struct RealmCps {
    std::string realm;
    uint32_t callsPerSecond = 0;
    uint32_t burst = 0;
  };
  std::vector<RealmCps> realms;
  struct TrunkCalls {
    std::string route;
    uint32_t maxCalls = 0;
  };
  std::vector<TrunkCalls> trunks;

  // Per source IP address (in the spirit of Kamailio's pike); off when requests == 0.
  uint32_t sourceRequests = 0;  // requests per window
  std::chrono::milliseconds sourceWindow{1000};
  std::chrono::seconds sourceBlock{30};
  uint32_t sourceTableSize = 16384;
  std::vector<std::string> sourceRealms;  // realms whose listeners are limited; empty: all
  std::vector<std::string> sourceExempt;  // IP literals never limited

  bool dropScanners = true;
  std::vector<std::string> scannerUserAgents;  // empty: the built-in list
  std::vector<std::string> servedDomains;      // empty: any Request-URI host passes
};

}  // namespace sbc::config
