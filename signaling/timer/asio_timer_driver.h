#pragma once

// Drives a TimerWheel from a Boost.Asio io_context: one steady_timer sleeps until the
// wheel's next deadline, calls advance() and sleeps again. With nothing pending no wait
// is outstanding at all; a schedule() that comes earlier than the current sleep re-arms
// it through the wheel's wakeup hook. The wheel must use the steady clock (the default).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "signaling/timer/timer_wheel.h"

namespace sbc::timer {

class AsioTimerDriver {
 public:
  AsioTimerDriver(boost::asio::io_context& io, TimerWheel& wheel);
  ~AsioTimerDriver();
  AsioTimerDriver(const AsioTimerDriver&) = delete;
  AsioTimerDriver& operator=(const AsioTimerDriver&) = delete;

  // Starts driving (installs the wheel's wakeup hook and arms for pending timers).
  void start();
  // Stops driving: no further advance() from this driver; pending timers stay pending.
  void stop();

  bool armed() const { return armed_; }

 private:
  void rearm();
  void armAt(TimePoint when);
  void onExpiry(uint64_t sequence);

  TimerWheel& wheel_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  bool armed_ = false;
  TimePoint armedAt_{};
  uint64_t sequence_ = 0;  // identifies the current wait: an older completion is ignored
  // A completion already queued when the driver is destroyed must not touch it.
  std::shared_ptr<AsioTimerDriver*> alive_ = std::make_shared<AsioTimerDriver*>(this);
};

}  // namespace sbc::timer
