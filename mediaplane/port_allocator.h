#pragma once

// Media port allocation for one realm's media address and port range: an even RTP port
// with RTCP on the next one (or the RTP port alone for rtcp-mux). A released port rests in
// quarantine before it is handed out again, so that late packets of an ended call cannot
// reach the next call that gets the port.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace sbc::mediaplane {

class PortAllocator {
 public:
  using Clock = std::chrono::steady_clock;
  using ClockFn = std::function<Clock::time_point()>;

  // [min, max]: min is rounded up to even; a pair needs min..max to hold port+1.
  PortAllocator(uint16_t min, uint16_t max, std::chrono::milliseconds quarantine,
                ClockFn clock = {});

  // An even port P (RTCP is P + 1), or nullopt when every pair is in use or resting.
  std::optional<uint16_t> allocate();
  // Returns P to the pool after the quarantine. Ports never allocated are ignored.
  void release(uint16_t port);
  // Returns P to the pool at once: for a port no peer was ever told of (a set-up that
  // failed before its SDP left), which no late packet can be aimed at.
  void releaseNow(uint16_t port);

  size_t free() const { return free_.size(); }
  size_t resting() const { return quarantine_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  void thaw();
  // P's index when it is allocated now (and marks it free), else nullopt.
  std::optional<size_t> unmark(uint16_t port);

  std::deque<uint16_t> free_;  // FIFO: a port is reused as late as possible
  std::deque<std::pair<Clock::time_point, uint16_t>> quarantine_;
  std::vector<bool> inUse_;  // by (port - base) / 2
  uint16_t base_ = 0;
  size_t capacity_ = 0;
  std::chrono::milliseconds quarantine_time_;
  ClockFn clock_;
};

}  // namespace sbc::mediaplane
