#include <gtest/gtest.h>

#include "mediaplane/port_allocator.h"

namespace sbc::mediaplane {
namespace {

using namespace std::chrono_literals;

TEST(PortAllocator, EvenPortsWithRoomForRtcp) {
  PortAllocator a(30001, 30006, 0ms);  // 30001 rounds up to 30002; 30006 has no +1 in range
  EXPECT_EQ(a.capacity(), 2u);
  EXPECT_EQ(a.allocate(), 30002);
  EXPECT_EQ(a.allocate(), 30004);
  EXPECT_EQ(a.allocate(), std::nullopt);
}

TEST(PortAllocator, ReleasedPortsRestInQuarantine) {
  PortAllocator::Clock::time_point now{};
  PortAllocator a(40000, 40003, 10s, [&] { return now; });
  uint16_t first = *a.allocate();
  uint16_t second = *a.allocate();
  EXPECT_EQ(a.allocate(), std::nullopt);
  a.release(first);
  EXPECT_EQ(a.resting(), 1u);
  EXPECT_EQ(a.allocate(), std::nullopt);  // still resting
  now += 9s;
  EXPECT_EQ(a.allocate(), std::nullopt);
  now += 2s;
  EXPECT_EQ(a.allocate(), first);  // back after the quarantine
  a.release(second);
  a.release(second);  // twice: ignored
  a.release(12345);   // not ours: ignored
  a.release(40001);   // odd: ignored
  EXPECT_EQ(a.resting(), 1u);
}

TEST(PortAllocator, ReuseIsAsLateAsPossible) {
  PortAllocator a(50000, 50009, 0ms);
  uint16_t p = *a.allocate();
  a.release(p);
  // The freed port goes to the back of the line: the next allocations take the others.
  EXPECT_EQ(a.allocate(), 50002);
  EXPECT_EQ(a.allocate(), 50004);
  EXPECT_EQ(a.allocate(), 50006);
  EXPECT_EQ(a.allocate(), 50008);
  EXPECT_EQ(a.allocate(), 50000);
}

// A port no peer was told of (a set-up that failed before its SDP left) needs no rest:
// it is free at once, at the back of the line (issue 14, defect 7).
TEST(PortAllocator, ReleaseNowSkipsTheQuarantine) {
  PortAllocator::Clock::time_point now{};
  PortAllocator a(40000, 40003, 10s, [&] { return now; });
  uint16_t first = *a.allocate();
  uint16_t second = *a.allocate();
  a.releaseNow(first);
  EXPECT_EQ(a.resting(), 0u);
  EXPECT_EQ(a.free(), 1u);
  EXPECT_EQ(a.allocate(), first);
  a.releaseNow(second);
  a.releaseNow(second);  // twice: ignored
  a.release(second);     // already free: ignored
  a.releaseNow(40001);   // odd: ignored
  EXPECT_EQ(a.free(), 1u);
  EXPECT_EQ(a.resting(), 0u);
}

}  // namespace
}  // namespace sbc::mediaplane
