#pragma once

// Fixed-size slots for per-stream state that lcores read at packet rate (relay targets,
// SRTP objects and streams), side by side in 32 MB chunks that ask for transparent huge
// pages. From the general heap, at 100,000 sessions, each such object sat on its own 4 KB
// page among the control thread's records: a TLB miss (and a page walk under the
// hypervisor) per object per packet (docs/PERFORMANCE.md: 12% of the plain relay).
//
// Control threads only (allocate and release take a mutex). Only what is used is touched;
// chunks are never returned (a pool is as large as the most slots it ever held at once);
// freed slots are reused last-freed first through a list kept in the slots themselves, so
// release() never allocates. Freed slots are poisoned in the ASan build: a read after an
// RCU grace period still fails there.

#include <cstddef>
#include <mutex>
#include <vector>

namespace sbc::mediaplane {

class Slab {
 public:
  // `slotSize`: a multiple of 64 (slots are 64-byte aligned).
  explicit Slab(size_t slotSize);
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;

  // Throws std::bad_alloc when the system has no memory for another chunk.
  void* allocate();
  void release(void* p) noexcept;
  // Whether `p` is one of this slab's slots (in one of its chunks).
  bool owns(const void* p) const;

 private:
  void grow();

  const size_t slot_size_;
  mutable std::mutex mutex_;
  void* free_ = nullptr;  // last freed; each freed slot begins with the next one's address
  char* next_ = nullptr;
  char* end_ = nullptr;
  std::vector<char*> chunks_;  // grows with a chunk (never in release())
};

}  // namespace sbc::mediaplane
