#pragma once

// A real EAL for a test binary (--no-huge, no PCI, a file prefix of its own) and ring-backed
// ports: the test writes frames into a port's RX ring and reads what the relay sent from
// its TX ring. One EAL per process: every test of the binary shares it.

#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dpdk/eal.h"
#include "tests/dpdk/frames.h"

namespace sbc::dpdk::test {

class EalEnvironment : public ::testing::Environment {
 public:
  // `workers` lcores besides the main one.
  explicit EalEnvironment(unsigned workers) : workers_(workers) {}

  void SetUp() override {
    // Lcores on the CPUs this process may use: the main lcore on the first, workers on the
    // others (or sharing the last one on a smaller machine: slower, still correct).
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof(set), &set);
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
    std::string lcores = "0@" + std::to_string(cpus.front());
    for (unsigned w = 1; w <= workers_; ++w)
      lcores += "," + std::to_string(w) + "@" +
                std::to_string(cpus[std::min<size_t>(w, cpus.size() - 1)]);
    std::string prefix = "sbc-test-" + std::to_string(getpid());
    ok_ = initEal({"--lcores", lcores, "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
                   "--file-prefix", prefix, "--log-level", "lib.eal:warning"},
                  error_);
    if (!ok_) return;
    pool_ = rte_pktmbuf_pool_create("test_frames", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    if (pool_ == nullptr) {
      ok_ = false;
      error_ = "cannot create the test mbuf pool";
    }
  }

  void TearDown() override {
    if (pool_ != nullptr) rte_mempool_free(pool_);
    cleanupEal();
  }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  rte_mempool* pool() const { return pool_; }
  std::vector<unsigned> workerLcores() const {
    std::vector<unsigned> out;
    for (unsigned w = 1; w <= workers_; ++w)
      out.push_back(w);
    return out;
  }

 private:
  unsigned workers_;
  bool ok_ = false;
  std::string error_;
  rte_mempool* pool_ = nullptr;
};

// A ring-backed port with `queues` RX/TX rings: the peers' side of one interface.
class RingLink {
 public:
  RingLink(const std::string& name, unsigned queues, rte_mempool* pool) : pool_(pool) {
    for (unsigned q = 0; q < queues; ++q) {
      std::string suffix = name + "_" + std::to_string(q);
      rx_.push_back(rte_ring_create(("r" + suffix).c_str(), 1024, SOCKET_ID_ANY,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ));
      tx_.push_back(rte_ring_create(("t" + suffix).c_str(), 1024, SOCKET_ID_ANY,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ));
    }
    port_ = rte_eth_from_rings(name.c_str(), rx_.data(), queues, tx_.data(), queues, 0);
    device_ = "net_ring_" + name;
  }

  // After the relay stopped. Frames still in the TX rings came from the relay's pools,
  // which are gone by now: they are left alone (drain() before stopping the relay).
  ~RingLink() {
    rte_vdev_uninit(device_.c_str());
    for (rte_ring* r : rx_) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(r);
    }
    for (rte_ring* r : tx_)
      rte_ring_free(r);
  }

  bool ok() const { return port_ >= 0; }
  const std::string& device() const { return device_; }

  // Into the relay, on RX queue `queue`.
  void send(const Bytes& frame, unsigned queue = 0) { sendAll({frame}, queue); }

  // Into the relay at once, in order: the lcore finds them in bursts of up to 32.
  void sendAll(const std::vector<Bytes>& frames, unsigned queue = 0) {
    std::vector<rte_mbuf*> mbufs;
    for (const Bytes& frame : frames) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      ASSERT_NE(m, nullptr);
      auto* data =
          reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())));
      ASSERT_NE(data, nullptr);
      std::copy(frame.begin(), frame.end(), data);
      mbufs.push_back(m);
    }
    ASSERT_EQ(rte_ring_enqueue_bulk(rx_[queue], reinterpret_cast<void**>(mbufs.data()),
                                    static_cast<unsigned>(mbufs.size()), nullptr),
              mbufs.size());
  }

  // What the relay sent on any TX queue (or only on `queue`), waiting up to `timeout`.
  std::optional<Bytes> receive(std::chrono::milliseconds timeout = std::chrono::seconds(3),
                               int queue = -1) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      for (size_t q = 0; q < tx_.size(); ++q) {
        if (queue >= 0 && q != static_cast<size_t>(queue)) continue;
        rte_ring* r = tx_[q];
        void* p;
        if (rte_ring_dequeue(r, &p) == 0) {
          auto* m = static_cast<rte_mbuf*>(p);
          auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
          Bytes out(data, data + m->pkt_len);
          rte_pktmbuf_free(m);
          return out;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
  }

  // Frees whatever the relay sent; the relay's pools must not be freed under them.
  void drain() {
    for (rte_ring* r : tx_) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
  }

 private:
  rte_mempool* pool_;
  std::vector<rte_ring*> rx_;
  std::vector<rte_ring*> tx_;
  int port_ = -1;
  std::string device_;
};

// Polls `condition` until it holds or `timeout` passes.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace sbc::dpdk::test
