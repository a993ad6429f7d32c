#include "dpdk/port.h"

#include <net/if.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pci.h>

#include <cstring>
#include <thread>

namespace sbc::dpdk {
namespace {

std::string failure(const std::string& what, int rc) {
  return what + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

// The port name DPDK gives a device: the normalised PCI address ("03:00.0" becomes
// "0000:03:00.0"), or a vdev's name before its arguments.
std::string portName(const std::string& device) {
  std::string name = device.substr(0, device.find(','));
  rte_pci_addr pci;
  if (rte_pci_addr_parse(name.c_str(), &pci) == 0) {
    char text[PCI_PRI_STR_SIZE];
    rte_pci_device_name(&pci, text, sizeof(text));
    return text;
  }
  return name;
}

std::string macText(const rte_ether_addr& mac) {
  char text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(text, sizeof(text), &mac);
  return text;
}

}  // namespace

std::optional<Port> Port::attach(const std::string& device, std::string& error) {
  Port p;
  p.device_ = device;
  p.name_ = portName(device);
  if (rte_eth_dev_get_port_by_name(p.name_.c_str(), &p.id_) == 0) return p;
  int rc = rte_dev_probe(device.c_str());
  if (rc != 0) {
    error = failure("cannot attach device '" + device + "'", rc);
    // DPDK's errno says little here; the usual cause in a lab is a missing kernel interface.
    if (size_t at = device.find("iface="); at != std::string::npos) {
      std::string iface = device.substr(at + 6, device.find(',', at) - (at + 6));
      if (if_nametoindex(iface.c_str()) == 0)
        error += " (there is no network interface '" + iface + "' in this namespace)";
    }
    return std::nullopt;
  }
  if (rte_eth_dev_get_port_by_name(p.name_.c_str(), &p.id_) != 0) {
    error = "device '" + device + "' was attached but has no port named '" + p.name_ + "'";
    rte_eal_hotplug_remove(p.name_.find(':') != std::string::npos ? "pci" : "vdev",
                           p.name_.c_str());
    return std::nullopt;
  }
  return p;
}

bool Port::configure(uint16_t queues, const std::optional<std::array<uint8_t, 6>>& mac,
                     std::vector<std::string>& warnings, std::string& error) {
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0) {
    error = failure("port " + name_ + ": no device info", rc);
    return false;
  }
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    error = "port " + name_ + " has " + std::to_string(info.max_rx_queues) + " RX and " +
            std::to_string(info.max_tx_queues) + " TX queues; the relay needs " +
            std::to_string(queues) + " of each (one per worker lcore)";
    return false;
  }
  rte_eth_conf conf{};
  if (queues > 1) {
    uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (hf != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = hf;
      rss_ = true;
    } else {
      warnings.push_back("port " + name_ + " cannot spread IP/UDP over queues (no RSS): " +
                         "only the first worker lcore receives on it");
    }
  }
  rxOffloads_ =
      (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM) & info.rx_offload_capa;
  txOffloads_ = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM & info.tx_offload_capa;
  ipChecksumOffload_ = txOffloads_ != 0;
  conf.rxmode.offloads = rxOffloads_;
  conf.txmode.offloads = txOffloads_;
  if (int rc = rte_eth_dev_configure(id_, queues, queues, &conf); rc != 0) {
    error = failure("port " + name_ + ": cannot configure", rc);
    return false;
  }

  if (mac) {
    std::memcpy(mac_.addr_bytes, mac->data(), RTE_ETHER_ADDR_LEN);
    if (rte_eth_dev_default_mac_addr_set(id_, &mac_) != 0) {
      // Devices without a settable address (net_ring, some vdevs) still see our frames
      // when promiscuous; the relay writes the configured address itself.
      int rc = rte_eth_promiscuous_enable(id_);
      warnings.push_back("port " + name_ + " cannot take MAC " + macText(mac_) +
                         (rc == 0 ? ": promiscuous mode instead"
                                  : ": and promiscuous mode failed, unicast may be lost"));
    }
  } else {
    rte_eth_macaddr_get(id_, &mac_);
    if (rte_is_zero_ether_addr(&mac_)) {
      rte_eth_random_addr(mac_.addr_bytes);
      rte_eth_promiscuous_enable(id_);
      warnings.push_back("port " + name_ + " has no MAC address: using " + macText(mac_) +
                         " (set one with 'mac')");
    }
  }
  return true;
}

bool Port::setupQueues(const std::vector<rte_mempool*>& pools, const std::vector<unsigned>& sockets,
                       uint16_t rxDescriptors, uint16_t txDescriptors, std::string& error) {
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0) {
    error = failure("port " + name_ + ": no device info", rc);
    return false;
  }
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rxDescriptors, &txDescriptors); rc != 0) {
    error = failure("port " + name_ + ": descriptor counts", rc);
    return false;
  }
  rte_eth_rxconf rx = info.default_rxconf;
  rx.offloads = rxOffloads_;
  rte_eth_txconf tx = info.default_txconf;
  tx.offloads = txOffloads_;
  for (uint16_t q = 0; q < pools.size(); ++q) {
    if (int rc = rte_eth_rx_queue_setup(id_, q, rxDescriptors, sockets[q], &rx, pools[q]);
        rc != 0) {
      error = failure("port " + name_ + ": RX queue " + std::to_string(q), rc);
      return false;
    }
    if (int rc = rte_eth_tx_queue_setup(id_, q, txDescriptors, sockets[q], &tx); rc != 0) {
      error = failure("port " + name_ + ": TX queue " + std::to_string(q), rc);
      return false;
    }
  }
  return true;
}

bool Port::start(std::chrono::milliseconds linkWait, std::vector<std::string>& warnings,
                 std::string& error) {
  if (int rc = rte_eth_dev_start(id_); rc != 0) {
    error = failure("port " + name_ + ": cannot start", rc);
    return false;
  }
  started_ = true;
  auto deadline = std::chrono::steady_clock::now() + linkWait;
  rte_eth_link link{};
  while (true) {
    if (rte_eth_link_get_nowait(id_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
      return true;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  warnings.push_back("port " + name_ + ": link still down after " +
                     std::to_string(linkWait.count()) + " ms");
  return true;
}

void Port::close() {
  if (started_) rte_eth_dev_stop(id_);
  started_ = false;
  rte_device* device = nullptr;
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(id_, &info) == 0) device = info.device;
  rte_eth_dev_close(id_);
  if (device != nullptr) rte_dev_remove(device);
}

}  // namespace sbc::dpdk
