#pragma once

// The transport layer's contract with the layers above (RFC 3261 §18). A transport owns
// the sockets of every realm's listeners, turns received bytes into parsed, validated
// messages (answering or dropping the bad ones itself), stamps `received`/`rport` on
// requests (RFC 3581), and sends bytes to an endpoint, over UDP or over a (reused) TCP
// connection. Everything runs on the signaling thread.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mediaplane/api/address.h"
#include "signaling/sip/message.h"

namespace sbc::transport {

enum class Protocol : uint8_t { kUdp, kTcp };

std::string_view protocolName(Protocol p);  // "UDP", "TCP" (as in Via)
bool isReliable(Protocol p);

struct Endpoint {
  Protocol protocol = Protocol::kUdp;
  net::IpAddress address;
  uint16_t port = 0;

  bool operator==(const Endpoint&) const = default;
  std::string toString() const;  // "udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5061"
};

struct EndpointHash {
  size_t operator()(const Endpoint& e) const;
};

// A local listening socket (one per realm and protocol). Ids are dense, from 0.
using ListenerId = uint16_t;
// A TCP connection; 0 for datagrams.
using ConnectionId = uint64_t;

struct Source {
  Endpoint remote;
  ListenerId listener = 0;
  ConnectionId connection = 0;
};

// Where a message goes: the endpoint, the local listener to send from, and for TCP an
// existing connection to prefer (0: any open connection to `remote`, or a new one).
struct Destination {
  Endpoint remote;
  ListenerId listener = 0;
  ConnectionId connection = 0;
};

struct ListenerInfo {
  ListenerId id = 0;
  Protocol protocol = Protocol::kUdp;
  net::IpAddress address;  // the address it is bound to
  uint16_t port = 0;       // the port it is bound to (resolved when 0 was asked)
  std::string realm;
};

// What the layer above receives. Messages arrive already validated (sip::check with a
// non-forwarding policy): requests that fail were answered, responses that fail dropped.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual void onMessage(sip::Message&& message, const Source& from) = 0;
  // A send to `to` failed after send() returned (TCP connect refused, connection reset
  // before the bytes went out). Lets client transactions fail fast (RFC 3261 §17.1.4).
  virtual void onSendFailure(const Destination& to, std::string_view reason) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues `bytes` for `to`. Returns false when it cannot be sent at all (no such
  // listener, UDP error, connection limit); an asynchronous failure is reported
  // through MessageHandler::onSendFailure.
  virtual bool send(const Destination& to, std::string bytes) = 0;
  virtual const ListenerInfo* listener(ListenerId id) const = 0;
};

}  // namespace sbc::transport

namespace sbc::transport {

// Where the responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): over a reliable
// transport the connection it came on; over UDP the source address (the `received`
// value) and, when the request asked for rport, the source port, else the sent-by port.
Destination responseDestination(const sip::Message& request, const Source& from);

// Stamps `received` (when the sent-by host differs from the source address) and `rport`
// (when the request asked for it) on the top Via of a received request (RFC 3261 §18.2.1,
// RFC 3581 §4). Returns false when the message has no usable top Via.
bool stampReceived(sip::Message& request, const Source& from);

}  // namespace sbc::transport
