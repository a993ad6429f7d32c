#include "dpdk/relay_target.h"

#include <new>

#include "mediaplane/slab/slab.h"

namespace sbc::dpdk {
namespace {

// RelayTargets side by side on huge pages (mediaplane/slab/slab.h: why), reused last-freed
// first. Never destroyed: targets may outlive statics.
mediaplane::Slab& targets() {
  static auto* slab = new mediaplane::Slab(sizeof(RelayTarget));
  return *slab;
}

}  // namespace

void* RelayTarget::operator new(std::size_t size) {
  // Slots of one target each, at multiples of 64 from a 2 MB boundary: aligned.
  static_assert(sizeof(RelayTarget) % alignof(RelayTarget) == 0);
  if (size != sizeof(RelayTarget)) throw std::bad_alloc();  // nothing derives from it
  return targets().allocate();
}

void RelayTarget::operator delete(void* p) noexcept {
  targets().release(p);
}

}  // namespace sbc::dpdk
