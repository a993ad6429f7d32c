#include "dpdk/relay_target.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SBC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SBC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SBC_POISON(p, n) ((void)(p), (void)(n))
#define SBC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sbc::dpdk {
namespace {

// RelayTargets side by side in 2 MB chunks that ask for transparent huge pages (as
// HotArray's do), handed out in allocation order and reused last-freed first. Chunks are
// never returned: the pool is as large as the most targets ever held at once. Freed targets
// are poisoned in the ASan build, so a read after the grace period still fails there.
class TargetPool {
 public:
  static TargetPool& instance() {
    static TargetPool* pool = new TargetPool;  // never destroyed: targets may outlive statics
    return *pool;
  }

  void* allocate() {
    std::lock_guard lock(mutex_);
    void* p;
    if (!free_.empty()) {
      p = free_.back();
      free_.pop_back();
    } else {
      if (next_ == end_) grow();
      p = next_;
      next_ += sizeof(RelayTarget);
    }
    SBC_UNPOISON(p, sizeof(RelayTarget));
    return p;
  }

  void release(void* p) noexcept {
    std::lock_guard lock(mutex_);
    SBC_POISON(p, sizeof(RelayTarget));
    free_.push_back(p);  // capacity reserved by grow(): never allocates
  }

 private:
  static constexpr size_t kChunk = size_t{2} << 20;

  void grow() {
    // Twice the size, then trimmed to one aligned chunk.
    void* m = mmap(nullptr, 2 * kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    auto base = reinterpret_cast<uintptr_t>(m);
    uintptr_t aligned = (base + kChunk - 1) & ~(kChunk - 1);
    if (aligned > base) munmap(m, aligned - base);
    if (uintptr_t tail = base + 2 * kChunk - (aligned + kChunk); tail > 0)
      munmap(reinterpret_cast<void*>(aligned + kChunk), tail);
    // A hint: the kernel may say no (THP "never"), and the pool still works.
    madvise(reinterpret_cast<void*>(aligned), kChunk, MADV_HUGEPAGE);
    try {
      free_.reserve(free_.size() + (capacity_ + kChunk) / sizeof(RelayTarget));
    } catch (...) {
      munmap(reinterpret_cast<void*>(aligned), kChunk);
      throw;
    }
    capacity_ += kChunk;
    next_ = reinterpret_cast<char*>(aligned);
    end_ = next_ + kChunk;
    SBC_POISON(next_, kChunk);
  }

  std::mutex mutex_;
  std::vector<void*> free_;
  size_t capacity_ = 0;  // bytes in all chunks
  char* next_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace

void* RelayTarget::operator new(std::size_t size) {
  // Slots of one target each, at multiples of 64 from a 2 MB boundary: aligned.
  static_assert(sizeof(RelayTarget) % alignof(RelayTarget) == 0);
  if (size != sizeof(RelayTarget)) throw std::bad_alloc();  // nothing derives from it
  return TargetPool::instance().allocate();
}

void RelayTarget::operator delete(void* p) noexcept {
  if (p != nullptr) TargetPool::instance().release(p);
}

}  // namespace sbc::dpdk
