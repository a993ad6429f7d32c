#pragma once

// UDP and TCP listeners on Boost.Asio (RFC 3261 §18), on the signaling thread's
// io_context. Received bytes become validated sip::Messages for the MessageHandler;
// requests that fail validation are answered here (stateless error response), broken
// responses and unparseable bytes are dropped and counted. TCP connections are reused
// for requests to the same endpoint and responses go back on the connection a request
// came on; memory per connection is bounded and slow or idle peers are cut off.

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signaling/sip/parser.h"
#include "signaling/sip/validator.h"
#include "signaling/timer/timer_service.h"
#include "signaling/transport/log_limiter.h"
#include "signaling/transport/transport.h"

namespace sbc::transport {

struct TcpLimits {
  uint32_t maxConnections = 1024;         // inbound connections per listener
  uint32_t maxConnectionsPerSource = 64;  // inbound connections per listener from one address
  uint32_t maxOutbound = 1024;            // connections the SBC opens from this listener
  // Bytes queued for sending on one connection (a peer that does not read): over this the
  // connection is closed.
  size_t maxQueuedBytes = 262'144;
  timer::Duration idleTimeout{300'000};   // no traffic for this long: close
  timer::Duration headerTimeout{10'000};  // each started message must be complete by then
};

// The SIP traffic of one listener (so of one realm and protocol), for the metrics
// endpoint. Labels stay bounded whatever peers send: unknown methods count as kUnknown,
// and status codes are 100-699 by the time a message is accepted.
struct SipTraffic {
  static constexpr size_t kMethods = 15;  // sip::Method values; kUnknown is "other"
  static constexpr int kFirstCode = 100;
  static constexpr size_t kCodes = 600;
  std::array<uint64_t, kMethods> requestsIn{};
  std::array<uint64_t, kMethods> requestsOut{};
  std::array<uint64_t, kCodes> responsesIn{};  // [code - kFirstCode]
  std::array<uint64_t, kCodes> responsesOut{};
  uint64_t parseErrors = 0;  // messages that failed to parse or validate, and TCP framing errors
};

// Counts what send() was given: the first line says request (method) or response (code).
void countSent(SipTraffic& traffic, std::string_view bytes);

struct TransportCounters {
  uint64_t received = 0;    // messages handed up
  uint64_t rejected = 0;    // requests answered with an error here
  uint64_t dropped = 0;     // bad responses, unanswerable requests, garbage
  uint64_t keepAlives = 0;  // CRLF keep-alives seen
  uint64_t sendErrors = 0;
  uint64_t tcpAccepted = 0;
  uint64_t tcpRefused = 0;           // over the connection limit
  uint64_t tcpRefusedPerSource = 0;  // over the limit of connections from one address
  uint64_t tcpOutboundRefused = 0;   // a new outbound connection over its limit
  uint64_t tcpAcceptErrors = 0;      // accept() failed (EMFILE...): retried after a back-off
  uint64_t tcpQueueOverflows = 0;    // closed: the peer let too many bytes queue up
  uint64_t tcpTimedOut = 0;          // idle or header timeout
  uint64_t tcpFramingErrors = 0;     // closed for a framing error
  uint64_t logLinesSuppressed = 0;   // per-message log lines held back by the rate limit
};

// The log lines a peer can cause, each rate-limited on its own (LogLimiter).
enum class LogKind : uint8_t {
  kDrop,
  kReject,
  kFramingError,
  kRefused,
  kTimeout,
  kFailure,
  kSendError,
  kAcceptError,
  kCount
};

class AsioTransport : public Transport {
 public:
  AsioTransport(boost::asio::io_context& io, timer::TimerService& timers, sip::Limits limits);
  ~AsioTransport() override;
  AsioTransport(const AsioTransport&) = delete;
  AsioTransport& operator=(const AsioTransport&) = delete;

  void setHandler(MessageHandler* handler) { handler_ = handler; }

  // Binds a listener. Returns its id, or an error text ("127.0.0.1:5060/udp: Address
  // already in use") in `error`.
  std::optional<ListenerId> listenUdp(const std::string& address, uint16_t port,
                                      const std::string& realm, std::string& error);
  std::optional<ListenerId> listenTcp(const std::string& address, uint16_t port,
                                      const std::string& realm, const TcpLimits& limits,
                                      std::string& error);
  // Stops accepting and receiving, closes every connection.
  void close();

  // Transport
  bool send(const Destination& to, std::string bytes) override;
  const ListenerInfo* listener(ListenerId id) const override;
  const std::vector<ListenerInfo>& listeners() const { return infos_; }

  const TransportCounters& counters() const { return counters_; }
  // Indexed by ListenerId.
  const std::vector<SipTraffic>& traffic() const { return traffic_; }
  size_t connections() const;

 private:
  class UdpListener;
  class TcpListener;
  class Connection;
  friend class UdpListener;
  friend class TcpListener;
  friend class Connection;

  // One received message (a datagram, or one framed out of a TCP stream).
  void deliver(std::string_view bytes, sip::Framing framing, const Source& from);
  // Answers a request that failed validation, if it can be answered at all.
  void rejectRequest(const sip::Message& request, const sip::Verdict& verdict, const Source& from);
  std::shared_ptr<Connection> connectionTo(const Destination& to);
  void forget(Connection& c);
  // Whether a line of this kind may be logged now; writes the "suppressed K" summary of
  // the lines held back before it.
  bool mayLog(LogKind kind);

  boost::asio::io_context& io_;
  timer::TimerService& timers_;
  sip::Limits limits_;
  sip::ValidationPolicy policy_;
  MessageHandler* handler_ = nullptr;
  std::vector<ListenerInfo> infos_;
  std::vector<std::unique_ptr<UdpListener>> udp_;  // indexed by ListenerId (null for TCP)
  std::vector<std::unique_ptr<TcpListener>> tcp_;  // indexed by ListenerId (null for UDP)
  struct Connections;
  std::unique_ptr<Connections> connections_;
  TransportCounters counters_;
  std::array<LogLimiter, size_t(LogKind::kCount)> logLimits_;
  std::vector<SipTraffic> traffic_;
  bool closed_ = false;
};

}  // namespace sbc::transport
