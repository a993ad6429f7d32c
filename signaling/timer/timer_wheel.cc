#include "signaling/timer/timer_wheel.h"

#include <algorithm>
#include <utility>

namespace sbc::timer {

TimerWheel::TimerWheel(ClockFn clock, TimerWheelOptions options)
    : clock_(clock ? std::move(clock) : [] { return Clock::now(); }),
      tick_(std::max(options.tick, Duration(1))),
      origin_(clock_()),
      slots_(std::max<uint32_t>(options.slots, 1)) {}

uint64_t TimerWheel::tickAt(TimePoint t) const {
  if (t <= origin_) return 0;
  auto elapsed = std::chrono::duration_cast<Clock::duration>(t - origin_).count();
  auto step = std::chrono::duration_cast<Clock::duration>(tick_).count();
  return static_cast<uint64_t>((elapsed + step - 1) / step);
}

TimerId TimerWheel::schedule(Duration after, std::function<void()> fn) {
  if (!fn) return 0;
  uint32_t index = free_;
  if (index != kNil) {
    free_ = nodes_[index].next;
  } else {
    index = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& n = nodes_[index];
  n.fn = std::move(fn);
  n.deadline = clock_() + std::max(after, Duration(0));
  n.tick = tickAt(n.deadline);
  ++size_;
  if (advancing_) {
    // Inside advance() a tick already passed would be lost: take the next one processed.
    n.tick = std::max(n.tick, nextTick_);
    link(index, static_cast<uint32_t>(n.tick % slots_.size()));
  } else if (n.tick < nextTick_) {
    link(index, kDueList);
  } else {
    link(index, static_cast<uint32_t>(n.tick % slots_.size()));
  }
  TimerId id = makeId(index, n.generation);
  if (!advancing_ && wakeup_) wakeup_(timeOf(nodes_[index].tick));
  return id;
}

void TimerWheel::cancel(TimerId id) {
  uint32_t index = static_cast<uint32_t>(id & 0xffffffffu);
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (id == 0 || index >= nodes_.size() || nodes_[index].generation != generation) return;
  // A node taken for firing is detached but still live: releasing it is enough, the
  // batch skips it by generation.
  if (nodes_[index].list != kDetached) unlink(index);
  release(index);
}

void TimerWheel::link(uint32_t index, uint32_t list) {
  Node& n = nodes_[index];
  List& l = listOf(list);
  n.list = list;
  n.next = kNil;
  n.prev = l.tail;
  if (l.tail != kNil) {
    nodes_[l.tail].next = index;
  } else {
    l.head = index;
  }
  l.tail = index;
}

void TimerWheel::unlink(uint32_t index) {
  Node& n = nodes_[index];
  List& l = listOf(n.list);
  if (n.prev != kNil) {
    nodes_[n.prev].next = n.next;
  } else {
    l.head = n.next;
  }
  if (n.next != kNil) {
    nodes_[n.next].prev = n.prev;
  } else {
    l.tail = n.prev;
  }
  n.prev = n.next = kNil;
  n.list = kDetached;
}

void TimerWheel::release(uint32_t index) {
  Node& n = nodes_[index];
  n.fn = nullptr;
  if (++n.generation == 0) n.generation = 1;  // id 0 means "no timer"
  n.list = kDetached;
  n.next = free_;
  free_ = index;
  --size_;
}

void TimerWheel::collect(uint32_t list, uint64_t tick, bool all) {
  for (uint32_t i = listOf(list).head; i != kNil;) {
    uint32_t next = nodes_[i].next;
    if (all || nodes_[i].tick == tick) {
      unlink(i);
      firing_.push_back({i, nodes_[i].generation, nodes_[i].deadline});
    }
    i = next;
  }
  // Lists are in scheduling order, so a stable sort keeps ties first-come first-fired.
  std::stable_sort(firing_.begin(), firing_.end(),
                   [](const Firing& a, const Firing& b) { return a.deadline < b.deadline; });
}

void TimerWheel::fireCollected() {
  for (const Firing& f : firing_) {
    if (nodes_[f.index].generation != f.generation) continue;  // cancelled by an earlier one
    // Release before the call: the callback may cancel its own (now stale) id, and may
    // schedule into the pool, which can reallocate nodes_.
    std::function<void()> fn = std::move(nodes_[f.index].fn);
    release(f.index);
    fn();
  }
  firing_.clear();
}

void TimerWheel::advance(TimePoint now) {
  if (advancing_) return;
  advancing_ = true;
  collect(kDueList, 0, true);
  fireCollected();
  uint64_t target = tickAt(now);
  if (target > 0 && timeOf(target) > now) --target;  // the last boundary at or before now
  while (nextTick_ <= target) {
    if (size_ == 0) {
      nextTick_ = target + 1;  // nothing pending: skip an idle stretch at once
      break;
    }
    uint64_t tick = nextTick_++;
    collect(static_cast<uint32_t>(tick % slots_.size()), tick, false);
    fireCollected();
  }
  advancing_ = false;
}

std::optional<TimePoint> TimerWheel::nextDeadline() const {
  if (size_ == 0) return std::nullopt;
  std::optional<uint64_t> best;
  for (uint32_t i = due_.head; i != kNil; i = nodes_[i].next) {
    if (!best || nodes_[i].tick < *best) best = nodes_[i].tick;
  }
  if (best) return timeOf(*best);
  // Walk one revolution from the next tick; a slot may also hold later rounds.
  for (uint64_t tick = nextTick_; tick < nextTick_ + slots_.size(); ++tick) {
    for (uint32_t i = slots_[tick % slots_.size()].head; i != kNil; i = nodes_[i].next) {
      if (nodes_[i].tick == tick) return timeOf(tick);
    }
  }
  // Only timers more than a revolution away: the rare slow path.
  for (const Node& n : nodes_) {
    if (n.list != kDetached && (!best || n.tick < *best)) best = n.tick;
  }
  return best ? std::optional<TimePoint>(timeOf(*best)) : std::nullopt;
}

}  // namespace sbc::timer
