// The transport on real loopback sockets (ports chosen by the kernel): UDP and TCP
// receive, validation answers, received/rport, TCP framing, keep-alives, limits and
// timeouts, outbound connections and their failures.

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "signaling/sip/parser.h"
#include "signaling/timer/asio_timer_driver.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transport/asio_transport.h"
#include "signaling/transport/log_limiter.h"
#include "tools/sbcd/runtime.h"

// In the sanitizer build: no vptr check in this binary, whose descriptor-exhaustion test
// makes it report false positives (see ubsan_fd_exhaustion.supp). UBSAN_OPTIONS from the
// environment add to this; other builds never call it.
extern "C" const char* __ubsan_default_options() {
  return "suppressions=" SBC_SOURCE_DIR "/tests/unit/ubsan_fd_exhaustion.supp";
}

namespace sbc::transport {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

struct Recorder : MessageHandler {
  std::vector<sip::Message> messages;
  std::vector<Source> sources;
  std::vector<std::string> failures;
  void onMessage(sip::Message&& m, const Source& from) override {
    messages.push_back(std::move(m));
    sources.push_back(from);
  }
  void onSendFailure(const Destination& to, std::string_view reason) override {
    failures.push_back(to.remote.toString() + " " + std::string(reason));
  }
};

std::string options(std::string_view via, std::string_view extra = "") {
  return "OPTIONS sip:sbc@127.0.0.1 SIP/2.0\r\nVia: " + std::string(via) +
         "\r\nMax-Forwards: 70\r\nTo: <sip:sbc@127.0.0.1>\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\n"
         "Call-ID: t1@192.0.2.1\r\nCSeq: 1 OPTIONS\r\n" +
         std::string(extra) + "Content-Length: 0\r\n\r\n";
}

class TransportTest : public ::testing::Test {
 protected:
  TransportTest() : driver(io, wheel), transport(io, wheel, sip::Limits{}) {
    transport.setHandler(&recorder);
    driver.start();
  }
  ~TransportTest() override {
    transport.close();
    driver.stop();
  }

  // Runs the loop until `done` holds or `limit` passes.
  template <class F>
  bool runUntil(F done, std::chrono::milliseconds limit = 2000ms) {
    // `done` may consume what it checks (a read), so it is called once per round.
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      io.restart();
      io.run_for(10ms);
    }
    return false;
  }

  ListenerId udpListener() {
    std::string error;
    auto id = transport.listenUdp("127.0.0.1", 0, "access", error);
    EXPECT_TRUE(id) << error;
    return *id;
  }
  ListenerId tcpListener(TcpLimits limits = {}) {
    std::string error;
    auto id = transport.listenTcp("127.0.0.1", 0, "access", limits, error);
    EXPECT_TRUE(id) << error;
    return *id;
  }

  asio::io_context io;
  timer::TimerWheel wheel;
  timer::AsioTimerDriver driver;
  AsioTransport transport;
  Recorder recorder;
};

TEST_F(TransportTest, UdpRequestIsStampedWithReceivedAndRport) {
  ListenerId id = udpListener();
  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t peerPort = peer.local_endpoint().port();
  std::string msg = options("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport");
  peer.send_to(asio::buffer(msg),
               udp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  ASSERT_TRUE(runUntil([&] { return recorder.messages.size() == 1; }));
  const sip::Message& m = recorder.messages[0];
  sip::Via via = m.topVia().value;
  EXPECT_EQ(via.received, "127.0.0.1");
  EXPECT_EQ(via.rport, peerPort);
  EXPECT_EQ(recorder.sources[0].remote.port, peerPort);
  EXPECT_EQ(recorder.sources[0].listener, id);
  // Responses go to the source address and port (rport), not to the sent-by.
  Destination d = responseDestination(m, recorder.sources[0]);
  EXPECT_EQ(d.remote.port, peerPort);
  EXPECT_EQ(d.remote.address.toString(), "127.0.0.1");
}

TEST_F(TransportTest, UdpWithoutRportAnswersToTheSentByPort) {
  ListenerId id = udpListener();
  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string msg = options("SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKb");
  peer.send_to(asio::buffer(msg),
               udp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  ASSERT_TRUE(runUntil([&] { return recorder.messages.size() == 1; }));
  EXPECT_TRUE(recorder.messages[0].topVia().value.received.empty());  // sent-by matches the source
  EXPECT_EQ(responseDestination(recorder.messages[0], recorder.sources[0]).remote.port, 5099);
}

TEST_F(TransportTest, UdpInvalidRequestIsAnsweredHere) {
  ListenerId id = udpListener();
  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string msg =
      options("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKc;rport", "Require: frobnicate\r\n");
  peer.send_to(asio::buffer(msg),
               udp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  std::array<char, 4096> buf;
  udp::endpoint from;
  peer.non_blocking(true);
  size_t n = 0;
  ASSERT_TRUE(runUntil([&] {
    boost::system::error_code ec;
    n = peer.receive_from(asio::buffer(buf), from, 0, ec);
    return !ec && n > 0;
  }));
  sip::Message r;
  ASSERT_TRUE(
      sip::parseMessage(std::string_view(buf.data(), n), sip::Framing::kDatagram, {}, r).ok());
  EXPECT_EQ(r.statusCode(), 420);
  EXPECT_EQ(r.header(sip::HeaderId::kUnsupported), "frobnicate");
  EXPECT_TRUE(r.to().value.hasTag());
  EXPECT_EQ(recorder.messages.size(), 0u);
  EXPECT_EQ(transport.counters().rejected, 1u);
}

TEST_F(TransportTest, UdpGarbageAndKeepAlivesAreCountedNotAnswered) {
  ListenerId id = udpListener();
  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  udp::endpoint to(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port);
  peer.send_to(asio::buffer(std::string("\x01\x02garbage\xff")), to);
  peer.send_to(asio::buffer(std::string("\r\n\r\n")), to);
  peer.send_to(asio::buffer(std::string("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")),
               to);  // bad response
  ASSERT_TRUE(runUntil(
      [&] { return transport.counters().dropped + transport.counters().keepAlives == 3; }));
  EXPECT_EQ(transport.counters().keepAlives, 1u);
  EXPECT_EQ(transport.counters().dropped, 2u);
  EXPECT_EQ(recorder.messages.size(), 0u);
}

TEST_F(TransportTest, TcpFramesSeveralMessagesAndAnswersPings) {
  ListenerId id = tcpListener();
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  std::string two = options("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1") +
                    options("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2");
  asio::write(client, asio::buffer(two + "\r\n\r\n"));
  ASSERT_TRUE(runUntil([&] { return recorder.messages.size() == 2; }));
  EXPECT_EQ(recorder.messages[1].topVia().value.branch, "z9hG4bK2");
  EXPECT_NE(recorder.sources[0].connection, 0u);
  EXPECT_EQ(recorder.sources[0].connection, recorder.sources[1].connection);
  // The pong.
  std::array<char, 2> pong{};
  client.non_blocking(true);
  ASSERT_TRUE(runUntil([&] {
    boost::system::error_code ec;
    return asio::read(client, asio::buffer(pong), ec) == 2;
  }));
  EXPECT_EQ(std::string(pong.data(), 2), "\r\n");
  // A response sent to the connection id goes back on the same connection.
  ASSERT_TRUE(transport.send(
      Destination{recorder.sources[0].remote, id, recorder.sources[0].connection}, "PING"));
  std::array<char, 4> got{};
  ASSERT_TRUE(runUntil([&] {
    boost::system::error_code ec;
    return asio::read(client, asio::buffer(got), ec) == 4;
  }));
  EXPECT_EQ(std::string(got.data(), 4), "PING");
}

TEST_F(TransportTest, TcpMissingContentLengthGets400AndClose) {
  ListenerId id = tcpListener();
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  std::string msg = options("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK3");
  msg.replace(msg.find("Content-Length: 0\r\n"), 19, "");
  asio::write(client, asio::buffer(msg));
  std::string received;
  client.non_blocking(true);
  bool closed = runUntil([&] {
    std::array<char, 2048> buf;
    boost::system::error_code ec;
    size_t n = client.read_some(asio::buffer(buf), ec);
    if (n) received.append(buf.data(), n);
    return ec == asio::error::eof;
  });
  EXPECT_TRUE(closed);
  EXPECT_EQ(received.substr(0, 12), "SIP/2.0 400 ");
  EXPECT_NE(received.find("missing Content-Length"), std::string::npos);
  EXPECT_EQ(transport.counters().tcpFramingErrors, 1u);
}

TEST_F(TransportTest, TcpSlowPeerIsCutOffAfterTheHeaderTimeout) {
  TcpLimits limits;
  limits.headerTimeout = 300ms;
  ListenerId id = tcpListener(limits);
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  asio::write(client,
              asio::buffer(std::string("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n")));
  client.non_blocking(true);
  auto start = std::chrono::steady_clock::now();
  bool closed = runUntil(
      [&] {
        std::array<char, 64> buf;
        boost::system::error_code ec;
        client.read_some(asio::buffer(buf), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
      },
      3000ms);
  EXPECT_TRUE(closed);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(transport.counters().tcpTimedOut, 1u);
  EXPECT_EQ(transport.connections(), 0u);
}

TEST_F(TransportTest, TcpConnectionLimitRefusesTheExtraConnection) {
  TcpLimits limits;
  limits.maxConnections = 1;
  ListenerId id = tcpListener(limits);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port);
  tcp::socket first(io);
  first.connect(ep);
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpAccepted == 1; }));
  tcp::socket second(io);
  second.connect(ep);
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpRefused == 1; }));
  EXPECT_EQ(transport.connections(), 1u);
}

TEST_F(TransportTest, OutboundTcpConnectsFromTheListenerAddressAndIsReused) {
  ListenerId id = tcpListener();
  tcp::acceptor server(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Endpoint to{Protocol::kTcp, *net::IpAddress::parse("127.0.0.1"), server.local_endpoint().port()};
  ASSERT_TRUE(transport.send(Destination{to, id, 0}, "ONE"));
  ASSERT_TRUE(transport.send(Destination{to, id, 0}, "TWO"));
  tcp::socket peer(io);
  bool accepted = false;
  server.async_accept(peer, [&](const boost::system::error_code& ec) { accepted = !ec; });
  ASSERT_TRUE(runUntil([&] { return accepted; }));
  std::array<char, 6> buf{};
  peer.non_blocking(true);
  ASSERT_TRUE(runUntil([&] {
    boost::system::error_code ec;
    return asio::read(peer, asio::buffer(buf), ec) == 6;
  }));
  EXPECT_EQ(std::string(buf.data(), 6), "ONETWO");
  EXPECT_EQ(transport.connections(), 1u);
}

TEST_F(TransportTest, OutboundTcpFailureIsReported) {
  ListenerId id = tcpListener();
  // A port nobody listens on: bind one, then close it.
  uint16_t port;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  Endpoint to{Protocol::kTcp, *net::IpAddress::parse("127.0.0.1"), port};
  ASSERT_TRUE(transport.send(Destination{to, id, 0}, "HELLO"));
  ASSERT_TRUE(runUntil([&] { return !recorder.failures.empty(); }));
  EXPECT_NE(recorder.failures[0].find("connect failed"), std::string::npos);
}

// Issue 14, defect 3: a trunk connection reset while a request waits on it (an INVITE
// ringing) is reported, so its transactions fail now instead of waiting for Timer C. An
// inbound connection's close is not: its peer may answer on a new connection.
TEST_F(TransportTest, OutboundTcpConnectionClosedByThePeerIsReported) {
  ListenerId id = tcpListener();
  tcp::acceptor server(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Endpoint to{Protocol::kTcp, *net::IpAddress::parse("127.0.0.1"), server.local_endpoint().port()};
  ASSERT_TRUE(transport.send(Destination{to, id, 0}, "INVITE"));
  tcp::socket peer(io);
  bool accepted = false;
  server.async_accept(peer, [&](const boost::system::error_code& ec) { accepted = !ec; });
  ASSERT_TRUE(runUntil([&] { return accepted; }));
  std::array<char, 6> buf{};
  peer.non_blocking(true);
  ASSERT_TRUE(runUntil([&] {
    boost::system::error_code ec;
    return asio::read(peer, asio::buffer(buf), ec) == 6;
  }));
  EXPECT_TRUE(recorder.failures.empty());
  // The trunk resets the connection (SO_LINGER 0: RST, as a crashed trunk would).
  peer.set_option(asio::socket_base::linger(true, 0));
  peer.close();
  ASSERT_TRUE(runUntil([&] { return !recorder.failures.empty(); }));
  EXPECT_NE(recorder.failures[0].find("connection closed by peer"), std::string::npos)
      << recorder.failures[0];
  EXPECT_EQ(recorder.failures[0].rfind(to.toString(), 0), 0u) << recorder.failures[0];
  EXPECT_EQ(transport.connections(), 0u);

  // An inbound connection that its peer closes is not reported.
  ListenerId in = tcpListener();
  tcp::socket caller(io);
  caller.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(in)->port));
  ASSERT_TRUE(runUntil([&] { return transport.connections() == 1; }));
  caller.close();
  ASSERT_TRUE(runUntil([&] { return transport.connections() == 0; }));
  EXPECT_EQ(recorder.failures.size(), 1u);
}

// A trunk that stops reading: the SBC's queue to it overflows, the connection is closed,
// and the requests waiting on it are failed (reported after send() returns).
TEST_F(TransportTest, OutboundTcpQueueOverflowIsReported) {
  TcpLimits limits;
  limits.maxQueuedBytes = 131072;
  ListenerId id = tcpListener(limits);
  tcp::acceptor server(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Endpoint to{Protocol::kTcp, *net::IpAddress::parse("127.0.0.1"), server.local_endpoint().port()};
  const std::string request(4096, 'x');
  int accepted = 0;
  for (int i = 0; i < 64 && transport.send(Destination{to, id, 0}, request); ++i)
    ++accepted;
  EXPECT_LT(accepted, 64);                 // refused once the queue is full
  EXPECT_TRUE(recorder.failures.empty());  // not from inside send()
  ASSERT_TRUE(runUntil([&] { return !recorder.failures.empty(); }));
  EXPECT_NE(recorder.failures[0].find("send queue overflow"), std::string::npos)
      << recorder.failures[0];
}

TEST_F(TransportTest, BindErrorsAreExplained) {
  std::string error;
  EXPECT_FALSE(transport.listenUdp("not-an-ip", 5060, "x", error));
  EXPECT_EQ(error, "not-an-ip: not an IP address");
  ListenerId id = udpListener();
  EXPECT_FALSE(transport.listenUdp("127.0.0.1", transport.listener(id)->port, "x", error));
  EXPECT_NE(error.find("Address already in use"), std::string::npos);
}

// Issue 14, defect 4: the header timeout is per message. A busy peer whose every read
// ends mid-message (each write: the end of one request and the start of the next) runs
// for several header timeouts and is never cut; each of its requests arrives.
TEST_F(TransportTest, TcpBusyPeerWhoseReadsEndMidMessageIsNotCut) {
  TcpLimits limits;
  limits.headerTimeout = 200ms;
  ListenerId id = tcpListener(limits);
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  constexpr int kMessages = 16;  // 16 x 70 ms: more than five header timeouts
  std::string stream;
  std::vector<size_t> cuts;  // each write ends halfway through a message
  for (int i = 0; i < kMessages; ++i) {
    std::string m = options("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKbusy" + std::to_string(i));
    cuts.push_back(stream.size() + m.size() / 2);
    stream += m;
  }
  cuts.push_back(stream.size());
  size_t from = 0;
  for (size_t cut : cuts) {
    asio::write(client, asio::buffer(stream.data() + from, cut - from));
    from = cut;
    io.restart();
    io.run_for(70ms);
  }
  ASSERT_TRUE(runUntil([&] { return recorder.messages.size() == size_t(kMessages); }))
      << "received " << recorder.messages.size() << ", timed out "
      << transport.counters().tcpTimedOut;
  EXPECT_EQ(transport.counters().tcpTimedOut, 0u);
  EXPECT_EQ(transport.connections(), 1u);
}

// The same busy peer that then stalls mid-message is still cut after one header timeout.
TEST_F(TransportTest, TcpPeerThatStallsAfterCompleteMessagesIsCut) {
  TcpLimits limits;
  limits.headerTimeout = 200ms;
  ListenerId id = tcpListener(limits);
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  std::string m = options("SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKstall");
  asio::write(client, asio::buffer(m + m.substr(0, 40)));
  ASSERT_TRUE(runUntil([&] { return recorder.messages.size() == 1; }));
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpTimedOut == 1; }, 1000ms));
  EXPECT_EQ(transport.connections(), 0u);
}

// Issue 14, defect 5: a peer that sends CRLF CRLF pings and never reads makes the SBC queue
// a pong per ping; the queue is capped and the connection closed when it overflows.
TEST_F(TransportTest, TcpPeerThatNeverReadsIsClosedWhenItsSendQueueOverflows) {
  TcpLimits limits;
  limits.maxQueuedBytes = 16384;
  ListenerId id = tcpListener(limits);
  tcp::socket client(io);
  client.open(tcp::v4());
  client.set_option(asio::socket_base::receive_buffer_size(4096));
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port));
  ASSERT_TRUE(runUntil([&] { return transport.connections() == 1; }));
  client.non_blocking(true);
  std::string flood;
  for (int i = 0; i < 16 * 1024; ++i)
    flood += "\r\n\r\n";
  size_t sent = 0;
  bool closed = runUntil(
      [&] {
        boost::system::error_code ec;
        sent += client.write_some(asio::buffer(flood), ec);
        if (ec && ec != asio::error::would_block) return true;  // reset by the SBC
        return transport.connections() == 0;
      },
      10000ms);
  EXPECT_TRUE(closed) << "sent " << sent << " bytes of pings, keep-alives "
                      << transport.counters().keepAlives;
  EXPECT_EQ(transport.counters().tcpQueueOverflows, 1u);
  EXPECT_EQ(transport.connections(), 0u);
}

// Issue 14, defect 6: connections per source address are capped (another source still
// connects), and so are the connections the SBC opens itself.
TEST_F(TransportTest, TcpPerSourceLimitRefusesOnlyThatSource) {
  TcpLimits limits;
  limits.maxConnectionsPerSource = 2;
  ListenerId id = tcpListener(limits);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port);
  auto from = [&](const char* address) {
    auto s = std::make_unique<tcp::socket>(io);
    s->open(tcp::v4());
    s->bind(tcp::endpoint(asio::ip::make_address(address), 0));
    s->connect(ep);
    return s;
  };
  auto a1 = from("127.0.0.1");
  auto a2 = from("127.0.0.1");
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpAccepted == 2; }));
  auto a3 = from("127.0.0.1");
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpRefusedPerSource == 1; }));
  auto b1 = from("127.0.0.5");
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpAccepted == 3; }));
  EXPECT_EQ(transport.connections(), 3u);
  // A closed connection frees its source's slot.
  a1->close();
  ASSERT_TRUE(runUntil([&] { return transport.connections() == 2; }));
  auto a4 = from("127.0.0.1");
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpAccepted == 4; }));
  EXPECT_EQ(transport.counters().tcpRefusedPerSource, 1u);
}

TEST_F(TransportTest, OutboundTcpConnectionsAreCapped) {
  TcpLimits limits;
  limits.maxOutbound = 1;
  ListenerId id = tcpListener(limits);
  tcp::acceptor one(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::acceptor two(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto to = [](const tcp::acceptor& a) {
    return Destination{
        Endpoint{Protocol::kTcp, *net::IpAddress::parse("127.0.0.1"), a.local_endpoint().port()}, 0,
        0};
  };
  Destination d1 = to(one), d2 = to(two);
  d1.listener = d2.listener = id;
  EXPECT_TRUE(transport.send(d1, "ONE"));
  EXPECT_TRUE(transport.send(d1, "AGAIN"));  // the same connection
  EXPECT_FALSE(transport.send(d2, "TWO"));
  EXPECT_EQ(transport.counters().tcpOutboundRefused, 1u);
  EXPECT_EQ(transport.connections(), 1u);
}

// Holds RLIMIT_NOFILE's soft limit at what is open now (no new descriptor can be made)
// until destroyed.
class NoMoreDescriptors {
 public:
  NoMoreDescriptors() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    // A new descriptor takes the lowest free number, and the limit bounds that number.
    int lowestFree = ::dup(0);
    ::close(lowestFree);
    rlimit low = saved_;
    low.rlim_cur = rlim_t(lowestFree);
    setrlimit(RLIMIT_NOFILE, &low);
  }
  ~NoMoreDescriptors() { release(); }
  void release() { setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

// Issue 14, defect 6: accept() failing for want of descriptors (EMFILE) is retried after a
// growing back-off, not at once (a 100% CPU spin), and the waiting peers are accepted once
// descriptors are free again.
TEST_F(TransportTest, AcceptErrorsBackOffAndServiceRecovers) {
  ListenerId id = tcpListener();
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port);
  std::vector<std::unique_ptr<tcp::socket>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<tcp::socket>(io));
    clients.back()->open(tcp::v4());  // the client's descriptors exist before the limit
  }
  NoMoreDescriptors limit;
  for (auto& c : clients)
    c->connect(ep);  // completes in the kernel's backlog; accept() then needs a descriptor
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 600ms) {
    io.restart();
    io.run_for(10ms);
  }
  uint64_t errors = transport.counters().tcpAcceptErrors;
  EXPECT_GE(errors, 1u);
  // 10, 20, 40, 80, 160, 320 ms: about six retries in 600 ms, where a spin makes thousands.
  EXPECT_LE(errors, 12u);
  EXPECT_EQ(transport.counters().tcpAccepted, 0u);
  limit.release();
  ASSERT_TRUE(runUntil([&] { return transport.counters().tcpAccepted == 3; }, 3000ms))
      << "accept errors " << transport.counters().tcpAcceptErrors;
  EXPECT_EQ(transport.connections(), 3u);
}

// The "also look at" of issue 14: per-message log lines are rate-limited per kind, and the
// lines held back are reported once.
TEST(LogLimiter, AllowsABurstPerSecondThenReportsWhatItHeldBack) {
  LogLimiter limiter(3);
  auto t0 = LogLimiter::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    if (limiter.allow(t0 + std::chrono::milliseconds(i), suppressed)) ++allowed;
    EXPECT_EQ(suppressed, 0u);
  }
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(limiter.totalSuppressed(), 7u);
  EXPECT_FALSE(limiter.allow(t0 + 999ms, suppressed));
  ASSERT_TRUE(limiter.allow(t0 + 1000ms, suppressed));
  EXPECT_EQ(suppressed, 8u);  // the summary rides on the first line of the next second
  EXPECT_TRUE(limiter.allow(t0 + 1001ms, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_EQ(limiter.totalSuppressed(), 8u);
}

// A flood of rejected requests writes a bounded number of log lines.
TEST_F(TransportTest, RejectionLogLinesAreRateLimited) {
  ListenerId id = udpListener();
  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  udp::endpoint to(asio::ip::make_address("127.0.0.1"), transport.listener(id)->port);
  std::string bad = options("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKflood");
  bad.replace(bad.find("Call-ID"), 7, "X-Nope");  // no Call-ID: 400, one log line each
  for (int i = 0; i < 200; ++i)
    peer.send_to(asio::buffer(bad), to);
  ASSERT_TRUE(runUntil([&] { return transport.counters().rejected == 200; }));
  // At most one second's burst of lines got through; the rest were counted.
  EXPECT_GE(transport.counters().logLinesSuppressed, 200u - 2 * 10u);
}

// Nothing a handler throws escapes sbcd's event loop: it is counted and the loop goes on.
TEST(EventLoop, HandlerExceptionsAreCaughtAndTheLoopKeepsServing) {
  asio::io_context io;
  sbcd::LoopCounters counters;
  bool after = false;
  asio::post(io, [] { throw std::bad_alloc(); });
  asio::post(io, [] { throw std::runtime_error("boom"); });
  asio::post(io, [&] { after = true; });
  sbcd::runEventLoop(io, counters);
  EXPECT_TRUE(after);
  EXPECT_EQ(counters.exceptions, 2u);
}

// What sbcd checks against RLIMIT_NOFILE: both caps of every TCP listener and a reserve.
TEST(DescriptorLimit, TcpCapsOfEveryTcpListenerAreCounted) {
  topology::Realm a;
  a.listen = {{topology::Transport::kUdp, "127.0.0.1", 5060},
              {topology::Transport::kTcp, "127.0.0.1", 5060}};
  a.limits.tcpMaxConnections = 100;
  a.limits.tcpMaxOutboundConnections = 10;
  topology::Realm b = a;
  b.listen.pop_back();  // UDP only: no TCP descriptors
  EXPECT_EQ(sbcd::descriptorsNeeded({a, b}), 256u + 110u);
  uint64_t limit = 0;
  EXPECT_EQ(sbcd::fitDescriptorLimit(16, &limit), "");
  EXPECT_GE(limit, 16u);
  if (limit != RLIM_INFINITY) {
    EXPECT_NE(sbcd::fitDescriptorLimit(limit + 1).find("RLIMIT_NOFILE"), std::string::npos);
  }
}

TEST(StampReceived, RportAndReceived) {
  sip::Message m;
  ASSERT_TRUE(sip::parseMessage(
                  options("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKx, SIP/2.0/UDP 10.0.0.2"),
                  sip::Framing::kDatagram, {}, m)
                  .ok());
  Source from{Endpoint{Protocol::kUdp, *net::IpAddress::parse("203.0.113.7"), 40000}, 0, 0};
  ASSERT_TRUE(stampReceived(m, from));
  EXPECT_EQ(m.header(sip::HeaderId::kVia),
            "SIP/2.0/UDP 10.0.0.1:5060;rport=40000;branch=z9hG4bKx;received=203.0.113.7, "
            "SIP/2.0/UDP 10.0.0.2");
  Destination d = responseDestination(m, from);
  EXPECT_EQ(d.remote.port, 40000);
  EXPECT_EQ(d.remote.address.toString(), "203.0.113.7");
}

TEST(SipTrafficCount, SentMessagesByMethodAndCode) {
  SipTraffic t;
  countSent(t, "INVITE sip:bob@192.0.2.1 SIP/2.0\r\nVia: x\r\n\r\n");
  countSent(t, "INVITE sip:bob@192.0.2.1 SIP/2.0\r\n\r\n");
  countSent(t, "FROB sip:bob@192.0.2.1 SIP/2.0\r\n\r\n");  // unknown: "other"
  countSent(t, "SIP/2.0 486 Busy Here\r\n\r\n");
  countSent(t, "SIP/2.0 100 Trying\r\n\r\n");
  countSent(t, "SIP/2.0 7xx Nonsense\r\n\r\n");  // not a code: not counted
  countSent(t, "SIP/2.0 99");
  EXPECT_EQ(t.requestsOut[size_t(sip::Method::kInvite)], 2u);
  EXPECT_EQ(t.requestsOut[size_t(sip::Method::kUnknown)], 1u);
  EXPECT_EQ(t.responsesOut[486 - SipTraffic::kFirstCode], 1u);
  EXPECT_EQ(t.responsesOut[100 - SipTraffic::kFirstCode], 1u);
  uint64_t responses = 0;
  for (uint64_t n : t.responsesOut)
    responses += n;
  EXPECT_EQ(responses, 2u);
}

}  // namespace
}  // namespace sbc::transport
