#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "signaling/timer/asio_timer_driver.h"
#include "signaling/timer/timer_wheel.h"

namespace sbc::timer {
namespace {

using std::chrono::milliseconds;

// A clock the test moves by hand.
struct ManualClock {
  TimePoint now = TimePoint() + std::chrono::hours(1);
  TimerWheel::ClockFn fn() {
    return [this] { return now; };
  }
};

class TimerWheelTest : public ::testing::Test {
 protected:
  TimePoint at(int ms) const { return start_ + milliseconds(ms); }
  // Moves the clock to `ms` after the start and advances the wheel.
  void advanceTo(int ms) {
    clock_.now = at(ms);
    wheel_.advance(clock_.now);
  }
  int elapsedMs() const {
    return static_cast<int>(std::chrono::duration_cast<milliseconds>(clock_.now - start_).count());
  }
  // Records the current clock time under `name` when it fires.
  std::function<void()> record(std::string name) {
    return [this, name] { fired_.push_back(name + "@" + std::to_string(elapsedMs())); };
  }

  ManualClock clock_;
  TimePoint start_ = clock_.now;
  TimerWheel wheel_{clock_.fn()};
  std::vector<std::string> fired_;
};

TEST_F(TimerWheelTest, FiresWhenDueAndNotBefore) {
  wheel_.schedule(milliseconds(100), record("a"));
  EXPECT_EQ(wheel_.size(), 1u);
  advanceTo(90);
  advanceTo(99);
  EXPECT_TRUE(fired_.empty());
  advanceTo(100);
  EXPECT_EQ(fired_, std::vector<std::string>{"a@100"});
  EXPECT_EQ(wheel_.size(), 0u);
  advanceTo(1000);
  EXPECT_EQ(fired_.size(), 1u);  // once only
}

TEST_F(TimerWheelTest, DeadlineRoundsUpToTheTick) {
  wheel_.schedule(milliseconds(15), record("a"));
  advanceTo(15);
  EXPECT_TRUE(fired_.empty());
  advanceTo(19);
  EXPECT_TRUE(fired_.empty());
  advanceTo(20);
  EXPECT_EQ(fired_, std::vector<std::string>{"a@20"});
}

TEST_F(TimerWheelTest, ConfigurableTick) {
  TimerWheel coarse(clock_.fn(), TimerWheelOptions{milliseconds(100), 64});
  EXPECT_EQ(coarse.tick(), milliseconds(100));
  coarse.schedule(milliseconds(110), record("a"));
  clock_.now = at(199);
  coarse.advance(clock_.now);
  EXPECT_TRUE(fired_.empty());
  clock_.now = at(200);
  coarse.advance(clock_.now);
  EXPECT_EQ(fired_, std::vector<std::string>{"a@200"});
}

TEST_F(TimerWheelTest, FiresInDeadlineOrderAcrossAJump) {
  wheel_.schedule(milliseconds(300), record("c"));
  wheel_.schedule(milliseconds(100), record("a"));
  wheel_.schedule(milliseconds(200), record("b"));
  advanceTo(1000);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a@1000", "b@1000", "c@1000"}));
}

TEST_F(TimerWheelTest, SameTickFiresInDeadlineOrderThenSchedulingOrder) {
  clock_.now = at(1);  // between ticks, so deadlines 7 and 3 ms later share tick 1
  wheel_.schedule(milliseconds(7), record("late"));
  wheel_.schedule(milliseconds(3), record("early"));
  wheel_.schedule(milliseconds(7), record("late2"));
  advanceTo(10);
  EXPECT_EQ(fired_, (std::vector<std::string>{"early@10", "late@10", "late2@10"}));
}

TEST_F(TimerWheelTest, CancelPreventsFiring) {
  TimerId a = wheel_.schedule(milliseconds(50), record("a"));
  wheel_.schedule(milliseconds(50), record("b"));
  EXPECT_NE(a, 0u);
  wheel_.cancel(a);
  EXPECT_EQ(wheel_.size(), 1u);
  advanceTo(100);
  EXPECT_EQ(fired_, std::vector<std::string>{"b@100"});
}

TEST_F(TimerWheelTest, StaleAndZeroIdsAreIgnored) {
  TimerId a = wheel_.schedule(milliseconds(10), record("a"));
  advanceTo(10);
  // The node is reused by the next timer: the old id must not cancel it.
  TimerId b = wheel_.schedule(milliseconds(10), record("b"));
  EXPECT_NE(a, b);
  wheel_.cancel(a);
  wheel_.cancel(a);
  wheel_.cancel(0);
  wheel_.cancel(0xdeadbeef00000007ull);
  EXPECT_EQ(wheel_.size(), 1u);
  advanceTo(20);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a@10", "b@20"}));
  wheel_.cancel(b);  // already fired
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, CancelTwiceIsHarmless) {
  TimerId a = wheel_.schedule(milliseconds(10), record("a"));
  wheel_.cancel(a);
  wheel_.cancel(a);
  EXPECT_EQ(wheel_.size(), 0u);
  advanceTo(100);
  EXPECT_TRUE(fired_.empty());
}

TEST_F(TimerWheelTest, EmptyFunctionIsNoTimer) {
  EXPECT_EQ(wheel_.schedule(milliseconds(10), nullptr), 0u);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, CallbackCancelsItself) {
  TimerId self = 0;
  self = wheel_.schedule(milliseconds(10), [&] {
    wheel_.cancel(self);
    fired_.push_back("self");
  });
  advanceTo(10);
  EXPECT_EQ(fired_, std::vector<std::string>{"self"});
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, CallbackCancelsAnotherInTheSameSlot) {
  TimerId victim = 0;
  wheel_.schedule(milliseconds(10), [&] {
    fired_.push_back("first");
    wheel_.cancel(victim);
  });
  victim = wheel_.schedule(milliseconds(10), record("victim"));
  wheel_.schedule(milliseconds(10), record("third"));
  advanceTo(10);
  EXPECT_EQ(fired_, (std::vector<std::string>{"first", "third@10"}));
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, CallbackCancelsAndReschedulesIntoTheSameSlot) {
  // The cancelled node is reused at once for a new timer: the batch must not fire it
  // under the old id.
  TimerId victim = 0;
  wheel_.schedule(milliseconds(10), [&] {
    wheel_.cancel(victim);
    wheel_.schedule(milliseconds(30), record("new"));
  });
  victim = wheel_.schedule(milliseconds(10), record("victim"));
  advanceTo(10);
  EXPECT_TRUE(fired_.empty());
  advanceTo(40);
  EXPECT_EQ(fired_, std::vector<std::string>{"new@40"});
}

TEST_F(TimerWheelTest, CallbackSchedulesATimerDueInTheSameAdvance) {
  wheel_.schedule(milliseconds(10), [&] {
    fired_.push_back("a");
    wheel_.schedule(milliseconds(20), record("b"));  // due at 1000+20: clock is at 1000
  });
  wheel_.schedule(milliseconds(500), record("c"));
  advanceTo(1000);
  // b is scheduled from the clock's time (1000 ms), so it is not due yet.
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "c@1000"}));
  advanceTo(1020);
  EXPECT_EQ(fired_.back(), "b@1020");
}

TEST_F(TimerWheelTest, TimerScheduledInACallbackFiresInDeadlineOrderWithinOneAdvance) {
  // Stepping the clock through advance() keeps callbacks' scheduling exact.
  wheel_.schedule(milliseconds(10), [&] {
    fired_.push_back("a@" + std::to_string(elapsedMs()));
    wheel_.schedule(milliseconds(20), record("b"));
  });
  wheel_.schedule(milliseconds(40), record("c"));
  for (int ms = 0; ms <= 50; ms += 10)
    advanceTo(ms);
  EXPECT_EQ(fired_, (std::vector<std::string>{"a@10", "b@30", "c@40"}));
}

TEST_F(TimerWheelTest, ZeroDelayRearmFromACallbackCannotSpin) {
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    wheel_.schedule(milliseconds(0), again);
  };
  wheel_.schedule(milliseconds(10), again);
  advanceTo(10);
  EXPECT_EQ(runs, 1);
  advanceTo(20);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(wheel_.size(), 1u);
}

TEST_F(TimerWheelTest, ZeroDelayTimerFiresOnTheNextAdvanceWithoutClockMovement) {
  advanceTo(100);
  wheel_.schedule(milliseconds(0), record("now"));
  ASSERT_TRUE(wheel_.nextDeadline().has_value());
  EXPECT_LE(*wheel_.nextDeadline(), clock_.now);
  wheel_.advance(clock_.now);
  EXPECT_EQ(fired_, std::vector<std::string>{"now@100"});
}

TEST_F(TimerWheelTest, ZeroDelayTimersComeBeforeLaterOnes) {
  advanceTo(100);
  wheel_.schedule(milliseconds(10), record("later"));
  wheel_.schedule(milliseconds(0), record("now"));
  advanceTo(200);
  EXPECT_EQ(fired_, (std::vector<std::string>{"now@200", "later@200"}));
}

TEST_F(TimerWheelTest, TimersBeyondOneRevolutionWaitForTheirRound) {
  TimerWheel small(clock_.fn(), TimerWheelOptions{milliseconds(10), 8});  // 80 ms around
  small.schedule(milliseconds(1000), record("far"));
  small.schedule(milliseconds(200), record("mid"));
  small.schedule(milliseconds(40), record("near"));
  for (int ms = 10; ms <= 1200; ms += 10) {
    clock_.now = at(ms);
    small.advance(clock_.now);
  }
  EXPECT_EQ(fired_, (std::vector<std::string>{"near@40", "mid@200", "far@1000"}));
}

TEST_F(TimerWheelTest, RoundsInTheSameSlotFireSeparately) {
  TimerWheel small(clock_.fn(), TimerWheelOptions{milliseconds(10), 4});  // 40 ms around
  for (int ms : {50, 10, 90, 130})
    small.schedule(milliseconds(ms), record(std::to_string(ms)));
  for (int ms = 10; ms <= 130; ms += 10) {
    clock_.now = at(ms);
    small.advance(clock_.now);
  }
  EXPECT_EQ(fired_, (std::vector<std::string>{"10@10", "50@50", "90@90", "130@130"}));
}

TEST_F(TimerWheelTest, NextDeadline) {
  EXPECT_FALSE(wheel_.nextDeadline().has_value());
  wheel_.schedule(milliseconds(305), record("a"));
  wheel_.schedule(milliseconds(120), record("b"));
  EXPECT_EQ(wheel_.nextDeadline(), at(120));
  advanceTo(120);
  EXPECT_EQ(wheel_.nextDeadline(), at(310));  // rounded up to the tick
  advanceTo(310);
  EXPECT_FALSE(wheel_.nextDeadline().has_value());
}

TEST_F(TimerWheelTest, NextDeadlineBeyondOneRevolution) {
  TimerWheel small(clock_.fn(), TimerWheelOptions{milliseconds(10), 8});
  small.schedule(milliseconds(5000), record("far"));
  small.schedule(milliseconds(3000), record("less far"));
  EXPECT_EQ(small.nextDeadline(), at(3000));
}

TEST_F(TimerWheelTest, IdleStretchesAreSkipped) {
  advanceTo(10 * 3600 * 1000);  // ten hours with nothing pending
  wheel_.schedule(milliseconds(10), record("a"));
  advanceTo(10 * 3600 * 1000 + 10);
  EXPECT_EQ(fired_.size(), 1u);
}

TEST_F(TimerWheelTest, AdvanceIsNotReentrant) {
  wheel_.schedule(milliseconds(10), [&] {
    fired_.push_back("outer");
    wheel_.advance(at(1000));  // ignored
  });
  wheel_.schedule(milliseconds(500), record("inner"));
  advanceTo(10);
  EXPECT_EQ(fired_, std::vector<std::string>{"outer"});
  EXPECT_EQ(wheel_.size(), 1u);
}

TEST_F(TimerWheelTest, WakeupHookSeesTimersScheduledOutsideAdvance) {
  std::vector<TimePoint> wakeups;
  wheel_.setWakeup([&](TimePoint t) { wakeups.push_back(t); });
  wheel_.schedule(milliseconds(25), [&] { wheel_.schedule(milliseconds(10), [] {}); });
  ASSERT_EQ(wakeups.size(), 1u);
  EXPECT_EQ(wakeups[0], at(30));
  advanceTo(30);
  EXPECT_EQ(wakeups.size(), 1u);  // the driver re-arms after advance() anyway
}

TEST_F(TimerWheelTest, ManyTimersFireOnceInOrderAndNeverEarly) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> delay(0, 100000);
  TimerWheel small(clock_.fn(), TimerWheelOptions{milliseconds(10), 256});
  struct Fire {
    TimePoint deadline;
    TimePoint at;
  };
  std::vector<Fire> fires;
  std::vector<TimerId> ids;
  std::vector<bool> cancelled;
  for (int i = 0; i < 5000; ++i) {
    TimePoint deadline = clock_.now + milliseconds(delay(rng));
    ids.push_back(small.schedule(std::chrono::duration_cast<milliseconds>(deadline - clock_.now),
                                 [&, deadline] {
                                   fires.push_back({deadline, clock_.now});
                                 }));
  }
  for (int i = 0; i < 5000; i += 7)
    small.cancel(ids[i]);
  size_t expected = small.size();
  std::uniform_int_distribution<int> step(1, 700);
  while (small.size() > 0) {
    clock_.now += milliseconds(step(rng));
    small.advance(clock_.now);
  }
  ASSERT_EQ(fires.size(), expected);
  for (size_t i = 0; i < fires.size(); ++i) {
    EXPECT_LE(fires[i].deadline, fires[i].at);
    if (i > 0) {
      EXPECT_LE(fires[i - 1].deadline, fires[i].deadline);
    }
  }
}

// ---- AsioTimerDriver against a real io_context ------------------------------------------

TEST(AsioTimerDriver, FiresTimersAndLetsTheLoopEndWhenIdle) {
  boost::asio::io_context io;
  TimerWheel wheel;
  AsioTimerDriver driver(io, wheel);
  driver.start();
  std::vector<int> order;
  auto begin = Clock::now();
  wheel.schedule(milliseconds(60), [&] { order.push_back(60); });
  wheel.schedule(milliseconds(20), [&] { order.push_back(20); });
  wheel.schedule(milliseconds(40), [&] {
    order.push_back(40);
    wheel.schedule(milliseconds(30), [&] { order.push_back(70); });
  });
  // run() returns only when no wait is outstanding: once idle, the driver waits on nothing.
  io.run();
  auto took = Clock::now() - begin;
  EXPECT_EQ(order, (std::vector<int>{20, 40, 60, 70}));
  EXPECT_GE(took, milliseconds(70));
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_FALSE(driver.armed());
}

TEST(AsioTimerDriver, AnEarlierTimerRearmsTheSleep) {
  boost::asio::io_context io;
  TimerWheel wheel;
  AsioTimerDriver driver(io, wheel);
  driver.start();
  std::vector<int> order;
  wheel.schedule(milliseconds(3000), [&] { order.push_back(3000); });
  TimePoint firedAt{};
  auto begin = Clock::now();
  // Scheduled from inside the loop, after the driver armed for 3 s.
  boost::asio::post(io, [&] {
    wheel.schedule(milliseconds(20), [&] {
      order.push_back(20);
      firedAt = Clock::now();
      driver.stop();  // leave the 3 s timer pending
    });
  });
  io.run();
  EXPECT_EQ(order, std::vector<int>{20});
  EXPECT_LT(firedAt - begin, milliseconds(1000));
  EXPECT_EQ(wheel.size(), 1u);
}

TEST(AsioTimerDriver, StartPicksUpTimersAlreadyPending) {
  boost::asio::io_context io;
  TimerWheel wheel;
  bool fired = false;
  wheel.schedule(milliseconds(10), [&] { fired = true; });
  AsioTimerDriver driver(io, wheel);
  driver.start();
  EXPECT_TRUE(driver.armed());
  io.run();
  EXPECT_TRUE(fired);
}

TEST(AsioTimerDriver, NothingPendingMeansNothingArmed) {
  boost::asio::io_context io;
  TimerWheel wheel;
  AsioTimerDriver driver(io, wheel);
  driver.start();
  EXPECT_FALSE(driver.armed());
  EXPECT_EQ(io.run(), 0u);  // no handler ran: no busy loop
}

TEST(AsioTimerDriver, DestroyedWithACompletionQueued) {
  boost::asio::io_context io;
  TimerWheel wheel;
  bool fired = false;
  wheel.schedule(milliseconds(10), [&] { fired = true; });
  {
    AsioTimerDriver driver(io, wheel);
    driver.start();
    std::this_thread::sleep_for(milliseconds(30));
    io.poll();  // may complete the wait; its handler may still be queued
  }
  io.run();  // whatever is left runs against a destroyed driver: it must do nothing
  EXPECT_EQ(wheel.size(), fired ? 0u : 1u);
}

}  // namespace
}  // namespace sbc::timer
