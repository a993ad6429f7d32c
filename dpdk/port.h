#pragma once

// One DPDK port in Seastar's three visible stages: configure the device (a queue pair per
// worker lcore, RSS, checksum offloads, MAC), set up each queue with its lcore's mempool,
// then start it and wait (bounded) for the link.

#include <rte_ether.h>
#include <rte_mempool.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sbc::dpdk {

class Port {
 public:
  // The port of `device`: an existing port of that name (a PCI device the EAL probed, a
  // vdev from --vdev or made by the application), else the device is hot-plugged with
  // rte_dev_probe(device).
  static std::optional<Port> attach(const std::string& device, std::string& error);

  // Stage 1. `queues` RX/TX pairs; RSS over IP/UDP when there are several and the device
  // hashes those; IPv4 checksum offload on TX and checksum checks on RX where available.
  bool configure(uint16_t queues, const std::optional<std::array<uint8_t, 6>>& mac,
                 std::vector<std::string>& warnings, std::string& error);
  // Stage 2. Queue q gets pools[q] and the descriptors (adjusted to the device's limits).
  bool setupQueues(const std::vector<rte_mempool*>& pools, const std::vector<unsigned>& sockets,
                   uint16_t rxDescriptors, uint16_t txDescriptors, std::string& error);
  // Stage 3. A link still down after `linkWait` is a warning: it may come up later.
  bool start(std::chrono::milliseconds linkWait, std::vector<std::string>& warnings,
             std::string& error);
  // Stops and closes the port, and detaches its device: closing is what makes a PMD give
  // back the mbufs its queues hold (the pools go next), and detaching lets a later relay
  // probe the device again from its device string.
  void close();

  uint16_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const rte_ether_addr& mac() const { return mac_; }
  bool rss() const { return rss_; }
  bool ipChecksumOffload() const { return ipChecksumOffload_; }
  uint64_t rxOffloads() const { return rxOffloads_; }
  uint64_t txOffloads() const { return txOffloads_; }

 private:
  uint16_t id_ = 0;
  std::string name_;
  std::string device_;
  bool started_ = false;
  rte_ether_addr mac_{};
  bool rss_ = false;
  bool ipChecksumOffload_ = false;
  uint64_t rxOffloads_ = 0;
  uint64_t txOffloads_ = 0;
};

}  // namespace sbc::dpdk
