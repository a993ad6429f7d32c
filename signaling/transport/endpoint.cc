#include <boost/functional/hash.hpp>
#include <string>

#include "signaling/sip/charset.h"
#include "signaling/transport/transport.h"

namespace sbc::transport {

std::string_view protocolName(Protocol p) {
  return p == Protocol::kTcp ? "TCP" : "UDP";
}

bool isReliable(Protocol p) {
  return p == Protocol::kTcp;
}

std::string Endpoint::toString() const {
  std::string out = protocol == Protocol::kTcp ? "tcp:" : "udp:";
  return out + address.uriHost() + ":" + std::to_string(port);
}

size_t EndpointHash::operator()(const Endpoint& e) const {
  size_t h = boost::hash_range(e.address.bytes.begin(), e.address.bytes.end());
  boost::hash_combine(h, e.address.family);
  boost::hash_combine(h, e.port);
  boost::hash_combine(h, static_cast<int>(e.protocol));
  return h;
}

Destination responseDestination(const sip::Message& request, const Source& from) {
  Destination d;
  d.listener = from.listener;
  d.remote = from.remote;
  if (isReliable(from.remote.protocol)) {
    d.connection = from.connection;  // the connection it came on, or a new one to the source
    return d;
  }
  sip::Parsed<sip::Via> via = request.topVia();
  if (!via) return d;
  // rport (RFC 3581 §4): the source address and port. maddr (multicast) is not served.
  if (via.value.hasRport) return d;
  d.remote.port = via.value.hasPort ? via.value.port : 5060;
  return d;
}

bool stampReceived(sip::Message& request, const Source& from) {
  const sip::HeaderField* top = request.first(sip::HeaderId::kVia);
  sip::Parsed<sip::Via> via = request.topVia();
  if (!top || !via) return false;
  std::string ip = from.remote.address.toString();
  bool needReceived = !via.value.received.empty() ? false : via.value.host != ip;
  bool needRport = via.value.hasRport && via.value.rport == 0;
  if (!needReceived && !needRport) return true;
  // Rebuild the first via-parm of the line and keep any further values that follow it.
  std::string_view line = request.value(*top);
  std::string_view first = via.value.text;
  size_t firstEnd = static_cast<size_t>(first.data() - line.data()) + first.size();
  std::string updated(line.substr(0, firstEnd));
  if (needRport) {
    // ";rport" without value becomes ";rport=<port>" (RFC 3581 §4); received is then required.
    std::string port = std::to_string(from.remote.port);
    std::string rebuilt;
    std::string_view params = via.value.params.text();
    size_t paramsAt = static_cast<size_t>(params.data() - line.data());
    rebuilt.append(line.substr(0, paramsAt));
    via.value.params.forEach([&](const sip::Param& p) {
      rebuilt += ";";
      rebuilt.append(p.name);
      if (sip::iequals(p.name, "rport")) {
        rebuilt += "=" + port;
      } else if (p.hasValue) {
        rebuilt += "=";
        rebuilt.append(p.value);
      }
    });
    updated = rebuilt;
    needReceived = via.value.received.empty();
  }
  if (needReceived) updated += ";received=" + ip;
  updated.append(line.substr(firstEnd));
  request.setFieldValue(static_cast<size_t>(top - request.fields().data()), updated);
  return true;
}

}  // namespace sbc::transport
