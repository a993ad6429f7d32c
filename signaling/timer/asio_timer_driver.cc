#include "signaling/timer/asio_timer_driver.h"

#include <boost/system/error_code.hpp>

namespace sbc::timer {

AsioTimerDriver::AsioTimerDriver(boost::asio::io_context& io, TimerWheel& wheel)
    : wheel_(wheel), timer_(io) {}

AsioTimerDriver::~AsioTimerDriver() {
  stop();
}

void AsioTimerDriver::start() {
  if (running_) return;
  running_ = true;
  wheel_.setWakeup([this](TimePoint when) { armAt(when); });
  rearm();
}

void AsioTimerDriver::stop() {
  if (!running_) return;
  running_ = false;
  wheel_.setWakeup(nullptr);
  ++sequence_;
  armed_ = false;
  timer_.cancel();
}

void AsioTimerDriver::rearm() {
  armed_ = false;
  if (std::optional<TimePoint> next = wheel_.nextDeadline()) armAt(*next);
}

void AsioTimerDriver::armAt(TimePoint when) {
  if (!running_ || (armed_ && armedAt_ <= when)) return;
  armed_ = true;
  armedAt_ = when;
  uint64_t sequence = ++sequence_;
  // expires_at() aborts the previous wait; its completion then carries an old sequence.
  timer_.expires_at(when);
  std::weak_ptr<AsioTimerDriver*> alive = alive_;
  timer_.async_wait([alive, sequence](const boost::system::error_code& ec) {
    if (std::shared_ptr<AsioTimerDriver*> self = alive.lock(); self && !ec) {
      (*self)->onExpiry(sequence);
    }
  });
}

void AsioTimerDriver::onExpiry(uint64_t sequence) {
  if (!running_ || sequence != sequence_) return;
  armed_ = false;
  wheel_.advance();
  rearm();
}

}  // namespace sbc::timer
