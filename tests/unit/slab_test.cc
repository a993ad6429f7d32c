// mediaplane::Slab: slots side by side, 64-byte aligned, reused last-freed first, told
// apart by owns(), in more than one chunk.

#include "mediaplane/slab/slab.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <new>
#include <vector>

namespace sbc::mediaplane {
namespace {

TEST(Slab, SlotsSideBySideAlignedAndReusedLastFreedFirst) {
  Slab slab(320);
  std::vector<char*> slots;
  for (int i = 0; i < 100; ++i)
    slots.push_back(static_cast<char*>(slab.allocate()));
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(slots[i]) % 64, 0u);
    if (i > 0) {
      EXPECT_EQ(slots[i] - slots[i - 1], 320);
    }
    EXPECT_TRUE(slab.owns(slots[i]));
  }
  slab.release(slots[10]);
  slab.release(slots[20]);
  EXPECT_EQ(slab.allocate(), slots[20]);
  EXPECT_EQ(slab.allocate(), slots[10]);
  EXPECT_EQ(slab.allocate(), slots[99] + 320);  // then fresh ones again
  int other = 0;
  EXPECT_FALSE(slab.owns(&other));
}

TEST(Slab, GrowsPastAChunk) {
  Slab slab(64 * 1024);  // 512 to a 32 MB chunk
  std::vector<void*> slots;
  for (int i = 0; i < 600; ++i)
    slots.push_back(slab.allocate());
  for (void* p : slots)
    EXPECT_TRUE(slab.owns(p));
  for (void* p : slots)
    slab.release(p);
}

TEST(Slab, RefusesSlotsThatAreNotWholeLines) {
  EXPECT_THROW(Slab(100), std::bad_alloc);
  EXPECT_THROW(Slab(0), std::bad_alloc);
}

}  // namespace
}  // namespace sbc::mediaplane
