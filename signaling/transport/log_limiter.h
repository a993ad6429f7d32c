#pragma once

// Rate limit for the log lines a peer can cause (one per dropped or rejected message, per
// refused connection): the log is written synchronously on the signaling thread, so a
// flood that blocks stderr would stall signaling. Each kind of line gets at most `burst`
// lines per one-second window; the lines held back are counted and reported once, by the
// first line allowed after them ("suppressed K").

#include <chrono>
#include <cstdint>

namespace sbc::transport {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogLimiter(uint32_t burst = 10) : burst_(burst) {}

  // True when a line may be written at `now`. When it is, `suppressed` is the number of
  // lines held back since the last one allowed (0 if none), for a summary line.
  bool allow(Clock::time_point now, uint64_t& suppressed) {
    suppressed = 0;
    if (now - windowStart_ >= std::chrono::seconds(1)) {
      windowStart_ = now;
      used_ = 0;
    }
    if (used_ >= burst_) {
      ++held_;
      return false;
    }
    ++used_;
    suppressed = held_;
    total_ += held_;
    held_ = 0;
    return true;
  }

  uint64_t totalSuppressed() const { return total_ + held_; }

 private:
  uint32_t burst_;
  uint32_t used_ = 0;
  uint64_t held_ = 0;
  uint64_t total_ = 0;
  Clock::time_point windowStart_{};
};

}  // namespace sbc::transport
