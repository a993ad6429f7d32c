#pragma once

// Per-source-IP request rate limiting in the spirit of Kamailio's `pike`: every source
// address has a leaky bucket (`requests` per `window` drain out of it, `requests` fit in);
// a source that overflows it is blocked for `blockTime`, and stays blocked while it keeps
// sending above the rate. The table of sources is bounded: when it is full the source
// seen longest ago is evicted, so a flood of spoofed source addresses costs a fixed amount
// of memory (and evicts only quiet sources first: a blocked flooder is recent).
//
// Time is passed in (an injected clock for tests). Single-threaded, like the signaling side.

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "mediaplane/api/address.h"
#include "signaling/timer/timer_service.h"

namespace sbc::admission {

struct SourceLimits {
  uint32_t requests = 0;  // per window; 0 = no per-source limit
  std::chrono::milliseconds window{1000};
  std::chrono::milliseconds blockTime{30000};
  uint32_t tableSize = 16384;  // sources tracked at once (memory bound)
};

class SourceLimiter {
 public:
  enum class Verdict : uint8_t {
    kPass,
    kBlocked,       // this request made the source overflow: it is blocked from now
    kStillBlocked,  // the source is blocked
  };

  explicit SourceLimiter(const SourceLimits& limits);

  bool enabled() const { return limits_.requests != 0; }
  // One request from `source` at `now`.
  Verdict request(const net::IpAddress& source, timer::TimePoint now);

  size_t tracked() const { return index_.size(); }
  size_t blocked(timer::TimePoint now) const;  // sources blocked at `now` (a scan: scrape only)
  uint64_t evictions() const { return evictions_; }
  uint64_t blocks() const { return blocks_; }  // times a source went from passing to blocked

 private:
  static constexpr uint32_t kNil = 0xffffffff;
  struct Key {
    uint8_t family;
    std::array<uint8_t, 16> bytes;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    Key key{};
    double level = 0;  // requests in the bucket
    timer::TimePoint last{};
    timer::TimePoint blockedUntil{};
    bool blocked = false;
    uint32_t prev = kNil, next = kNil;  // the recency list, most recent first
  };

  uint32_t slotFor(const Key& key, timer::TimePoint now);
  void unlink(uint32_t i);
  void pushFront(uint32_t i);

  SourceLimits limits_;
  double ratePerSecond_;
  std::vector<Entry> entries_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  uint32_t head_ = kNil, tail_ = kNil;
  uint64_t evictions_ = 0;
  uint64_t blocks_ = 0;
};

}  // namespace sbc::admission
