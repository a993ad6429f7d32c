#include "dpdk/srtp_relay.h"

#include <rte_mbuf.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>
#include <string.h>

#include <chrono>
#include <cstring>
#include <new>

#include "mediaplane/slab/slab.h"

namespace sbc::dpdk {

namespace {
mediaplane::Slab& cryptoSlab() {
  static auto* slab = new mediaplane::Slab(sizeof(SrtpCrypto));  // never destroyed
  return *slab;
}
}  // namespace

void* SrtpCrypto::operator new(std::size_t size) {
  static_assert(sizeof(SrtpCrypto) % 64 == 0);
  if (size != sizeof(SrtpCrypto)) throw std::bad_alloc();  // nothing derives from it
  return cryptoSlab().allocate();
}

void SrtpCrypto::operator delete(void* p) noexcept {
  cryptoSlab().release(p);
}

void destroyContext(srtp::Context* c) {
  delete c;
}

void destroyStream(srtp::RtpStream* s) {
  delete s;
}

void destroyAll(SrtpMessage& m) {
  for (int i = 0; i < 2; ++i) {
    destroyContext(m.context[i]);
    destroyStream(m.stream[i]);
    m.context[i] = nullptr;
    m.stream[i] = nullptr;
  }
}

SrtpCrypto::~SrtpCrypto() {
  for (Kind& k : kinds) {
    for (int i = 0; i < 2; ++i) {
      destroyContext(k.context[i]);
      destroyStream(k.stream[i]);
      k.context[i] = nullptr;
      k.stream[i] = nullptr;
    }
  }
  explicit_bzero(key.bytes.data(), key.bytes.size());
}

void SrtpService::start() {
  thread_ = std::thread([this] {
    // Packets wait (parked) while this thread makes their context: it polls every 50 us
    // while requests come, and every 500 us once nothing came for 10 ms (it shares the
    // control CPU, and new SSRCs come in bursts: call set-up, re-INVITEs).
    unsigned idle = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      idle = poll() ? 0 : idle + 1;
      std::this_thread::sleep_for(std::chrono::microseconds(idle < 200 ? 50 : 500));
    }
  });
}

bool SrtpService::poll() {
  bool any = false;
  for (SrtpChannel& ch : channels_) {
    SrtpMessage m;
    for (int i = 0; i < 32; ++i) {
      // Zero-copy: the message is read, and its key wiped, in the ring itself, so that no
      // copy of a key stays in ring memory.
      rte_ring_zc_data zc;
      if (rte_ring_dequeue_zc_burst_elem_start(ch.toService, sizeof(SrtpMessage), 1, &zc,
                                               nullptr) != 1)
        break;
      auto* slot = static_cast<SrtpMessage*>(zc.ptr1);
      std::memcpy(&m, slot, sizeof(m));
      explicit_bzero(slot->key.bytes.data(), slot->key.bytes.size());
      rte_ring_dequeue_zc_elem_finish(ch.toService, 1);
      any = true;
      if (m.type == SrtpMessage::kFree) {
        destroyAll(m);
        continue;
      }
      std::string error;  // never holds key material; the lcore counts the failure
      const srtp::Direction d =
          m.op == kOpProtect ? srtp::Direction::kProtect : srtp::Direction::kUnprotect;
      m.context[0] = m.context[1] = nullptr;
      m.stream[0] = m.stream[1] = nullptr;
      if (m.kind == kKindRtp && fast_rtp_) {
        m.stream[0] = srtp::RtpStream::create(m.suite, m.key, m.roc, error).release();
      } else {
        m.context[0] = srtp::Context::create(m.suite, m.key, d, m.ssrc, m.roc, error).release();
      }
      explicit_bzero(m.key.bytes.data(), m.key.bytes.size());
      m.type = SrtpMessage::kCreated;
      // Never full: an lcore has at most kSrtpMaxLearning requests waiting.
      if (rte_ring_sp_enqueue_elem(ch.fromService, &m, sizeof(m)) != 0) destroyAll(m);
    }
  }
  return any;
}

void SrtpService::stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    thread_.join();
  }
  for (SrtpChannel& ch : channels_) {
    SrtpMessage m;
    for (rte_ring* r : {ch.toService, ch.fromService}) {
      if (r == nullptr) continue;
      while (rte_ring_sc_dequeue_elem(r, &m, sizeof(m)) == 0) {
        explicit_bzero(m.key.bytes.data(), m.key.bytes.size());
        destroyAll(m);
      }
    }
  }
  channels_.clear();
}

}  // namespace sbc::dpdk
