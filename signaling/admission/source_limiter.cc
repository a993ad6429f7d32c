#include "signaling/admission/source_limiter.h"

#include <algorithm>
#include <cstring>

namespace sbc::admission {

size_t SourceLimiter::KeyHash::operator()(const Key& k) const {
  // FNV-1a over the address: cheap, and the table is bounded whatever the spread.
  uint64_t h = 1469598103934665603ull ^ k.family;
  for (uint8_t b : k.bytes)
    h = (h ^ b) * 1099511628211ull;
  return size_t(h);
}

SourceLimiter::SourceLimiter(const SourceLimits& limits)
    : limits_(limits),
      ratePerSecond_(limits.window.count() > 0
                         ? double(limits.requests) * 1000.0 / double(limits.window.count())
                         : double(limits.requests)) {
  limits_.tableSize = std::max<uint32_t>(limits_.tableSize, 1);
  if (enabled()) {
    entries_.reserve(limits_.tableSize);
    index_.reserve(limits_.tableSize);
  }
}

void SourceLimiter::unlink(uint32_t i) {
  Entry& e = entries_[i];
  if (e.prev != kNil)
    entries_[e.prev].next = e.next;
  else
    head_ = e.next;
  if (e.next != kNil)
    entries_[e.next].prev = e.prev;
  else
    tail_ = e.prev;
  e.prev = e.next = kNil;
}

void SourceLimiter::pushFront(uint32_t i) {
  Entry& e = entries_[i];
  e.prev = kNil;
  e.next = head_;
  if (head_ != kNil) entries_[head_].prev = i;
  head_ = i;
  if (tail_ == kNil) tail_ = i;
}

uint32_t SourceLimiter::slotFor(const Key& key, timer::TimePoint now) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    uint32_t i = it->second;
    if (head_ != i) {
      unlink(i);
      pushFront(i);
    }
    return i;
  }
  uint32_t i;
  if (entries_.size() < limits_.tableSize) {
    i = uint32_t(entries_.size());
    entries_.emplace_back();
  } else {
    // Full: the source seen longest ago gives its slot up.
    i = tail_;
    unlink(i);
    index_.erase(entries_[i].key);
    ++evictions_;
  }
  entries_[i] = Entry{};
  entries_[i].key = key;
  entries_[i].last = now;
  index_.emplace(key, i);
  pushFront(i);
  return i;
}

SourceLimiter::Verdict SourceLimiter::request(const net::IpAddress& source, timer::TimePoint now) {
  if (!enabled()) return Verdict::kPass;
  Key key{source.family, source.bytes};
  Entry& e = entries_[slotFor(key, now)];
  if (now > e.last) {
    double seconds = std::chrono::duration<double>(now - e.last).count();
    e.level = std::max(0.0, e.level - seconds * ratePerSecond_);
    e.last = now;
  }
  // Capped, so a source that stops sending is forgiven within a couple of windows.
  e.level = std::min(e.level + 1.0, 2.0 * limits_.requests);
  bool over = e.level > double(limits_.requests);
  if (e.blocked) {
    if (now < e.blockedUntil) return Verdict::kStillBlocked;
    if (over) {  // still sending above the rate when the block ends: it goes on
      e.blockedUntil = now + limits_.blockTime;
      return Verdict::kStillBlocked;
    }
    e.blocked = false;
  }
  if (over) {
    e.blocked = true;
    e.blockedUntil = now + limits_.blockTime;
    ++blocks_;
    return Verdict::kBlocked;
  }
  return Verdict::kPass;
}

size_t SourceLimiter::blocked(timer::TimePoint now) const {
  size_t n = 0;
  for (uint32_t i = head_; i != kNil; i = entries_[i].next) {
    if (entries_[i].blocked && now < entries_[i].blockedUntil) ++n;
  }
  return n;
}

}  // namespace sbc::admission
