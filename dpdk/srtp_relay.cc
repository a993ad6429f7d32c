#include "dpdk/srtp_relay.h"

#include <rte_mbuf.h>
#include <string.h>

#include <chrono>

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
    while (!stop_.load(std::memory_order_relaxed)) {
      // An SSRC waits for this thread: poll often, but sleep when there is nothing (this
      // thread shares the control CPU).
      if (!poll()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
}

bool SrtpService::poll() {
  bool any = false;
  for (SrtpChannel& ch : channels_) {
    SrtpMessage m;
    for (int i = 0; i < 32; ++i) {
      if (rte_ring_sc_dequeue_elem(ch.toService, &m, sizeof(m)) != 0) break;
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
