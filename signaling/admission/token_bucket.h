#pragma once

// A token bucket (the CPS caps): `rate` tokens a second, at most `burst` saved up. Time is
// passed in, so tests drive it with an injected clock and the daemon with the timer's.

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "signaling/timer/timer_service.h"

namespace sbc::admission {

class TokenBucket {
 public:
  TokenBucket() = default;
  // rate 0: unlimited (take() always succeeds). burst 0: one second's worth.
  TokenBucket(uint32_t rate, uint32_t burst) { configure(rate, burst); }

  void configure(uint32_t rate, uint32_t burst) {
    rate_ = rate;
    burst_ = burst ? burst : rate;
    tokens_ = double(burst_);
    started_ = false;
  }
  bool unlimited() const { return rate_ == 0; }

  // Takes one token when there is one.
  bool take(timer::TimePoint now) {
    if (rate_ == 0) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  void refill(timer::TimePoint now) {
    if (!started_) {
      started_ = true;
      last_ = now;
      return;
    }
    if (now <= last_) return;  // a clock that stands still or steps back adds nothing
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(double(burst_), tokens_ + seconds * rate_);
    last_ = now;
  }

  uint32_t rate_ = 0;
  uint32_t burst_ = 0;
  double tokens_ = 0;
  bool started_ = false;
  timer::TimePoint last_{};
};

}  // namespace sbc::admission
