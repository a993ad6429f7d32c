#include "dpdk/srtp_relay.h"

#include <rte_mbuf.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>
#include <string.h>

#include <chrono>
#include <cstring>

namespace sbc::dpdk {

void destroyContext(srtp::Context* c) {
  delete c;
}

SrtpCrypto::~SrtpCrypto() {
  for (Kind& k : kinds) {
    for (srtp::Context*& c : k.context) {
      destroyContext(c);
      c = nullptr;
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
        destroyContext(m.context[0]);
        destroyContext(m.context[1]);
        continue;
      }
      std::string error;  // never holds key material; the lcore counts the failure
      std::unique_ptr<srtp::Context> c = srtp::Context::create(
          m.suite, m.key,
          m.op == kOpProtect ? srtp::Direction::kProtect : srtp::Direction::kUnprotect, m.ssrc,
          m.roc, error);
      explicit_bzero(m.key.bytes.data(), m.key.bytes.size());
      m.type = SrtpMessage::kCreated;
      m.context[0] = c.release();
      // Never full: an lcore has at most kSrtpMaxLearning requests waiting.
      if (rte_ring_sp_enqueue_elem(ch.fromService, &m, sizeof(m)) != 0)
        destroyContext(m.context[0]);
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
        destroyContext(m.context[0]);
        destroyContext(m.context[1]);
      }
    }
  }
  channels_.clear();
}

}  // namespace sbc::dpdk
