#include "mediaplane/port_allocator.h"

namespace sbc::mediaplane {

PortAllocator::PortAllocator(uint16_t min, uint16_t max, std::chrono::milliseconds quarantine,
                             ClockFn clock)
    : quarantine_time_(quarantine), clock_(clock ? std::move(clock) : ClockFn(&Clock::now)) {
  uint32_t first = min + (min % 2);
  base_ = static_cast<uint16_t>(first);
  for (uint32_t p = first; p + 1 <= max; p += 2)
    free_.push_back(static_cast<uint16_t>(p));
  capacity_ = free_.size();
  inUse_.assign(capacity_, false);
}

void PortAllocator::thaw() {
  auto now = clock_();
  while (!quarantine_.empty() && quarantine_.front().first <= now) {
    free_.push_back(quarantine_.front().second);
    quarantine_.pop_front();
  }
}

std::optional<uint16_t> PortAllocator::allocate() {
  thaw();
  if (free_.empty()) return std::nullopt;
  uint16_t p = free_.front();
  free_.pop_front();
  inUse_[(p - base_) / 2] = true;
  return p;
}

std::optional<size_t> PortAllocator::unmark(uint16_t port) {
  if (port < base_ || port % 2 != 0) return std::nullopt;
  size_t index = (port - base_) / 2;
  if (index >= inUse_.size() || !inUse_[index]) return std::nullopt;  // double or foreign
  inUse_[index] = false;
  return index;
}

void PortAllocator::release(uint16_t port) {
  if (unmark(port)) quarantine_.emplace_back(clock_() + quarantine_time_, port);
}

void PortAllocator::releaseNow(uint16_t port) {
  if (unmark(port)) free_.push_back(port);
}

}  // namespace sbc::mediaplane
