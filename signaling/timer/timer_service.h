#pragma once

// The one timer mechanism of the signaling side (RFC 3261 timers A-K, 2xx retransmission,
// no-answer and session timeouts). Everything runs on the signaling thread: callbacks
// fire from TimerWheel::advance(), never concurrently.

#include <chrono>
#include <cstdint>
#include <functional>

namespace sbc::timer {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

// 0 is never a valid id: it means "no timer".
using TimerId = uint64_t;

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual TimePoint now() const = 0;
  // Calls `fn` once, `after` from now (rounded up to the service's tick).
  virtual TimerId schedule(Duration after, std::function<void()> fn) = 0;
  // Cancels a pending timer; ids that already fired or were cancelled are ignored.
  virtual void cancel(TimerId id) = 0;
};

}  // namespace sbc::timer
