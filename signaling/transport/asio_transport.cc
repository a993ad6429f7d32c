#include "signaling/transport/asio_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <random>
#include <unordered_map>

#include "signaling/sip/random_token.h"
#include "signaling/sip/response.h"
#include "signaling/sip/stream_framer.h"

namespace sbc::transport {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

bool onlyLineEnds(std::string_view bytes) {
  for (char c : bytes) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

// The To tag of the transport's own error responses: from the OS CSPRNG like every token
// the SBC makes (issue 14, defect 1).
std::string randomTag() {
  return sip::randomToken(10);
}

// The socket's address types appear only here; everything above the transport sees
// net::IpAddress.
asio::ip::address toAsio(const net::IpAddress& a) {
  if (a.family == 6) {
    asio::ip::address_v6::bytes_type bytes;
    std::copy(a.bytes.begin(), a.bytes.end(), bytes.begin());
    return asio::ip::address_v6(bytes, a.scope);
  }
  return asio::ip::address_v4(a.v4HostOrder());
}

net::IpAddress fromAsio(const asio::ip::address& a) {
  net::IpAddress out;
  if (a.is_v6()) {
    out.family = 6;
    asio::ip::address_v6::bytes_type bytes = a.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
    out.scope = static_cast<uint32_t>(a.to_v6().scope_id());
  } else {
    out = net::IpAddress::v4(a.to_v4().to_uint());
  }
  return out;
}

std::string describe(const asio::ip::address& a, uint16_t port, std::string_view proto) {
  return net::hostPort(a.to_string(), port) + "/" + std::string(proto);
}

std::optional<asio::ip::address> listenAddress(const std::string& address, std::string& error) {
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(address, ec);
  if (ec) {
    error = address + ": not an IP address";
    return std::nullopt;
  }
  return addr;
}

}  // namespace

class AsioTransport::UdpListener {
 public:
  UdpListener(AsioTransport& t, ListenerId id, udp::socket socket)
      : t_(t),
        id_(id),
        socket_(std::move(socket)),
        buffer_(std::make_unique<std::array<char, 65536>>()) {}

  void start() { receive(); }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  bool send(const Endpoint& to, const std::string& bytes) {
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(bytes), udp::endpoint(toAsio(to.address), to.port), 0, ec);
    if (ec) {
      if (t_.mayLog(LogKind::kSendError))
        spdlog::warn("event=send_error transport=udp to={} error=\"{}\"", to.toString(),
                     ec.message());
      return false;
    }
    return true;
  }

 private:
  void receive() {
    socket_.async_receive_from(
        asio::buffer(*buffer_), sender_,
        [this](const boost::system::error_code& ec, size_t n) { onReceive(ec, n); });
  }

  void onReceive(const boost::system::error_code& ec, size_t n) {
    if (ec == asio::error::operation_aborted || t_.closed_) return;
    if (!ec) {
      Source from{Endpoint{Protocol::kUdp, fromAsio(sender_.address()), sender_.port()}, id_, 0};
      t_.deliver(std::string_view(buffer_->data(), n), sip::Framing::kDatagram, from);
    }
    receive();
  }

  AsioTransport& t_;
  ListenerId id_;
  udp::socket socket_;
  udp::endpoint sender_;
  std::unique_ptr<std::array<char, 65536>> buffer_;
};

class AsioTransport::TcpListener {
 public:
  TcpListener(AsioTransport& t, ListenerId id, tcp::acceptor acceptor, TcpLimits limits)
      : t_(t), id_(id), acceptor_(std::move(acceptor)), limits_(limits) {}

  void start() { accept(); }
  void close() {
    t_.timers_.cancel(retryTimer_);
    retryTimer_ = 0;
    boost::system::error_code ec;
    acceptor_.close(ec);
  }
  const TcpLimits& limits() const { return limits_; }
  uint32_t active = 0;    // inbound connections
  uint32_t outbound = 0;  // connections opened from this listener's address
  // Inbound connections per source address (the key's port is 0).
  std::unordered_map<Endpoint, uint32_t, EndpointHash> perSource;

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || t_.closed_) return;
      if (ec) {
        onAcceptError(ec);
        return;
      }
      backoff_ = timer::Duration(0);
      onAccepted(std::move(socket));
      accept();
    });
  }

  // accept() fails at once for as long as the cause lasts (EMFILE/ENFILE: no descriptor,
  // ENOBUFS): retrying at once would spin the signaling thread. Wait 10 ms, doubling up to
  // 1 s, until an accept succeeds; the peer waits in the listen backlog meanwhile.
  void onAcceptError(const boost::system::error_code& ec) {
    ++t_.counters_.tcpAcceptErrors;
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
    if (t_.mayLog(LogKind::kAcceptError))
      spdlog::warn("event=tcp_accept_error listener={} error=\"{}\" retry_ms={}", id_, ec.message(),
                   backoff_.count());
    retryTimer_ = t_.timers_.schedule(backoff_, [this] {
      retryTimer_ = 0;
      if (!t_.closed_) accept();
    });
  }
  void onAccepted(tcp::socket socket);

  static constexpr timer::Duration kFirstBackoff{10};
  static constexpr timer::Duration kMaxBackoff{1000};

  AsioTransport& t_;
  ListenerId id_;
  tcp::acceptor acceptor_;
  TcpLimits limits_;
  timer::Duration backoff_{0};
  timer::TimerId retryTimer_ = 0;
};

// One TCP connection, inbound or outbound. Reads are framed by StreamFramer; writes are
// queued. Owned by the connection table; asio handlers hold it alive while they run,
// timers hold only a weak reference.
class AsioTransport::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(AsioTransport& t, tcp::socket socket, ConnectionId id, ListenerId listener,
             Endpoint remote, bool inbound, const TcpLimits& limits)
      : t_(t),
        socket_(std::move(socket)),
        id_(id),
        listener_(listener),
        remote_(std::move(remote)),
        inbound_(inbound),
        limits_(limits),
        framer_(t.limits_) {}

  ConnectionId id() const { return id_; }
  const Endpoint& remote() const { return remote_; }
  bool inbound() const { return inbound_; }
  ListenerId listenerId() const { return listener_; }

  void startInbound() {
    connected_ = true;
    touch();
    read();
  }

  void connect() {
    auto self = shared_from_this();
    socket_.async_connect(tcp::endpoint(toAsio(remote_.address), remote_.port),
                          [self](const boost::system::error_code& ec) {
                            if (self->closing_) return;
                            if (ec) {
                              self->fail("connect failed: " + ec.message());
                              return;
                            }
                            self->connected_ = true;
                            self->touch();
                            self->read();
                            self->flush();
                          });
  }

  // Queues `bytes`. A peer that lets more than maxQueuedBytes pile up (it does not read,
  // yet keeps sending pings or requests) is closed: false, and the bytes are dropped.
  bool write(std::string bytes) {
    if (closing_) return false;
    size_t queued = sending_.size() + pending_.size();
    if (queued + bytes.size() > limits_.maxQueuedBytes) {
      ++t_.counters_.tcpQueueOverflows;
      if (t_.mayLog(LogKind::kFailure))
        spdlog::warn("event=tcp_queue_overflow remote={} queued_bytes={} limit={}",
                     remote_.toString(), queued, limits_.maxQueuedBytes);
      // On a connection the SBC opened (a trunk that stopped reading), the requests waiting
      // on it will get no answer: reported like a lost connection, but after this send()
      // returns, so that the layer that is sending is not re-entered.
      if (!inbound_ && t_.handler_) {
        t_.timers_.schedule(timer::Duration(0),
                            [&t = t_, d = Destination{remote_, listener_, id_}] {
                              if (!t.closed_ && t.handler_)
                                t.handler_->onSendFailure(d, "send queue overflow");
                            });
      }
      close();
      return false;
    }
    pending_ += bytes;
    if (connected_ && !writing_) flush();
    return true;
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    t_.timers_.cancel(idleTimer_);
    t_.timers_.cancel(headerTimer_);
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    t_.forget(*this);
  }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_),
                            [self](const boost::system::error_code& ec, size_t n) {
                              if (self->closing_) return;
                              if (ec) {
                                self->onClosedByPeer(ec);
                                return;
                              }
                              self->onData(std::string_view(self->buffer_.data(), n));
                              if (!self->closing_) self->read();
                            });
  }

  void onData(std::string_view bytes) {
    if (closeAfterWrite_) return;  // failed: incoming bytes are drained and dropped
    touch();
    framer_.append(bytes);
    Source from{remote_, listener_, id_};
    bool completed = false;
    while (!closing_) {
      sip::StreamFramer::Result r = framer_.next();
      if (r == sip::StreamFramer::Result::kMessage) {
        completed = true;
        t_.deliver(framer_.message(), sip::Framing::kStream, from);
      } else if (r == sip::StreamFramer::Result::kKeepAlive) {
        completed = true;
        ++t_.counters_.keepAlives;
        write("\r\n");  // RFC 5626 §3.5.1 pong
      } else if (r == sip::StreamFramer::Result::kError) {
        onFramingError();
        return;
      } else {
        break;
      }
    }
    if (closing_) return;
    // The header timeout is per message: one that completed stops its timer, so a busy
    // peer whose reads end mid-message is not cut; the next partial one starts afresh.
    if (completed && headerTimer_ != 0) {
      t_.timers_.cancel(headerTimer_);
      headerTimer_ = 0;
    }
    // A message has started but not finished: it has until the header timeout.
    if (framer_.buffered() > 0 && headerTimer_ == 0) {
      headerTimer_ = t_.timers_.schedule(limits_.headerTimeout, [weak = weak_from_this()] {
        if (auto c = weak.lock()) c->onTimeout("incomplete message");
      });
    } else if (framer_.buffered() == 0 && headerTimer_ != 0) {
      t_.timers_.cancel(headerTimer_);
      headerTimer_ = 0;
    }
  }

  // The peer closed or reset the connection. On a connection the SBC opened (to a trunk),
  // requests still waiting for their answer on it will never get one: the transaction
  // layer hears of it as a send failure (RFC 3261 §17.1.4) and fails them now, instead of
  // a ringing INVITE lasting until Timer C. An inbound connection's peer may still answer
  // on a new one, so its close is not reported.
  void onClosedByPeer(const boost::system::error_code& ec) {
    Destination d{remote_, listener_, id_};
    bool report = !inbound_ && connected_ && t_.handler_;
    close();
    if (report) t_.handler_->onSendFailure(d, "connection closed by peer: " + ec.message());
  }

  void onFramingError() {
    ++t_.counters_.tcpFramingErrors;
    ++t_.traffic_[listener_].parseErrors;
    const sip::Status& err = framer_.error();
    if (t_.mayLog(LogKind::kFramingError))
      spdlog::info("event=tcp_framing_error remote={} code={} reason=\"{}\"", remote_.toString(),
                   err.code(), err.reason());
    // Answer from the header section if it carries what a response needs, then close:
    // the stream cannot be framed past this point. When the header section never ended
    // (too large), answer from the complete lines received.
    std::string head(framer_.message());
    if (head.empty()) {
      std::string_view pending = framer_.pending();
      size_t lastLine = pending.rfind('\n');
      if (lastLine != std::string_view::npos)
        head = std::string(pending.substr(0, lastLine + 1)) + "\r\n";
    }
    sip::Limits unbounded;
    unbounded.maxMessageBytes = head.size() + 1;
    unbounded.maxHeaders = 60000;
    sip::Message m;
    if (!head.empty() && sip::parseMessage(head, sip::Framing::kHeaders, unbounded, m).ok() &&
        m.isRequest()) {
      sip::Verdict v;
      v.action = sip::Verdict::Action::kReject;
      v.status = err.code();
      v.reason = err.reason();
      t_.rejectRequest(m, v, Source{remote_, listener_, id_});
    }
    closeAfterWrite_ = true;
    if (!writing_) finishAfterWrite();
  }

  // The error response is out: stop sending and read until the peer closes (or for two
  // seconds), so that its unread bytes do not make the kernel reset the connection and
  // destroy the response before the peer reads it.
  void finishAfterWrite() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    t_.timers_.cancel(idleTimer_);
    idleTimer_ = t_.timers_.schedule(timer::Duration(2000), [weak = weak_from_this()] {
      if (auto c = weak.lock()) c->close();
    });
  }

  void onTimeout(const char* why) {
    ++t_.counters_.tcpTimedOut;
    if (t_.mayLog(LogKind::kTimeout))
      spdlog::info("event=tcp_timeout remote={} reason=\"{}\"", remote_.toString(), why);
    close();
  }

  void touch() {
    t_.timers_.cancel(idleTimer_);
    idleTimer_ = t_.timers_.schedule(limits_.idleTimeout, [weak = weak_from_this()] {
      if (auto c = weak.lock()) c->onTimeout("idle");
    });
  }

  // Sends everything queued in one write; what is queued meanwhile waits in pending_.
  void flush() {
    if (pending_.empty() || closing_) {
      writing_ = false;
      if (closeAfterWrite_ && !closing_) finishAfterWrite();
      return;
    }
    writing_ = true;
    sending_.swap(pending_);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(sending_),
                      [self](const boost::system::error_code& ec, size_t) {
                        if (self->closing_) return;
                        if (ec) {
                          self->fail("write failed: " + ec.message());
                          return;
                        }
                        // A burst's buffer is not kept for the connection's lifetime.
                        if (self->sending_.capacity() > kKeptBufferBytes)
                          std::string().swap(self->sending_);
                        self->sending_.clear();
                        if (!self->closeAfterWrite_) self->touch();
                        self->flush();
                      });
  }

  void fail(const std::string& why) {
    ++t_.counters_.sendErrors;
    if (t_.mayLog(LogKind::kFailure))
      spdlog::info("event=tcp_failure remote={} reason=\"{}\"", remote_.toString(), why);
    bool undelivered = !sending_.empty() || !pending_.empty();
    Destination d{remote_, listener_, id_};
    close();
    if (undelivered && t_.handler_) t_.handler_->onSendFailure(d, why);
  }

  AsioTransport& t_;
  tcp::socket socket_;
  ConnectionId id_;
  ListenerId listener_;
  Endpoint remote_;
  bool inbound_;
  TcpLimits limits_;
  sip::StreamFramer framer_;
  std::array<char, 16384> buffer_;
  static constexpr size_t kKeptBufferBytes = 16384;
  // Bytes being written, and bytes queued behind them: a pong or a response costs its
  // bytes only, and together they are bounded by maxQueuedBytes.
  std::string sending_;
  std::string pending_;
  bool connected_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closeAfterWrite_ = false;
  timer::TimerId idleTimer_ = 0;
  timer::TimerId headerTimer_ = 0;
};

struct AsioTransport::Connections {
  std::unordered_map<ConnectionId, std::shared_ptr<Connection>> byId;
  std::unordered_map<Endpoint, ConnectionId, EndpointHash> byRemote;
  ConnectionId nextId = 1;
};

void AsioTransport::TcpListener::onAccepted(tcp::socket socket) {
  boost::system::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  if (active >= limits_.maxConnections) {
    ++t_.counters_.tcpRefused;
    if (t_.mayLog(LogKind::kRefused))
      spdlog::warn("event=tcp_refused listener={} remote={} reason=\"connection limit {} reached\"",
                   id_, describe(peer.address(), peer.port(), "tcp"), limits_.maxConnections);
    socket.close(ec);
    return;
  }
  Endpoint source{Protocol::kTcp, fromAsio(peer.address()), 0};
  uint32_t& fromSource = perSource[source];
  if (fromSource >= limits_.maxConnectionsPerSource) {
    ++t_.counters_.tcpRefusedPerSource;
    if (t_.mayLog(LogKind::kRefused))
      spdlog::warn("event=tcp_refused listener={} remote={} reason=\"per-source limit {} reached\"",
                   id_, describe(peer.address(), peer.port(), "tcp"),
                   limits_.maxConnectionsPerSource);
    socket.close(ec);
    return;
  }
  ++fromSource;
  ++active;
  ++t_.counters_.tcpAccepted;
  socket.set_option(tcp::no_delay(true), ec);
  Endpoint remote{Protocol::kTcp, fromAsio(peer.address()), peer.port()};
  ConnectionId id = t_.connections_->nextId++;
  auto c = std::make_shared<Connection>(t_, std::move(socket), id, id_, remote, true, limits_);
  t_.connections_->byId[id] = c;
  t_.connections_->byRemote[remote] = id;
  c->startInbound();
}

AsioTransport::AsioTransport(asio::io_context& io, timer::TimerService& timers, sip::Limits limits)
    : io_(io), timers_(timers), limits_(limits), connections_(std::make_unique<Connections>()) {
  // The transport validates as a UAS that does not forward: Max-Forwards is the B2BUA's
  // decision (an OPTIONS to the SBC itself is answered even at 0).
  policy_.forwarding = false;
}

AsioTransport::~AsioTransport() {
  close();
}

std::optional<ListenerId> AsioTransport::listenUdp(const std::string& address, uint16_t port,
                                                   const std::string& realm, std::string& error) {
  std::optional<asio::ip::address> parsed = listenAddress(address, error);
  if (!parsed) return std::nullopt;
  const asio::ip::address& addr = *parsed;
  boost::system::error_code ec;
  udp::socket socket(io_);
  udp::endpoint ep(addr, port);
  socket.open(ep.protocol(), ec);
  if (!ec) {
    // A large receive buffer rides out bursts; the kernel may cap it, which is fine.
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
    socket.bind(ep, ec);
  }
  if (ec) {
    error = describe(addr, port, "udp") + ": " + ec.message();
    return std::nullopt;
  }
  auto id = static_cast<ListenerId>(infos_.size());
  uint16_t bound = socket.local_endpoint(ec).port();
  infos_.push_back(ListenerInfo{id, Protocol::kUdp, fromAsio(addr), bound, realm});
  traffic_.emplace_back();
  udp_.push_back(std::make_unique<UdpListener>(*this, id, std::move(socket)));
  tcp_.push_back(nullptr);
  udp_.back()->start();
  return id;
}

std::optional<ListenerId> AsioTransport::listenTcp(const std::string& address, uint16_t port,
                                                   const std::string& realm,
                                                   const TcpLimits& limits, std::string& error) {
  std::optional<asio::ip::address> parsed = listenAddress(address, error);
  if (!parsed) return std::nullopt;
  const asio::ip::address& addr = *parsed;
  boost::system::error_code ec;
  tcp::acceptor acceptor(io_);
  tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = describe(addr, port, "tcp") + ": " + ec.message();
    return std::nullopt;
  }
  auto id = static_cast<ListenerId>(infos_.size());
  uint16_t bound = acceptor.local_endpoint(ec).port();
  infos_.push_back(ListenerInfo{id, Protocol::kTcp, fromAsio(addr), bound, realm});
  traffic_.emplace_back();
  udp_.push_back(nullptr);
  tcp_.push_back(std::make_unique<TcpListener>(*this, id, std::move(acceptor), limits));
  tcp_.back()->start();
  return id;
}

void AsioTransport::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& l : udp_) {
    if (l) l->close();
  }
  for (auto& l : tcp_) {
    if (l) l->close();
  }
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, c] : connections_->byId)
    all.push_back(c);
  for (auto& c : all)
    c->close();
}

const ListenerInfo* AsioTransport::listener(ListenerId id) const {
  return id < infos_.size() ? &infos_[id] : nullptr;
}

size_t AsioTransport::connections() const {
  return connections_->byId.size();
}

void AsioTransport::forget(Connection& c) {
  auto it = connections_->byRemote.find(c.remote());
  if (it != connections_->byRemote.end() && it->second == c.id()) connections_->byRemote.erase(it);
  TcpListener* l = c.listenerId() < tcp_.size() ? tcp_[c.listenerId()].get() : nullptr;
  if (l && c.inbound()) {
    --l->active;
    auto s = l->perSource.find(Endpoint{Protocol::kTcp, c.remote().address, 0});
    if (s != l->perSource.end() && --s->second == 0) l->perSource.erase(s);
  } else if (l) {
    --l->outbound;
  }
  connections_->byId.erase(c.id());  // may destroy `c` once its handlers finish
}

std::shared_ptr<AsioTransport::Connection> AsioTransport::connectionTo(const Destination& to) {
  if (to.connection != 0) {
    auto it = connections_->byId.find(to.connection);
    if (it != connections_->byId.end()) return it->second;
  }
  auto r = connections_->byRemote.find(to.remote);
  if (r != connections_->byRemote.end()) return connections_->byId[r->second];
  // A new outbound connection, from the listener's address so that the peer sees the
  // realm's address and nothing else.
  TcpListener* l = to.listener < tcp_.size() ? tcp_[to.listener].get() : nullptr;
  if (!l) return nullptr;
  if (l->outbound >= l->limits().maxOutbound) {
    ++counters_.tcpOutboundRefused;
    if (mayLog(LogKind::kRefused))
      spdlog::warn("event=tcp_connect_refused to={} reason=\"outbound limit {} reached\"",
                   to.remote.toString(), l->limits().maxOutbound);
    return nullptr;
  }
  boost::system::error_code ec;
  tcp::socket socket(io_);
  socket.open(to.remote.address.family == 6 ? tcp::v6() : tcp::v4(), ec);
  if (!ec) socket.bind(tcp::endpoint(toAsio(infos_[to.listener].address), 0), ec);
  if (!ec) socket.set_option(tcp::no_delay(true), ec);
  if (ec) {
    if (mayLog(LogKind::kSendError))
      spdlog::warn("event=tcp_connect_error to={} error=\"{}\"", to.remote.toString(),
                   ec.message());
    return nullptr;
  }
  ++l->outbound;
  ConnectionId id = connections_->nextId++;
  auto c = std::make_shared<Connection>(*this, std::move(socket), id, to.listener, to.remote, false,
                                        l->limits());
  connections_->byId[id] = c;
  connections_->byRemote[to.remote] = id;
  c->connect();
  return c;
}

bool AsioTransport::mayLog(LogKind kind) {
  static constexpr std::array<const char*, size_t(LogKind::kCount)> kNames = {
      "drop",        "reject",      "tcp_framing_error", "tcp_refused",
      "tcp_timeout", "tcp_failure", "send_error",        "tcp_accept_error"};
  uint64_t suppressed = 0;
  bool allowed = logLimits_[size_t(kind)].allow(LogLimiter::Clock::now(), suppressed);
  if (!allowed) ++counters_.logLinesSuppressed;
  if (suppressed > 0)
    spdlog::warn("event=log_suppressed kind={} suppressed={}", kNames[size_t(kind)], suppressed);
  return allowed;
}

static_assert(SipTraffic::kMethods == size_t(sip::Method::kPublish) + 1);

void countSent(SipTraffic& traffic, std::string_view bytes) {
  constexpr std::string_view kVersion = "SIP/2.0 ";
  if (bytes.starts_with(kVersion)) {
    std::string_view digits = bytes.substr(kVersion.size(), 3);
    int code = 0;
    for (char c : digits)
      code = c >= '0' && c <= '9' ? code * 10 + (c - '0') : -1000;
    if (digits.size() == 3 && code >= SipTraffic::kFirstCode &&
        code < SipTraffic::kFirstCode + int(SipTraffic::kCodes))
      ++traffic.responsesOut[size_t(code - SipTraffic::kFirstCode)];
    return;
  }
  std::string_view method = bytes.substr(0, bytes.find(' '));
  ++traffic.requestsOut[size_t(sip::methodFromName(method))];
}

bool AsioTransport::send(const Destination& to, std::string bytes) {
  if (closed_ || to.listener >= infos_.size()) return false;
  if (infos_[to.listener].protocol == Protocol::kUdp) {
    if (!udp_[to.listener]->send(to.remote, bytes)) {
      ++counters_.sendErrors;
      return false;
    }
    countSent(traffic_[to.listener], bytes);
    return true;
  }
  std::shared_ptr<Connection> c = connectionTo(to);
  if (!c) {
    ++counters_.sendErrors;
    return false;
  }
  countSent(traffic_[to.listener], bytes);
  if (!c->write(std::move(bytes))) {  // the peer let its queue overflow: closed
    ++counters_.sendErrors;
    return false;
  }
  return true;
}

void AsioTransport::deliver(std::string_view bytes, sip::Framing framing, const Source& from) {
  if (onlyLineEnds(bytes)) {
    ++counters_.keepAlives;  // CRLF keep-alive datagrams
    return;
  }
  sip::Message m;
  sip::Verdict v = sip::check(bytes, framing, limits_, policy_, m);
  SipTraffic& traffic = traffic_[from.listener];
  if (!v.accepted()) {
    ++traffic.parseErrors;
    if (v.action == sip::Verdict::Action::kReject && m.isRequest()) {
      rejectRequest(m, v, from);
    } else {
      ++counters_.dropped;
      if (spdlog::should_log(spdlog::level::debug) && mayLog(LogKind::kDrop))
        spdlog::debug("event=drop remote={} reason=\"{}\"", from.remote.toString(), v.reason);
    }
    return;
  }
  if (m.isRequest()) {
    stampReceived(m, from);
    ++traffic.requestsIn[size_t(m.methodId())];
  } else if (int code = m.statusCode(); code >= SipTraffic::kFirstCode &&
                                        code < SipTraffic::kFirstCode + int(SipTraffic::kCodes)) {
    ++traffic.responsesIn[size_t(code - SipTraffic::kFirstCode)];
  }
  ++counters_.received;
  if (handler_) handler_->onMessage(std::move(m), from);
}

void AsioTransport::rejectRequest(const sip::Message& request, const sip::Verdict& verdict,
                                  const Source& from) {
  // A response needs the request's Via to be routed; the other identifiers are copied
  // when present (a request missing Call-ID still learns why it failed). ACK is never
  // answered (RFC 3261 §17.2.1).
  bool answerable = request.topVia() && request.methodId() != sip::Method::kAck;
  if (!answerable) {
    ++counters_.dropped;
    if (mayLog(LogKind::kDrop))
      spdlog::info("event=drop remote={} reason=\"{}\" note=\"cannot be answered\"",
                   from.remote.toString(), verdict.reason);
    return;
  }
  ++counters_.rejected;
  if (mayLog(LogKind::kReject))
    spdlog::info("event=reject remote={} status={} reason=\"{}\"", from.remote.toString(),
                 verdict.status, verdict.reason);
  sip::Message r = sip::makeResponse(request, verdict.status, verdict.reason, randomTag());
  if (verdict.status == 420 && !verdict.unsupported.empty()) {
    std::string tags;
    for (const std::string& t : verdict.unsupported)
      tags += (tags.empty() ? "" : ", ") + t;
    r.addHeader(sip::HeaderId::kUnsupported, tags);
  }
  if (verdict.status == 415) {
    std::string accept;
    for (const std::string& t : policy_.sessionBodyTypes)
      accept += (accept.empty() ? "" : ", ") + t;
    r.addHeader(sip::HeaderId::kAccept, accept);
  }
  send(responseDestination(request, from), r.serialize());
}

}  // namespace sbc::transport
