#pragma once

// A hashed timing wheel (Varghese & Lauck, scheme 6) implementing TimerService for the
// signaling thread. Timers live in a pool of nodes linked into per-slot intrusive lists,
// so schedule() and cancel() are O(1) and allocate only when the pool grows. A timer
// further away than one revolution waits in its slot for the right round: each node keeps
// its absolute tick and a slot fires only the nodes whose tick has come.
//
// Time comes from the clock function the wheel is given (tests pass a manual clock);
// nothing moves until advance() is called, by AsioTimerDriver in the process.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "signaling/timer/timer_service.h"

namespace sbc::timer {

struct TimerWheelOptions {
  Duration tick{10};      // granularity: deadlines are rounded up to a tick boundary
  uint32_t slots = 4096;  // one revolution = slots * tick (41 s by default: Timer B/H fit)
};

class TimerWheel : public TimerService {
 public:
  using ClockFn = std::function<TimePoint()>;

  // An empty `clock` means the steady clock (what AsioTimerDriver needs).
  explicit TimerWheel(ClockFn clock = {}, TimerWheelOptions options = {});
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // TimerService
  TimePoint now() const override { return clock_(); }
  TimerId schedule(Duration after, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  // Fires every timer due by `now`, in deadline order (ties: in scheduling order).
  // Callbacks may schedule and cancel any timer, the firing one included. A timer a
  // callback schedules that is already due fires in this call when its tick is still
  // ahead, else in the next one (so a callback re-arming itself at 0 ms cannot spin).
  // Not re-entrant: advance() from inside a callback does nothing.
  void advance(TimePoint now);
  void advance() { advance(clock_()); }

  // When the earliest pending timer fires (its tick boundary), nullopt when none is
  // pending. May be in the past: then the next advance() fires it.
  std::optional<TimePoint> nextDeadline() const;

  // Called after schedule() (outside advance()) with the new timer's firing time, so a
  // driver sleeping until a later deadline can wake earlier. Optional.
  void setWakeup(std::function<void(TimePoint)> wakeup) { wakeup_ = std::move(wakeup); }

  size_t size() const { return size_; }
  Duration tick() const { return tick_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr uint32_t kDueList = UINT32_MAX - 1;   // `list` of nodes already due
  static constexpr uint32_t kDetached = UINT32_MAX - 2;  // free, or taken for firing

  struct Node {
    std::function<void()> fn;
    TimePoint deadline;
    uint64_t tick = 0;  // absolute tick it fires at
    uint32_t prev = kNil;
    uint32_t next = kNil;
    uint32_t generation = 1;    // bumped on release: a stale TimerId no longer matches
    uint32_t list = kDetached;  // slot index, kDueList or kDetached
  };
  struct List {
    uint32_t head = kNil;
    uint32_t tail = kNil;
  };
  struct Firing {
    uint32_t index;
    uint32_t generation;
    TimePoint deadline;
  };

  static TimerId makeId(uint32_t index, uint32_t generation) {
    return (static_cast<uint64_t>(generation) << 32) | index;
  }
  uint64_t tickAt(TimePoint t) const;  // the first tick boundary at or after t
  TimePoint timeOf(uint64_t tick) const { return origin_ + tick_ * tick; }
  List& listOf(uint32_t list) { return list == kDueList ? due_ : slots_[list]; }
  void link(uint32_t index, uint32_t list);
  void unlink(uint32_t index);
  void release(uint32_t index);
  // Moves the nodes of `list` due at `tick` (all of them for the due list) to firing_.
  void collect(uint32_t list, uint64_t tick, bool all);
  void fireCollected();

  ClockFn clock_;
  Duration tick_;
  TimePoint origin_;
  uint64_t nextTick_ = 1;  // every tick before this one has been processed
  std::vector<List> slots_;
  List due_;  // scheduled outside advance() with a tick already processed
  std::vector<Node> nodes_;
  uint32_t free_ = kNil;  // free nodes, chained through `next`
  size_t size_ = 0;
  bool advancing_ = false;
  std::vector<Firing> firing_;  // scratch for one batch, kept to avoid allocating
  std::function<void(TimePoint)> wakeup_;
};

}  // namespace sbc::timer
