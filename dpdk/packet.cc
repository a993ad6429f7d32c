#include "dpdk/packet.h"

#include <netinet/in.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace sbc::dpdk {

uint16_t stripIpOptions(uint8_t* frame, uint16_t ipHeaderLength) {
  if (ipHeaderLength <= kIpv4Header) return 0;
  uint16_t options = static_cast<uint16_t>(ipHeaderLength - kIpv4Header);
  std::memmove(frame + options, frame, kEthernetHeader + kIpv4Header);
  uint8_t* ip = frame + options + kEthernetHeader;
  ip[0] = 0x45;
  detail::store16(ip + 2,
                  rte_cpu_to_be_16(static_cast<uint16_t>(detail::loadHost16(ip + 2) - options)));
  return options;
}

void makeEchoReply(uint8_t* frame, const rte_ether_addr& ourMac) {
  std::memcpy(frame, frame + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
  std::memcpy(frame + RTE_ETHER_ADDR_LEN, ourMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint8_t* ip = frame + kEthernetHeader;
  uint32_t requester = detail::load32(ip + 12);
  detail::store32(ip + 12, detail::load32(ip + 16));
  detail::store32(ip + 16, requester);
  ip[8] = kTtl;
  detail::store16(ip + 10, 0);
  detail::store16(ip + 10, ipv4HeaderChecksum(ip));
  uint8_t* icmp = ip + kIpv4Header;
  uint16_t before = detail::load16(icmp);
  icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
  uint16_t after = detail::load16(icmp);
  detail::store16(icmp + 2, checksumAdjust(detail::load16(icmp + 2), &before, &after, 1));
}

}  // namespace sbc::dpdk
