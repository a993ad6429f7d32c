#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "signaling/sip/parser.h"
#include "signaling/sip/random_token.h"
#include "signaling/sip/response.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/client_invite.h"
#include "signaling/transaction/client_non_invite.h"
#include "signaling/transaction/server_invite.h"
#include "signaling/transaction/server_non_invite.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/support/recording_user.h"

// Counts live heap bytes, for the memory footprint test at the end. Every plain form of
// new and delete is replaced so that they always pair (the aligned forms keep theirs).
namespace {
long long gLiveBytes = 0;
constexpr size_t kHeader = alignof(std::max_align_t);

// Out of line: inlined into a container's destructor, GCC pairs the header read and free()
// with the allocation it saw (of the container's size, without the header) and reports
// -Warray-bounds and -Wmismatched-new-delete that do not apply to replaced operators.
[[gnu::noinline]] void* countedAlloc(size_t n) noexcept {
  void* p = std::malloc(n + kHeader);
  if (!p) return nullptr;
  *static_cast<size_t*>(p) = n;
  gLiveBytes += static_cast<long long>(n);
  return static_cast<char*>(p) + kHeader;
}
[[gnu::noinline]] void countedFree(void* p) noexcept {
  if (!p) return;
  char* block = static_cast<char*>(p) - kHeader;
  gLiveBytes -= static_cast<long long>(*reinterpret_cast<size_t*>(block));
  std::free(block);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = countedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = countedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return countedAlloc(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return countedAlloc(n);
}
void operator delete(void* p) noexcept {
  countedFree(p);
}
void operator delete[](void* p) noexcept {
  countedFree(p);
}
void operator delete(void* p, size_t) noexcept {
  countedFree(p);
}
void operator delete[](void* p, size_t) noexcept {
  countedFree(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  countedFree(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  countedFree(p);
}

namespace sbc::transaction {
namespace {

using std::chrono::milliseconds;
using timer::TimePoint;
using transport::Destination;
using transport::Endpoint;
using transport::Protocol;
using transport::Source;

// ---- fixtures: clock; transport and transaction user from tests/support ------------------

struct ManualClock {
  TimePoint start = TimePoint() + std::chrono::hours(1);
  TimePoint now = start;
  int ms() const {
    return static_cast<int>(std::chrono::duration_cast<milliseconds>(now - start).count());
  }
};

using test::FakeTransport;
using test::parse;
using test::RecordingUser;
using test::Sent;
using test::wire;
using Event = test::UserEvent;

// A request as a peer (or the TU) writes it.
struct Req {
  std::string method = "INVITE";
  std::string uri = "sip:bob@example.com";
  std::string transport = "UDP";
  std::string sentBy = "192.0.2.10:5060";
  std::string branch = "z9hG4bKpeer1";
  std::string viaExtra;  // more Via parameters, e.g. ";rport"
  std::string toTag;
  std::string fromTag = "a1";
  std::string callId = "call-1@192.0.2.10";
  uint32_t cseq = 1;
  std::string cseqMethod;  // empty: the method
  std::string extra;       // more header lines, each ending in CRLF
  std::string body;

  std::string text() const {
    std::string t = method + " " + uri + " SIP/2.0\r\n";
    t += "Via: SIP/2.0/" + transport + " " + sentBy;
    if (!branch.empty()) t += ";branch=" + branch;
    t += viaExtra + "\r\n";
    t += "Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKdeeper\r\n";
    t += "Max-Forwards: 70\r\n";
    t += "From: Alice <sip:alice@example.org>;tag=" + fromTag + "\r\n";
    t += "To: Bob <sip:bob@example.com>" + (toTag.empty() ? "" : ";tag=" + toTag) + "\r\n";
    t += "Call-ID: " + callId + "\r\n";
    t +=
        "CSeq: " + std::to_string(cseq) + " " + (cseqMethod.empty() ? method : cseqMethod) + "\r\n";
    t += "Contact: <sip:alice@192.0.2.10>\r\n";
    t += extra;
    t += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return t;
  }
  sip::Message message() const { return parse(text()); }
};

const Source kUdpPeer{Endpoint{Protocol::kUdp, *net::IpAddress::parse("192.0.2.10"), 5060}, 0, 0};
const Source kTcpPeer{Endpoint{Protocol::kTcp, *net::IpAddress::parse("192.0.2.20"), 40000}, 1, 7};
const Destination kUdpNext{Endpoint{Protocol::kUdp, *net::IpAddress::parse("198.51.100.7"), 5060},
                           0, 0};
const Destination kTcpNext{Endpoint{Protocol::kTcp, *net::IpAddress::parse("198.51.100.8"), 5060},
                           1, 0};
// Where responses to requests sent to kUdpNext come from.
const Source kFromUdpNext{kUdpNext.remote, 0, 0};

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest() { makeLayer(); }

  void makeLayer(TimerConfig config = {}, Limits limits = {}) {
    layer_.reset();
    layer_ = std::make_unique<TransactionLayer>(transport_, wheel_, config, user_, limits);
  }
  TransactionLayer& layer() { return *layer_; }

  // Moves time to `ms` after the start the way AsioTimerDriver does: to each deadline
  // in turn, so that timers scheduled from callbacks are scheduled from the right time.
  void runTo(int ms) {
    TimePoint target = clock_.start + milliseconds(ms);
    while (std::optional<TimePoint> next = wheel_.nextDeadline()) {
      if (*next > target) break;
      clock_.now = std::max(clock_.now, *next);
      wheel_.advance(clock_.now);
    }
    clock_.now = std::max(clock_.now, target);
    wheel_.advance(clock_.now);
  }
  void runFor(int ms) { runTo(clock_.ms() + ms); }
  // Fires what is due now (0 ms timers) without moving the clock.
  void flush() { wheel_.advance(clock_.now); }

  // ---- the server side: requests arriving ----
  void receive(const Req& req, const Source& from = kUdpPeer) {
    layer().onMessage(req.message(), from);
  }
  TransactionId receiveNew(const Req& req, const Source& from = kUdpPeer) {
    size_t before = user_.count("request");
    receive(req, from);
    EXPECT_EQ(user_.count("request"), before + 1);
    const Event* e = user_.last("request");
    return e ? e->id : 0;
  }
  // A response built from the transaction's request (from a stand-in once it is gone).
  sip::Message responseTo(TransactionId server, int status, std::string_view toTag = "b1") {
    const sip::Message* request = layer().request(server);
    sip::Message standIn = Req().message();
    return sip::makeResponse(request ? *request : standIn, status, {}, status > 100 ? toTag : "");
  }
  bool respond(TransactionId server, int status, std::string_view toTag = "b1") {
    return layer().respond(server, responseTo(server, status, toTag));
  }
  // An ACK for a non-2xx as the peer sends it: same branch as the INVITE.
  Req ackFor(Req invite, std::string toTag = "b1") {
    invite.method = "ACK";
    invite.toTag = std::move(toTag);
    invite.cseqMethod = "";
    invite.body = "";
    return invite;
  }

  // ---- the client side: our requests ----
  Req ourRequest(std::string method = "INVITE", std::string transport = "UDP") {
    Req r;
    r.method = std::move(method);
    r.transport = std::move(transport);
    r.sentBy = "203.0.113.1:5060";
    r.branch = layer().newBranch();
    r.fromTag = "ours1";
    r.callId = "leg-b@203.0.113.1";
    return r;
  }
  TransactionId send(const Req& req, const Destination& to = kUdpNext) {
    return layer().sendRequest(req.message(), to);
  }
  // A response from the peer to the request we sent as transport_.sent[index].
  void answer(size_t index, int status, std::string_view toTag = "peer9",
              std::string_view extra = {}) {
    sip::Message request = transport_.sent.at(index).message();
    sip::Message response = sip::makeResponse(request, status, {}, toTag);
    if (!extra.empty()) response.addHeader("X-Extra", extra);
    const Destination& to = transport_.sent.at(index).to;
    layer().onMessage(wire(response), Source{to.remote, to.listener, to.connection});
  }

  ManualClock clock_;
  timer::TimerWheel wheel_{[this] { return clock_.now; }};
  FakeTransport transport_{[this] { return clock_.ms(); }};
  RecordingUser user_{[this] { return clock_.ms(); }};
  std::unique_ptr<TransactionLayer> layer_;
};

std::vector<int> v(std::initializer_list<int> l) {
  return l;
}

// ==== INVITE client transaction =============================================================

TEST_F(TransactionTest, ClientInviteUdpTimerAScheduleAndTimerB) {
  TransactionId id = send(ourRequest());
  EXPECT_NE(id, 0u);
  EXPECT_EQ(layer().clientTransactions(), 1u);
  runTo(40000);
  // Timer A doubles without the T2 cap; Timer B (64*T1) ends it before the 7th resend.
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0, 500, 1500, 3500, 7500, 15500, 31500}));
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"clientFailure"});
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].failure, ClientFailure::kTimeout);
  EXPECT_EQ(user_.events[0].at, 32000);
  EXPECT_EQ(layer().clientTransactions(), 0u);
  EXPECT_EQ(layer().counters().retransmissionsSent, 6u);
  // ... and per listener, which is per realm on the metrics endpoint.
  const auto& byListener = layer().counters().retransmissionsByListener;
  ASSERT_GT(byListener.size(), size_t{kUdpNext.listener});
  EXPECT_EQ(byListener[kUdpNext.listener], 6u);
  EXPECT_EQ(transport_.sent[0].to.remote, kUdpNext.remote);
}

TEST_F(TransactionTest, ClientInviteTimersFollowTheConfiguredT1) {
  makeLayer(TimerConfig{milliseconds(100), milliseconds(400), milliseconds(1000)});
  send(ourRequest());
  runTo(10000);
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0, 100, 300, 700, 1500, 3100, 6300}));
  EXPECT_EQ(user_.last("clientFailure")->at, 6400);
}

TEST_F(TransactionTest, ClientInviteTcpHasNoTimerAButTimerB) {
  send(ourRequest("INVITE", "TCP"), kTcpNext);
  runTo(40000);
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0}));
  EXPECT_EQ(user_.last("clientFailure")->at, 32000);
  EXPECT_EQ(layer().counters().retransmissionsSent, 0u);
}

TEST_F(TransactionTest, ClientInviteProvisionalStopsTimersAAndB) {
  TransactionId id = send(ourRequest());
  runTo(600);
  answer(0, 180);
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"response"});
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].status, 180);
  runTo(100000);
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0, 500}));
  EXPECT_EQ(user_.count("clientFailure"), 0u);  // no Timer B in Proceeding: the TU decides
  EXPECT_EQ(layer().clientTransactions(), 1u);
  answer(0, 183);
  answer(0, 200);
  EXPECT_EQ(user_.count("response"), 3u);
}

TEST_F(TransactionTest, ClientInviteNon2xxIsAcknowledgedByTheLayer) {
  Req invite = ourRequest();
  invite.uri = "sip:bob@198.51.100.7;transport=udp";
  invite.extra =
      "Route: <sip:p1.example.net;lr>\r\n"
      "Route: <sip:p2.example.net;lr>, <sip:p3.example.net;lr>\r\n"
      "Subject: lunch\r\n";
  invite.cseq = 42;
  invite.body = "v=0\r\n";
  TransactionId id = send(invite);
  answer(0, 486, "busy7");
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"response"});
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].status, 486);

  ASSERT_EQ(transport_.count("ACK"), 1u);
  const Sent& sent = transport_.sent.back();
  EXPECT_EQ(sent.to.remote, kUdpNext.remote);
  sip::Message ack = sent.message();
  sip::Message original = transport_.sent[0].message();
  EXPECT_EQ(ack.requestUri(), "sip:bob@198.51.100.7;transport=udp");
  ASSERT_EQ(ack.count(sip::HeaderId::kVia), 1u);
  EXPECT_EQ(ack.topVia().value.text, original.topVia().value.text);
  EXPECT_EQ(ack.callId(), original.callId());
  EXPECT_EQ(ack.header(sip::HeaderId::kFrom), original.header(sip::HeaderId::kFrom));
  EXPECT_EQ(ack.to().value.tag(), "busy7");
  EXPECT_EQ(ack.cseq().value.number, 42u);
  EXPECT_EQ(ack.cseq().value.method, "ACK");
  std::vector<std::string> routes;
  ack.forEachValue(sip::HeaderId::kRoute, [&](std::string_view r) -> const char* {
    routes.emplace_back(r);
    return nullptr;
  });
  EXPECT_EQ(routes, (std::vector<std::string>{"<sip:p1.example.net;lr>", "<sip:p2.example.net;lr>",
                                              "<sip:p3.example.net;lr>"}));
  EXPECT_EQ(ack.maxForwards().value, 70u);
  EXPECT_EQ(ack.body(), "");
  EXPECT_EQ(ack.header("Subject"), "");
  EXPECT_EQ(ack.header(sip::HeaderId::kContentType), "");
}

TEST_F(TransactionTest, ClientInviteCompletedAbsorbsFinalRetransmissionsUntilTimerD) {
  send(ourRequest());
  runTo(100);
  answer(0, 503);
  EXPECT_EQ(transport_.requestTimes("ACK"), v({100}));
  runTo(700);
  answer(0, 503);
  runTo(2000);
  answer(0, 503);
  EXPECT_EQ(transport_.requestTimes("ACK"), v({100, 700, 2000}));
  EXPECT_EQ(user_.count("response"), 1u);  // the TU heard it once
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 2u);
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0}));  // Timer A stopped
  runTo(32099);
  EXPECT_EQ(layer().clientTransactions(), 1u);
  runTo(32100);  // Timer D: 32 s after the final response
  EXPECT_EQ(layer().clientTransactions(), 0u);
  answer(0, 503);
  EXPECT_EQ(user_.count("stray"), 1u);
  EXPECT_EQ(user_.count("clientFailure"), 0u);
}

TEST_F(TransactionTest, ClientInviteOverTcpEndsRightAfterTheAck) {
  send(ourRequest("INVITE", "TCP"), kTcpNext);
  answer(0, 404);
  EXPECT_EQ(transport_.count("ACK"), 1u);
  EXPECT_EQ(transport_.sent.back().to.remote, kTcpNext.remote);
  EXPECT_EQ(layer().clientTransactions(), 0u);  // Timer D = 0
  EXPECT_EQ(user_.count("response"), 1u);
}

TEST_F(TransactionTest, ClientInviteAcceptedPassesEvery2xxUntilTimerM) {
  TransactionId id = send(ourRequest());
  runTo(100);
  answer(0, 180);
  runTo(1000);
  answer(0, 200, "fork1");
  runTo(1500);
  answer(0, 200, "fork1");  // retransmission
  answer(0, 200, "fork2");  // another fork
  answer(0, 486, "fork3");  // late non-2xx: nothing to do with it now
  answer(0, 183, "fork4");
  ASSERT_EQ(user_.count("response"), 4u);
  EXPECT_EQ(user_.events[3].id, id);
  EXPECT_EQ(user_.lastResponse->to().value.tag(), "fork2");
  EXPECT_EQ(transport_.count("ACK"), 0u);  // the ACK for a 2xx belongs to the TU
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0}));
  runTo(32999);
  EXPECT_EQ(layer().clientTransactions(), 1u);
  runTo(33000);  // Timer M = 64*T1 after the first 2xx
  EXPECT_EQ(layer().clientTransactions(), 0u);
  answer(0, 200, "fork1");
  EXPECT_EQ(user_.count("stray"), 1u);
  EXPECT_EQ(layer().counters().strayResponses, 1u);
}

TEST_F(TransactionTest, ClientInvite2xxInCallingGoesStraightToAccepted) {
  send(ourRequest());
  runTo(700);
  answer(0, 200);
  runTo(20000);
  EXPECT_EQ(transport_.requestTimes("INVITE"), v({0, 500}));
  EXPECT_EQ(user_.count("clientFailure"), 0u);  // Timer B stopped
}

TEST_F(TransactionTest, ClientInviteOverTcpStillWaitsTimerMForForks) {
  send(ourRequest("INVITE", "TCP"), kTcpNext);
  answer(0, 200, "x");
  runTo(31999);
  answer(0, 200, "y");
  EXPECT_EQ(user_.count("response"), 2u);
  runTo(32000);
  EXPECT_EQ(layer().clientTransactions(), 0u);
}

// ==== non-INVITE client transaction =========================================================

TEST_F(TransactionTest, ClientNonInviteUdpTimerEScheduleAndTimerF) {
  TransactionId id = send(ourRequest("OPTIONS"));
  runTo(40000);
  // E: T1 doubling, capped at T2 = 4 s; F = 64*T1 ends it.
  EXPECT_EQ(transport_.requestTimes("OPTIONS"),
            v({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"clientFailure"});
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].failure, ClientFailure::kTimeout);
  EXPECT_EQ(user_.events[0].at, 32000);
  EXPECT_EQ(layer().counters().retransmissionsSent, 10u);
}

TEST_F(TransactionTest, ClientNonInviteProceedingRetransmitsEveryT2) {
  send(ourRequest("BYE"));
  runTo(600);
  answer(0, 100);
  EXPECT_EQ(user_.count("response"), 1u);
  runTo(40000);
  // The E pending at 1500 still fires; from then on every T2.
  EXPECT_EQ(transport_.requestTimes("BYE"),
            v({0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500}));
  EXPECT_EQ(user_.last("clientFailure")->at, 32000);  // F runs in Proceeding too
}

TEST_F(TransactionTest, ClientNonInviteCompletedAbsorbsUntilTimerK) {
  TransactionId id = send(ourRequest("OPTIONS"));
  runTo(800);
  answer(0, 200);
  ASSERT_EQ(user_.count("response"), 1u);
  EXPECT_EQ(user_.events[0].id, id);
  runTo(1000);
  answer(0, 200);
  answer(0, 200);
  EXPECT_EQ(user_.count("response"), 1u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 2u);
  runTo(5799);
  EXPECT_EQ(layer().clientTransactions(), 1u);
  runTo(5800);  // Timer K = T4 after the final
  EXPECT_EQ(layer().clientTransactions(), 0u);
  EXPECT_EQ(transport_.requestTimes("OPTIONS"), v({0, 500}));
  answer(0, 200);
  EXPECT_EQ(user_.count("stray"), 1u);
}

TEST_F(TransactionTest, ClientNonInviteOverTcp) {
  send(ourRequest("OPTIONS", "TCP"), kTcpNext);
  runTo(20000);
  EXPECT_EQ(transport_.requestTimes("OPTIONS"), v({0}));
  answer(0, 180);
  answer(0, 404);
  EXPECT_EQ(user_.count("response"), 2u);
  EXPECT_EQ(layer().clientTransactions(), 0u);  // Timer K = 0
}

TEST_F(TransactionTest, ClientNonInviteOverTcpTimesOutOnTimerF) {
  send(ourRequest("REGISTER", "TCP"), kTcpNext);
  runTo(40000);
  EXPECT_EQ(transport_.requestTimes("REGISTER"), v({0}));
  EXPECT_EQ(user_.last("clientFailure")->at, 32000);
}

TEST_F(TransactionTest, CancelIsAClientTransactionOfItsOwnWithTheInvitesBranch) {
  Req invite = ourRequest();
  TransactionId inviteId = send(invite);
  answer(0, 180);
  Req cancel = invite;
  cancel.method = "CANCEL";
  TransactionId cancelId = send(cancel);
  EXPECT_NE(inviteId, cancelId);
  EXPECT_EQ(layer().clientTransactions(), 2u);
  answer(1, 200);  // to the CANCEL
  answer(0, 487);  // to the INVITE
  ASSERT_EQ(user_.count("response"), 3u);
  EXPECT_EQ(user_.events[1].id, cancelId);
  EXPECT_EQ(user_.events[1].status, 200);
  EXPECT_EQ(user_.events[2].id, inviteId);
  EXPECT_EQ(user_.events[2].status, 487);
  EXPECT_EQ(transport_.count("ACK"), 1u);
}

TEST_F(TransactionTest, ResponsesMatchOnBranchAndCSeqMethod) {
  Req invite = ourRequest();
  send(invite);
  sip::Message request = transport_.sent[0].message();
  sip::Message wrongMethod = sip::makeResponse(request, 200, {}, "t");
  wrongMethod.setHeader(sip::HeaderId::kCSeq, "1 BYE");
  layer().onMessage(wire(wrongMethod), kUdpPeer);
  sip::Message otherBranch = sip::makeResponse(request, 200, {}, "t");
  otherBranch.setHeader(sip::HeaderId::kVia, "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKnope");
  layer().onMessage(wire(otherBranch), kUdpPeer);
  EXPECT_EQ(user_.kinds(), (std::vector<std::string>{"stray", "stray"}));
  EXPECT_EQ(layer().counters().strayResponses, 2u);
  // Branch comparison ignores case (a token, RFC 3261 §7.3.1).
  sip::Message upper = sip::makeResponse(request, 180, {}, "t");
  std::string via = "SIP/2.0/UDP 203.0.113.1:5060;branch=" + invite.branch;
  for (size_t i = 7; i < via.size(); ++i)
    via[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(via[i])));
  upper.setHeader(sip::HeaderId::kVia, via);
  layer().onMessage(wire(upper), kFromUdpNext);
  EXPECT_EQ(user_.count("response"), 1u);
}

// ==== INVITE server transaction ==============================================================

TEST_F(TransactionTest, ServerInviteSends100TryingWhenTheTuReturnsWithoutAnAnswer) {
  // Not before the TU runs: a rejection it gives at once goes alone (issue 14, defect 9).
  Req invite;
  invite.extra = "Timestamp: 54.3\r\n";
  size_t sentWhenTuRan = 99;
  user_.requestHook = [&](TransactionId, const sip::Message& request, const Source& from) {
    sentWhenTuRan = transport_.sent.size();
    EXPECT_EQ(request.method(), "INVITE");
    EXPECT_EQ(from.remote, kUdpPeer.remote);
  };
  TransactionId id = receiveNew(invite);
  EXPECT_EQ(sentWhenTuRan, 0u);
  ASSERT_EQ(transport_.sent.size(), 1u);
  sip::Message trying = transport_.sent[0].message();
  EXPECT_EQ(trying.statusCode(), 100);
  EXPECT_FALSE(trying.to().value.hasTag());
  EXPECT_EQ(trying.count(sip::HeaderId::kVia), 2u);
  EXPECT_EQ(trying.topVia().value.branch, "z9hG4bKpeer1");
  EXPECT_EQ(trying.cseq().value.method, "INVITE");
  EXPECT_EQ(trying.callId(), invite.callId);
  EXPECT_EQ(trying.header(sip::HeaderId::kTimestamp), "54.3");
  EXPECT_EQ(transport_.sent[0].to.remote, kUdpPeer.remote);
  EXPECT_EQ(layer().serverTransactions(), 1u);
  ASSERT_NE(layer().request(id), nullptr);
  EXPECT_EQ(layer().request(id)->callId(), invite.callId);
  ASSERT_NE(layer().source(id), nullptr);
  EXPECT_EQ(layer().source(id)->remote, kUdpPeer.remote);
}

TEST_F(TransactionTest, ServerInviteResponsesGoWhereTheViaSays) {
  Req invite;
  invite.sentBy = "192.0.2.10:5070";  // no rport: the sent-by port, the source address
  receiveNew(invite);
  EXPECT_EQ(transport_.sent[0].to.remote.port, 5070);
  EXPECT_EQ(transport_.sent[0].to.remote.address, kUdpPeer.remote.address);
  Req withRport;
  withRport.branch = "z9hG4bKrport";
  withRport.callId = "other";
  withRport.sentBy = "10.0.0.1:5070";
  withRport.viaExtra = ";rport";
  receiveNew(withRport);
  EXPECT_EQ(transport_.sent[1].to.remote, kUdpPeer.remote);
}

TEST_F(TransactionTest, ServerInviteProceedingAnswersRetransmissionsWithTheLastResponse) {
  Req invite;
  TransactionId id = receiveNew(invite);
  receive(invite);
  EXPECT_EQ(transport_.count(100), 2u);
  EXPECT_TRUE(respond(id, 180));
  receive(invite);
  EXPECT_EQ(transport_.count(180), 2u);
  EXPECT_EQ(transport_.count(100), 2u);
  EXPECT_EQ(user_.count("request"), 1u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 2u);
  runTo(60000);  // no timer runs in Proceeding: the TU owns the answer
  EXPECT_EQ(layer().serverTransactions(), 1u);
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(TransactionTest, ServerInviteNon2xxTimerGScheduleAndTimerH) {
  Req invite;
  TransactionId id = receiveNew(invite);
  runTo(1000);
  EXPECT_TRUE(respond(id, 486));
  EXPECT_EQ(layer().request(id), nullptr);  // no further response: the request went
  runTo(40000);
  // G: T1 doubling, capped at T2; H = 64*T1 ends it without an ACK.
  EXPECT_EQ(transport_.statusTimes(486),
            v({1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500}));
  ASSERT_NE(user_.last("serverFailure"), nullptr);
  EXPECT_EQ(user_.last("serverFailure")->id, id);
  EXPECT_EQ(user_.last("serverFailure")->at, 33000);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  EXPECT_EQ(layer().counters().retransmissionsSent, 10u);
}

TEST_F(TransactionTest, ServerInviteCompletedAnswersRetransmissionsWithTheFinal) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 404);
  runTo(100);
  receive(invite);
  EXPECT_EQ(transport_.statusTimes(404), v({0, 100}));
  EXPECT_EQ(user_.count("request"), 1u);
  EXPECT_FALSE(respond(id, 500));  // one final only
  EXPECT_FALSE(layer().respond(id, sip::makeResponse(invite.message(), 180)));
}

TEST_F(TransactionTest, ServerInviteAckConfirmsAndTimerIEndsIt) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 480);
  runTo(700);  // one G retransmission at 500
  receive(ackFor(invite));
  EXPECT_EQ(user_.count("ack"), 0u);  // the ACK for a non-2xx stays here
  runTo(3000);
  EXPECT_EQ(transport_.statusTimes(480), v({0, 500}));  // G stopped
  receive(ackFor(invite));                              // ACK retransmission
  receive(invite);                                      // late INVITE retransmission
  EXPECT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(user_.count("ack"), 0u);
  EXPECT_EQ(user_.count("request"), 1u);
  runTo(5699);
  EXPECT_EQ(layer().serverTransactions(), 1u);
  runTo(5700);  // Timer I = T4 after the ACK
  EXPECT_EQ(layer().serverTransactions(), 0u);
  EXPECT_EQ(user_.count("serverFailure"), 0u);
  EXPECT_EQ(layer().request(id), nullptr);
  EXPECT_FALSE(respond(id, 200));
}

TEST_F(TransactionTest, ServerInviteOverTcp) {
  Req invite;
  invite.transport = "TCP";
  invite.sentBy = "192.0.2.20:40000";
  TransactionId id = receiveNew(invite, kTcpPeer);
  EXPECT_EQ(transport_.sent[0].to.connection, 7u);  // the connection it came on
  respond(id, 603);
  runTo(20000);
  EXPECT_EQ(transport_.statusTimes(603), v({0}));  // no Timer G
  receive(ackFor(invite), kTcpPeer);
  EXPECT_EQ(layer().serverTransactions(), 0u);  // Timer I = 0
}

TEST_F(TransactionTest, ServerInviteOverTcpStillRunsTimerH) {
  Req invite;
  invite.transport = "TCP";
  TransactionId id = receiveNew(invite, kTcpPeer);
  respond(id, 603);
  runTo(40000);
  EXPECT_EQ(user_.last("serverFailure")->at, 32000);
}

TEST_F(TransactionTest, ServerInvite2xxMovesToAccepted) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 180);
  runTo(2000);
  EXPECT_TRUE(respond(id, 200));
  ASSERT_NE(layer().request(id), nullptr);  // the TU may still send 2xx
  receive(invite);                          // absorbed, nothing re-sent
  EXPECT_EQ(transport_.count(200), 1u);
  EXPECT_EQ(user_.count("request"), 1u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 1u);
  // 2xx retransmission is the TU's: it may pass them through respond() (RFC 6026).
  runTo(2500);
  EXPECT_TRUE(respond(id, 200));
  EXPECT_EQ(transport_.statusTimes(200), v({2000, 2500}));
  EXPECT_FALSE(respond(id, 180));
  EXPECT_FALSE(respond(id, 486));
  runTo(40000);
  EXPECT_EQ(transport_.count(200), 2u);  // the layer never retransmits a 2xx
  EXPECT_EQ(layer().serverTransactions(), 0u);
  EXPECT_EQ(user_.count("serverFailure"), 0u);
}

TEST_F(TransactionTest, ServerInviteTimerLIsSixtyFourT1) {
  Req invite;
  TransactionId id = receiveNew(invite);
  runTo(100);
  respond(id, 200);
  runTo(32099);
  EXPECT_EQ(layer().serverTransactions(), 1u);
  runTo(32100);
  EXPECT_EQ(layer().serverTransactions(), 0u);
}

TEST_F(TransactionTest, AckFor2xxGoesToTheTu) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 200);
  Req ack = ackFor(invite);
  ack.branch = "z9hG4bKnewAckBranch";  // an ACK for a 2xx is a transaction of its own
  receive(ack);
  ASSERT_EQ(user_.count("ack"), 1u);
  EXPECT_EQ(user_.lastAck->topVia().value.branch, "z9hG4bKnewAckBranch");
  // Same branch as the INVITE (older peers): in Accepted it still goes up.
  receive(ackFor(invite));
  EXPECT_EQ(user_.count("ack"), 2u);
  runTo(40000);
  receive(ack);  // after the transaction: the dialog's business
  EXPECT_EQ(user_.count("ack"), 3u);
}

TEST_F(TransactionTest, AckBeforeAnyFinalIsDropped) {
  Req invite;
  receiveNew(invite);
  receive(ackFor(invite));
  EXPECT_EQ(user_.count("ack"), 0u);
  EXPECT_EQ(transport_.sent.size(), 1u);  // just the 100 Trying
  EXPECT_EQ(layer().serverTransactions(), 1u);
}

TEST_F(TransactionTest, EachStateRunsOnlyItsOwnTimers) {
  // Timers live in the one wheel: A+B, then none in Proceeding, M in Accepted.
  send(ourRequest());
  EXPECT_EQ(wheel_.size(), 2u);
  answer(0, 180);
  EXPECT_EQ(wheel_.size(), 0u);
  answer(0, 200);
  EXPECT_EQ(wheel_.size(), 1u);
  // G+H in Completed, I in Confirmed, nothing once ended.
  Req invite;
  TransactionId id = receiveNew(invite);
  EXPECT_EQ(wheel_.size(), 1u);
  respond(id, 486);
  EXPECT_EQ(wheel_.size(), 3u);
  receive(ackFor(invite));
  EXPECT_EQ(wheel_.size(), 2u);
  runTo(40000);
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_EQ(layer().serverTransactions() + layer().clientTransactions(), 0u);
}

TEST_F(TransactionTest, RespondToUnknownTransactionFails) {
  EXPECT_FALSE(layer().respond(12345, sip::makeResponse(Req().message(), 200)));
  EXPECT_EQ(layer().request(12345), nullptr);
  EXPECT_EQ(layer().source(12345), nullptr);
  EXPECT_TRUE(transport_.sent.empty());
}

// ==== non-INVITE server transaction ==========================================================

TEST_F(TransactionTest, ServerNonInviteTryingDiscardsRetransmissions) {
  Req options;
  options.method = "OPTIONS";
  receiveNew(options);
  EXPECT_TRUE(transport_.sent.empty());  // no 100 Trying for non-INVITE
  receive(options);
  receive(options);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(user_.count("request"), 1u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 2u);
}

TEST_F(TransactionTest, ServerNonInviteProceedingResendsTheProvisional) {
  Req bye;
  bye.method = "BYE";
  bye.toTag = "b1";
  TransactionId id = receiveNew(bye);
  EXPECT_TRUE(respond(id, 100));
  receive(bye);
  EXPECT_EQ(transport_.count(100), 2u);
  EXPECT_TRUE(respond(id, 200));
  receive(bye);
  EXPECT_EQ(transport_.count(200), 2u);
  EXPECT_EQ(user_.count("request"), 1u);
}

TEST_F(TransactionTest, ServerNonInviteCompletedUntilTimerJ) {
  Req options;
  options.method = "OPTIONS";
  TransactionId id = receiveNew(options);
  runTo(100);
  EXPECT_TRUE(respond(id, 200));
  EXPECT_EQ(layer().request(id), nullptr);
  EXPECT_FALSE(respond(id, 200));
  runTo(20000);
  receive(options);
  EXPECT_EQ(transport_.statusTimes(200), v({100, 20000}));  // no timer retransmits it
  runTo(32099);
  EXPECT_EQ(layer().serverTransactions(), 1u);
  runTo(32100);  // Timer J = 64*T1
  EXPECT_EQ(layer().serverTransactions(), 0u);
  receive(options);  // now a new transaction
  EXPECT_EQ(user_.count("request"), 2u);
}

TEST_F(TransactionTest, ServerNonInviteOverTcpEndsWithTheFinal) {
  Req options;
  options.method = "OPTIONS";
  options.transport = "TCP";
  TransactionId id = receiveNew(options, kTcpPeer);
  respond(id, 200);
  EXPECT_EQ(layer().serverTransactions(), 0u);  // Timer J = 0
  EXPECT_EQ(transport_.sent[0].to.connection, 7u);
}

// ==== CANCEL (§9.2) ==========================================================================

TEST_F(TransactionTest, CancelMatchingAnInviteInProceeding) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 180, "uas7");
  user_.cancelHook = [&](TransactionId invite) { EXPECT_TRUE(respond(invite, 487, "uas7")); };
  Req cancel = invite;
  cancel.method = "CANCEL";
  receive(cancel);
  ASSERT_EQ(user_.count("cancel"), 1u);
  EXPECT_EQ(user_.last("cancel")->id, id);
  // 200 for the CANCEL, sent before the TU answered the INVITE with 487.
  ASSERT_EQ(transport_.sent.size(), 4u);
  sip::Message ok = transport_.sent[2].message();
  EXPECT_EQ(ok.statusCode(), 200);
  EXPECT_EQ(ok.cseq().value.method, "CANCEL");
  EXPECT_EQ(ok.to().value.tag(), "uas7");
  EXPECT_EQ(transport_.sent[3].message().statusCode(), 487);
  EXPECT_EQ(layer().serverTransactions(), 1u);  // a CANCEL has no server transaction here
  receive(ackFor(invite, "uas7"));
  runTo(10000);
  EXPECT_EQ(layer().serverTransactions(), 0u);
}

TEST_F(TransactionTest, CancelMatchingNothingIs481) {
  Req invite;
  receiveNew(invite);
  Req cancel = invite;
  cancel.method = "CANCEL";
  cancel.branch = "z9hG4bKother";
  receive(cancel);
  Req otherSentBy = invite;
  otherSentBy.method = "CANCEL";
  otherSentBy.sentBy = "192.0.2.11:5060";
  receive(otherSentBy);
  EXPECT_EQ(transport_.count(481), 2u);
  EXPECT_EQ(transport_.sent.back().message().cseq().value.method, "CANCEL");
  EXPECT_EQ(user_.count("cancel"), 0u);
}

// Issue 14: the branch, Call-ID and tags of a call set-up are no secret (a caller's own
// INVITE shows them to whoever is on the path); a CANCEL with them from another host, or
// from another UDP port, must not end the set-up. The INVITE's sender still can.
TEST_F(TransactionTest, CancelFromAnotherSourceIs481AndTheInviteGoesOn) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 180, "uas7");
  Req cancel = invite;
  cancel.method = "CANCEL";
  const Source otherHost{Endpoint{Protocol::kUdp, *net::IpAddress::parse("198.51.100.66"), 5060}, 0,
                         0};
  const Source otherPort{Endpoint{Protocol::kUdp, kUdpPeer.remote.address, 5099}, 0, 0};
  const Source overTcp{Endpoint{Protocol::kTcp, kUdpPeer.remote.address, 40000}, 1, 9};
  for (const Source& from : {otherHost, otherPort, overTcp}) {
    receive(cancel, from);
  }
  EXPECT_EQ(user_.count("cancel"), 0u);
  EXPECT_EQ(transport_.count(481), 3u);
  EXPECT_EQ(transport_.count(200), 0u);
  EXPECT_EQ(layer().counters().cancelsFromElsewhere, 3u);
  ASSERT_NE(layer().request(id), nullptr);  // the INVITE is still in progress
  // The real caller cancels.
  receive(cancel);
  EXPECT_EQ(user_.count("cancel"), 1u);
  EXPECT_EQ(transport_.count(200), 1u);
  EXPECT_EQ(layer().counters().cancelsFromElsewhere, 3u);
}

// Over TCP a UAC may send its CANCEL on a new connection from its own address.
TEST_F(TransactionTest, CancelOverTcpOnAnotherConnectionFromTheSameHostMatches) {
  Req invite;
  invite.transport = "TCP";
  TransactionId id = receiveNew(invite, kTcpPeer);
  respond(id, 180, "uas7");
  Req cancel = invite;
  cancel.method = "CANCEL";
  receive(cancel, Source{Endpoint{Protocol::kTcp, kTcpPeer.remote.address, 40001}, 1, 8});
  EXPECT_EQ(user_.count("cancel"), 1u);
  EXPECT_EQ(layer().counters().cancelsFromElsewhere, 0u);
}

TEST_F(TransactionTest, CancelAfterTheFinalIsAnswered200WithoutTheTu) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 486);
  Req cancel = invite;
  cancel.method = "CANCEL";
  receive(cancel);
  EXPECT_EQ(transport_.count(200), 1u);
  EXPECT_EQ(user_.count("cancel"), 0u);
  Req invite2;
  invite2.branch = "z9hG4bKsecond";
  invite2.callId = "second";
  TransactionId id2 = receiveNew(invite2);
  respond(id2, 200);
  Req cancel2 = invite2;
  cancel2.method = "CANCEL";
  receive(cancel2);
  EXPECT_EQ(transport_.count(200), 3u);
  EXPECT_EQ(user_.count("cancel"), 0u);
}

TEST_F(TransactionTest, RetransmittedCancelIsAnsweredAgainButReportedOnce) {
  Req invite;
  receiveNew(invite);
  Req cancel = invite;
  cancel.method = "CANCEL";
  receive(cancel);
  receive(cancel);
  EXPECT_EQ(transport_.count(200), 2u);
  EXPECT_EQ(user_.count("cancel"), 1u);
}

// ==== merged requests (§8.2.2.2) =============================================================

TEST_F(TransactionTest, MergedRequestIsAnswered482) {
  Req invite;
  receiveNew(invite);
  Req forked = invite;
  forked.branch = "z9hG4bKviaOtherProxy";
  forked.sentBy = "192.0.2.30:5060";
  receive(forked, kUdpPeer);
  EXPECT_EQ(transport_.count(482), 1u);
  EXPECT_EQ(transport_.sent.back().message().topVia().value.branch, "z9hG4bKviaOtherProxy");
  EXPECT_EQ(user_.count("request"), 1u);
  EXPECT_EQ(layer().counters().merged, 1u);
  EXPECT_EQ(layer().serverTransactions(), 1u);
}

TEST_F(TransactionTest, SameIdentifiersWithAToTagAreNotMerged) {
  Req invite;
  invite.toTag = "dialog1";  // in a dialog: the dialog layer judges CSeq, not us
  receiveNew(invite);
  Req other = invite;
  other.branch = "z9hG4bKdifferent";
  receiveNew(other);
  EXPECT_EQ(layer().counters().merged, 0u);
}

TEST_F(TransactionTest, MergeDetectionEndsWithTheTransaction) {
  Req options;
  options.method = "OPTIONS";
  TransactionId id = receiveNew(options);
  respond(id, 200);
  runTo(40000);
  Req again = options;
  again.branch = "z9hG4bKlater";
  receiveNew(again);
  EXPECT_EQ(layer().counters().merged, 0u);
}

// ==== RFC 2543 matching (no magic cookie) ====================================================

TEST_F(TransactionTest, Rfc2543InviteRetransmissionAckAndCancelMatch) {
  Req invite;
  invite.branch = "";  // RFC 2543: no branch at all
  TransactionId id = receiveNew(invite);
  receive(invite);
  EXPECT_EQ(transport_.count(100), 2u);
  EXPECT_EQ(user_.count("request"), 1u);

  Req cancel = invite;
  cancel.method = "CANCEL";
  receive(cancel);
  EXPECT_EQ(user_.count("cancel"), 1u);
  respond(id, 487, "uas2543");
  runTo(1000);
  // An ACK with the tag of our response matches; one with another tag does not.
  receive(ackFor(invite, "someoneElse"));
  EXPECT_EQ(user_.count("ack"), 1u);
  receive(ackFor(invite, "uas2543"));
  EXPECT_EQ(user_.count("ack"), 1u);
  runTo(10000);
  EXPECT_EQ(transport_.statusTimes(487), v({0, 500}));  // G stopped by the ACK
  EXPECT_EQ(layer().serverTransactions(), 0u);
}

TEST_F(TransactionTest, Rfc2543MatchingComparesEveryField) {
  Req invite;
  invite.branch = "1234old";  // a branch without the cookie is RFC 2543 too
  receiveNew(invite);
  auto differs = [&](const std::function<void(Req&)>& change) {
    Req r = invite;
    change(r);
    receive(r);
  };
  differs([](Req& r) { r.uri = "sip:carol@example.com"; });
  differs([](Req& r) { r.fromTag = "zz"; });
  differs([](Req& r) { r.callId = "another"; });
  differs([](Req& r) { r.cseq = 2; });
  differs([](Req& r) { r.sentBy = "192.0.2.10:5062"; });
  differs([](Req& r) {
    r.toTag = "t9";
    r.cseq = 3;
  });
  // A new Request-URI or sent-by with the same From tag, Call-ID and CSeq does not
  // match: it is a merged request (482); the others are new transactions.
  EXPECT_EQ(layer().counters().merged, 2u);
  EXPECT_EQ(transport_.count(482), 2u);
  EXPECT_EQ(user_.count("request"), 5u);
  EXPECT_EQ(layer().serverTransactions(), 5u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 0u);
  receive(invite);
  EXPECT_EQ(user_.count("request"), 5u);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 1u);
}

// ==== stray responses and statelessly sent messages ==========================================

TEST_F(TransactionTest, StrayResponsesGoToTheTuAndAreCounted) {
  Req r = ourRequest();
  sip::Message response = sip::makeResponse(r.message(), 200, {}, "x");
  layer().onMessage(wire(response), kUdpPeer);
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"stray"});
  EXPECT_EQ(user_.events[0].status, 200);
  EXPECT_EQ(layer().counters().strayResponses, 1u);
}

TEST_F(TransactionTest, SendStatelessSendsWithoutATransaction) {
  Req ack = ourRequest("ACK");
  EXPECT_TRUE(layer().sendStateless(ack.message(), kUdpNext));
  EXPECT_EQ(transport_.count("ACK"), 1u);
  EXPECT_EQ(layer().clientTransactions(), 0u);
  runTo(40000);
  EXPECT_EQ(transport_.sent.size(), 1u);
  transport_.fail = true;
  EXPECT_FALSE(layer().sendStateless(ack.message(), kUdpNext));
}

// ==== transport failures =====================================================================

TEST_F(TransactionTest, SynchronousSendFailureIsReportedFromATimer) {
  transport_.fail = true;
  TransactionId id = send(ourRequest());
  EXPECT_NE(id, 0u);
  EXPECT_TRUE(user_.events.empty());  // never from inside sendRequest
  EXPECT_EQ(layer().clientTransactions(), 0u);
  flush();  // the 0 ms timer, without the clock moving
  ASSERT_EQ(user_.kinds(), std::vector<std::string>{"clientFailure"});
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].failure, ClientFailure::kTransportError);
  EXPECT_EQ(user_.events[0].at, 0);
  runTo(40000);
  EXPECT_EQ(user_.count("clientFailure"), 1u);  // no Timer B afterwards
  EXPECT_EQ(transport_.attempts, 1);
}

TEST_F(TransactionTest, NonInviteSendFailure) {
  transport_.fail = true;
  TransactionId id = send(ourRequest("OPTIONS", "TCP"), kTcpNext);
  EXPECT_TRUE(user_.events.empty());
  flush();
  ASSERT_EQ(user_.count("clientFailure"), 1u);
  EXPECT_EQ(user_.events[0].id, id);
  EXPECT_EQ(user_.events[0].failure, ClientFailure::kTransportError);
}

TEST_F(TransactionTest, RetransmissionSendFailureFailsTheTransaction) {
  send(ourRequest("OPTIONS"));
  runTo(400);
  transport_.fail = true;
  runTo(600);
  ASSERT_EQ(user_.count("clientFailure"), 1u);
  EXPECT_EQ(user_.events[0].failure, ClientFailure::kTransportError);
  // Timer E failed at 500; a 0 ms timer started from inside the wheel's advance() fires
  // on the next tick.
  EXPECT_EQ(user_.events[0].at, 510);
}

// Transactions still waiting for a final response there fail: an INVITE that rings too
// (issue 14, defect 3: a trunk lost while it rings would have kept it for ever).
TEST_F(TransactionTest, AsynchronousSendFailureFailsTransactionsWithoutAFinalResponse) {
  TransactionId waiting = send(ourRequest("INVITE", "TCP"), kTcpNext);
  TransactionId ringing = send(ourRequest("INVITE", "TCP"), kTcpNext);
  TransactionId elsewhere = send(ourRequest("OPTIONS"), kUdpNext);
  answer(1, 180);
  Destination failed = kTcpNext;
  failed.connection = 99;  // the connection the transport had opened for it
  layer().onSendFailure(failed, "connection refused");
  EXPECT_EQ(user_.count("clientFailure"), 0u);  // not re-entrantly
  flush();
  ASSERT_EQ(user_.count("clientFailure"), 2u);
  std::vector<TransactionId> ids;
  for (const auto& e : user_.events) {
    if (e.kind == "clientFailure") {
      ids.push_back(e.id);
      EXPECT_EQ(e.failure, ClientFailure::kTransportError);
    }
  }
  std::sort(ids.begin(), ids.end());  // in no particular order
  EXPECT_EQ(ids, (std::vector<TransactionId>{waiting, ringing}));
  EXPECT_EQ(layer().clientTransactions(), 1u);  // the one sent elsewhere
  (void)elsewhere;
}

// The TU gives up an INVITE that rings without end (RFC 3261 §9.1, 64*T1 after its
// CANCEL): it ends silently; one past its final response is left to its own timers.
TEST_F(TransactionTest, AbandonEndsARingingInviteSilently) {
  TransactionId ringing = send(ourRequest("INVITE"));
  TransactionId answered = send(ourRequest("INVITE"));
  answer(0, 180);
  answer(1, 486);
  size_t events = user_.events.size();
  layer().abandon(ringing);
  layer().abandon(answered);
  layer().abandon(12345);  // unknown: nothing
  flush();
  EXPECT_EQ(user_.events.size(), events);
  EXPECT_EQ(layer().clientTransactions(), 1u);  // the completed one, until Timer D
}

TEST_F(TransactionTest, ServerResponseSendFailure) {
  Req options;
  options.method = "OPTIONS";
  TransactionId id = receiveNew(options);
  transport_.fail = true;
  EXPECT_FALSE(respond(id, 200));
  EXPECT_EQ(user_.count("serverFailure"), 0u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  flush();
  ASSERT_EQ(user_.count("serverFailure"), 1u);
  EXPECT_EQ(user_.last("serverFailure")->id, id);
}

TEST_F(TransactionTest, TimerGSendFailureReportsServerFailure) {
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 486);
  transport_.fail = true;
  runTo(600);
  ASSERT_EQ(user_.count("serverFailure"), 1u);
  EXPECT_EQ(user_.last("serverFailure")->at, 510);  // G failed at 500, reported a tick later
  EXPECT_EQ(layer().serverTransactions(), 0u);
}

TEST_F(TransactionTest, AsynchronousFailureOfAServerTransactionsDestination) {
  Req invite;
  invite.transport = "TCP";
  TransactionId id = receiveNew(invite, kTcpPeer);
  respond(id, 486);
  Destination lost{kTcpPeer.remote, kTcpPeer.listener, kTcpPeer.connection};
  layer().onSendFailure(lost, "reset");
  flush();
  ASSERT_EQ(user_.count("serverFailure"), 1u);
  EXPECT_EQ(user_.last("serverFailure")->id, id);
}

TEST_F(TransactionTest, TryingCannotBeSentEndsTheTransaction) {
  transport_.fail = true;
  TransactionId id = receiveNew(Req());
  EXPECT_EQ(layer().serverTransactions(), 0u);
  flush();
  // The TU saw the request (100 Trying goes after it), so it hears of the failure.
  ASSERT_EQ(user_.count("serverFailure"), 1u);
  EXPECT_EQ(user_.last("serverFailure")->id, id);
  transport_.fail = false;
  receive(Req());  // the peer's retransmission starts over
  EXPECT_EQ(user_.count("request"), 2u);
}

TEST_F(TransactionTest, UnmatchableRequestsFailAsynchronously) {
  Req noBranch = ourRequest("OPTIONS");
  noBranch.branch = "";
  TransactionId a = send(noBranch);
  Req ack = ourRequest("ACK");
  TransactionId b = send(ack);
  Req first = ourRequest("OPTIONS");
  send(first);
  TransactionId c = send(first);  // branch already in use
  EXPECT_TRUE(user_.events.empty());
  flush();
  ASSERT_EQ(user_.count("clientFailure"), 3u);
  EXPECT_EQ(user_.events[0].id, a);
  EXPECT_EQ(user_.events[1].id, b);
  EXPECT_EQ(user_.events[2].id, c);
  EXPECT_EQ(transport_.sent.size(), 1u);
}

// ==== re-entrancy ============================================================================

TEST_F(TransactionTest, TuFinishesATransactionInsideItsOwnCallback) {
  // Over TCP the final response ends a non-INVITE server transaction at once: the
  // object (and the request the TU holds) must outlive the callback.
  user_.requestHook = [&](TransactionId id, const sip::Message& request, const Source&) {
    EXPECT_TRUE(layer().respond(id, sip::makeResponse(request, 200)));
    EXPECT_EQ(layer().serverTransactions(), 0u);
    EXPECT_EQ(request.method(), "OPTIONS");  // still readable
    EXPECT_EQ(request.callId(), "call-1@192.0.2.10");
  };
  Req options;
  options.method = "OPTIONS";
  options.transport = "TCP";
  receive(options, kTcpPeer);
  EXPECT_EQ(transport_.count(200), 1u);
}

TEST_F(TransactionTest, TuAnswersAnInviteInsideOnRequestOverUdp) {
  user_.requestHook = [&](TransactionId id, const sip::Message& request, const Source&) {
    EXPECT_TRUE(layer().respond(id, sip::makeResponse(request, 486, {}, "t")));
    EXPECT_EQ(request.cseq().value.method, "INVITE");
  };
  receive(Req());
  EXPECT_EQ(transport_.count(486), 1u);
}

TEST_F(TransactionTest, B2buaPatternBridgesResponsesInsideCallbacks) {
  // A-leg INVITE in → B-leg INVITE out from onRequest; B-leg responses relayed to the
  // A-leg from onResponse; the final ends both.
  TransactionId server = 0;
  TransactionId client = 0;
  user_.requestHook = [&](TransactionId id, const sip::Message&, const Source&) {
    server = id;
    client = send(ourRequest("INVITE", "TCP"), kTcpNext);
  };
  user_.responseHook = [&](TransactionId id, const sip::Message& response) {
    EXPECT_EQ(id, client);
    EXPECT_TRUE(respond(server, response.statusCode(), "a-leg"));
  };
  receive(Req());
  ASSERT_NE(client, 0u);
  size_t invite = 0;  // the B-leg INVITE (100 Trying to the A leg follows it)
  while (!transport_.sent.at(invite).isRequest("INVITE"))
    ++invite;
  answer(invite, 180);
  answer(invite, 486);
  EXPECT_EQ(transport_.count(180), 1u);
  EXPECT_EQ(transport_.count(486), 1u);
  EXPECT_EQ(layer().clientTransactions(), 0u);
  EXPECT_EQ(layer().serverTransactions(), 1u);  // Completed, waiting for the ACK
}

TEST_F(TransactionTest, TuSendsCancelInsideOnResponse) {
  Req invite = ourRequest();
  user_.responseHook = [&](TransactionId, const sip::Message& response) {
    if (response.statusCode() != 180) return;
    Req cancel = invite;
    cancel.method = "CANCEL";
    send(cancel);
  };
  send(invite);
  answer(0, 180);
  EXPECT_EQ(transport_.count("CANCEL"), 1u);
  EXPECT_EQ(layer().clientTransactions(), 2u);
}

TEST_F(TransactionTest, TuRetriesInsideOnClientFailure) {
  int retries = 0;
  user_.clientFailureHook = [&](TransactionId) {
    if (retries++ == 0) {
      transport_.fail = false;
      send(ourRequest("OPTIONS", "TCP"), kTcpNext);
    }
  };
  transport_.fail = true;
  send(ourRequest("OPTIONS", "TCP"), kTcpNext);
  flush();
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(layer().clientTransactions(), 1u);
  answer(0, 200);
  EXPECT_EQ(layer().clientTransactions(), 0u);
}

TEST_F(TransactionTest, TuRespondsOnTimeoutAndAfterServerFailure) {
  Req invite;
  TransactionId server = receiveNew(invite);
  respond(server, 500);
  bool respondedLate = true;
  user_.serverFailureHook = [&](TransactionId id) { respondedLate = respond(id, 200); };
  runTo(40000);
  EXPECT_EQ(user_.count("serverFailure"), 1u);
  EXPECT_FALSE(respondedLate);
}

TEST_F(TransactionTest, TuStartsAndEndsTransactionsInsideTimerCallbacks) {
  // Timer B fires for one transaction, the TU answers a server transaction and starts
  // another client transaction from inside it.
  Req options;
  options.method = "OPTIONS";
  options.transport = "TCP";
  TransactionId server = receiveNew(options, kTcpPeer);
  user_.clientFailureHook = [&](TransactionId) {
    EXPECT_TRUE(respond(server, 408));
    send(ourRequest("OPTIONS"));
  };
  send(ourRequest("INVITE", "TCP"), kTcpNext);
  runTo(32000);
  EXPECT_EQ(transport_.count(408), 1u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  EXPECT_EQ(layer().clientTransactions(), 1u);
}

TEST_F(TransactionTest, DestroyingTheLayerCancelsItsTimers) {
  send(ourRequest());
  Req invite;
  TransactionId id = receiveNew(invite);
  respond(id, 486);
  transport_.fail = true;
  send(ourRequest());  // a failure notice pending too
  layer_.reset();
  EXPECT_EQ(wheel_.size(), 0u);
  runTo(60000);
  EXPECT_EQ(user_.count("clientFailure"), 0u);
}

// ==== branches, counters, configuration ======================================================

TEST_F(TransactionTest, NewBranchesCarryTheCookieAndAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string b = layer().newBranch();
    ASSERT_EQ(b.substr(0, 7), "z9hG4bK");
    ASSERT_EQ(b.size(), 7u + 22u);
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 20000u);
  // Another layer (another process start) draws from another random start.
  TransactionLayer other(transport_, wheel_, TimerConfig{}, user_);
  EXPECT_EQ(seen.count(other.newBranch()), 0u);
}

TEST_F(TransactionTest, TimersReturnsTheConfiguration) {
  makeLayer(TimerConfig{milliseconds(250), milliseconds(2000), milliseconds(3000)});
  EXPECT_EQ(layer().timers().t1, milliseconds(250));
  EXPECT_EQ(layer().timers().t2, milliseconds(2000));
  EXPECT_EQ(layer().timers().t4, milliseconds(3000));
}

TEST_F(TransactionTest, TransactionCounts) {
  Req a;
  receiveNew(a);
  Req b;
  b.method = "OPTIONS";
  b.branch = "z9hG4bKb";
  receiveNew(b);
  send(ourRequest());
  EXPECT_EQ(layer().serverTransactions(), 2u);
  EXPECT_EQ(layer().clientTransactions(), 1u);
}

// ==== memory footprint =======================================================================

// A realistic INVITE from a carrier: ~1 KB of headers and SDP.
Req bigInvite(int i) {
  Req r;
  r.branch = "z9hG4bK-" + std::to_string(i) + "-a8f3c2d1e0b9";
  r.callId = "3c2d1e0b9a8f7e6d5c4b3a2f1e0d9c8b-" + std::to_string(i) + "@192.0.2.10";
  r.fromTag = "as1f2e3d4c-" + std::to_string(i);
  r.extra =
      "Record-Route: <sip:192.0.2.1;lr;ftag=as1f2e3d4c>\r\n"
      "User-Agent: Carrier SBC 4.2\r\n"
      "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY\r\n"
      "Supported: replaces, timer, 100rel\r\n"
      "Session-Expires: 1800;refresher=uac\r\n"
      "P-Asserted-Identity: <sip:+15551234567@example.org;user=phone>\r\n"
      "Content-Type: application/sdp\r\n";
  r.body =
      "v=0\r\no=- 3456789 3456789 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
      "t=0 0\r\nm=audio 40000 RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
  return r;
}

TEST_F(TransactionTest, MemoryFootprintPerTransaction) {
  constexpr int kN = 2000;
  std::printf(
      "sizeof: ClientInvite %zu, ClientNonInvite %zu, ServerInvite %zu, ServerNonInvite %zu, "
      "sip::Message %zu; test INVITE %zu bytes on the wire\n",
      sizeof(ClientInvite), sizeof(ClientNonInvite), sizeof(ServerInvite), sizeof(ServerNonInvite),
      sizeof(sip::Message), bigInvite(0).text().size());
  transport_.keep = false;
  user_.quiet = true;
  std::vector<std::string> incoming;
  std::vector<std::string> outgoing;
  std::vector<TransactionId> servers(kN);
  for (int i = 0; i < kN; ++i) {
    incoming.push_back(bigInvite(i).text());
    Req r = bigInvite(i);
    r.branch = layer().newBranch();
    r.sentBy = "203.0.113.1:5060";
    outgoing.push_back(r.text());
  }
  // Everything a step allocates and does not free is what the transactions keep: the
  // objects, their messages, their index entries and their timer nodes.
  auto measure = [&](const char* what, const std::function<void(size_t)>& step) {
    long long before = gLiveBytes;
    for (size_t i = 0; i < kN; ++i)
      step(i);
    long long per = (gLiveBytes - before) / kN;
    std::printf("  %-50s %6lld bytes/transaction\n", what, per);
    return per;
  };
  long long proceeding = measure("server INVITE, Proceeding (request, 100 Trying)", [&](size_t i) {
    layer().onMessage(parse(incoming[i]), kUdpPeer);
    servers[i] = user_.lastId;
  });
  long long ringing = measure("  + 180 Ringing sent (kept as last response)", [&](size_t i) {
    layer().respond(servers[i], sip::makeResponse(*layer().request(servers[i]), 180, {}, "t"));
  });
  long long accepted = measure("  + 200 OK sent (Accepted: last response freed)", [&](size_t i) {
    layer().respond(servers[i], sip::makeResponse(*layer().request(servers[i]), 200, {}, "t"));
  });
  long long calling = measure("client INVITE, Calling (wire form, Timers A and B)",
                              [&](size_t i) { layer().sendRequest(parse(outgoing[i]), kUdpNext); });
  EXPECT_EQ(layer().serverTransactions(), static_cast<size_t>(kN));
  EXPECT_EQ(layer().clientTransactions(), static_cast<size_t>(kN));
  // A call holds at most one server and one client INVITE transaction at once.
  long long perCall = proceeding + ringing + calling;
  std::printf("  peak per bridged call (server + client INVITE)     %6lld bytes\n", perCall);
  EXPECT_LT(perCall, 6000);
  EXPECT_LT(accepted, 0);
}

// ==== issue 14: hostile peers =================================================================

const Source kThirdParty{Endpoint{Protocol::kUdp, *net::IpAddress::parse("192.0.2.66"), 5060}, 0,
                         0};

// Defect 1: someone who saw (or guessed) a branch answers our INVITE before the callee.
TEST_F(TransactionTest, ForgedResponsesFromElsewhereAreDroppedAndCounted) {
  TransactionId id = send(ourRequest());
  sip::Message request = transport_.sent[0].message();
  layer().onMessage(wire(sip::makeResponse(request, 486, {}, "evil")), kThirdParty);
  layer().onMessage(wire(sip::makeResponse(request, 200, {}, "evil")), kThirdParty);
  Source otherPort = kFromUdpNext;  // the right host, another port
  otherPort.remote.port = 5099;
  layer().onMessage(wire(sip::makeResponse(request, 486, {}, "evil")), otherPort);
  Source otherProtocol = kFromUdpNext;  // the right host and port over TCP
  otherProtocol.remote.protocol = Protocol::kTcp;
  otherProtocol.connection = 3;
  layer().onMessage(wire(sip::makeResponse(request, 200, {}, "evil")), otherProtocol);
  flush();
  EXPECT_TRUE(user_.events.empty()) << "neither a response nor a stray one reaches the TU";
  EXPECT_EQ(layer().counters().responsesFromElsewhere, 4u);
  EXPECT_EQ(layer().counters().strayResponses, 0u);
  EXPECT_EQ(transport_.sent.size(), 1u) << "no ACK goes to the forger";
  EXPECT_EQ(layer().clientTransactions(), 1u);
  // The callee's own answers still get through.
  answer(0, 180);
  answer(0, 200);
  ASSERT_EQ(user_.kinds(), (std::vector<std::string>{"response", "response"}));
  EXPECT_EQ(user_.events[1].id, id);
  EXPECT_EQ(user_.events[1].status, 200);
  EXPECT_EQ(layer().counters().responsesFromElsewhere, 4u);
}

TEST_F(TransactionTest, ForgedFinalResponseToANonInviteIsDropped) {
  send(ourRequest("BYE"));
  sip::Message request = transport_.sent[0].message();
  layer().onMessage(wire(sip::makeResponse(request, 481, {}, "evil")), kThirdParty);
  EXPECT_EQ(user_.count("response"), 0u);
  EXPECT_EQ(layer().counters().responsesFromElsewhere, 1u);
  answer(0, 200);
  ASSERT_EQ(user_.count("response"), 1u);
  EXPECT_EQ(user_.last("response")->status, 200);
}

TEST_F(TransactionTest, OverTcpResponsesComeOnTheRequestsConnection) {
  // Connection 0: the transport chose one; the first response from the peer pins it.
  send(ourRequest("BYE", "TCP"), kTcpNext);
  sip::Message request = transport_.sent[0].message();
  const Source conn5{kTcpNext.remote, 1, 5};
  const Source conn9{kTcpNext.remote, 1, 9};
  const Source third{Endpoint{Protocol::kTcp, *net::IpAddress::parse("192.0.2.66"), 40001}, 1, 11};
  layer().onMessage(wire(sip::makeResponse(request, 100)), conn5);
  layer().onMessage(wire(sip::makeResponse(request, 200, {}, "evil")), third);
  layer().onMessage(wire(sip::makeResponse(request, 200, {}, "evil")), conn9);
  EXPECT_EQ(user_.count("response"), 1u);
  EXPECT_EQ(layer().counters().responsesFromElsewhere, 2u);
  layer().onMessage(wire(sip::makeResponse(request, 200, {}, "peer")), conn5);
  EXPECT_EQ(user_.count("response"), 2u);

  // A request sent on a named connection takes responses from that one only.
  Req options = ourRequest("OPTIONS", "TCP");
  Destination onSeven = kTcpNext;
  onSeven.connection = 7;
  send(options, onSeven);
  sip::Message second = transport_.sent.back().message();
  layer().onMessage(wire(sip::makeResponse(second, 200, {}, "evil")),
                    Source{kTcpNext.remote, 1, 8});
  EXPECT_EQ(user_.count("response"), 2u);
  EXPECT_EQ(layer().counters().responsesFromElsewhere, 3u);
  layer().onMessage(wire(sip::makeResponse(second, 200, {}, "peer")),
                    Source{kTcpNext.remote, 1, 7});
  EXPECT_EQ(user_.count("response"), 3u);
}

// The branch scheme this replaced: splitmix64 over a counter, 16 hex digits low nibble first.
uint64_t splitmix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t unsplitmix64(uint64_t z) {
  z = (z ^ (z >> 31) ^ (z >> 62)) * 0x319642b2d24d8ec3ull;
  z = (z ^ (z >> 27) ^ (z >> 54)) * 0x96de1b173f119089ull;
  return z ^ (z >> 30) ^ (z >> 60);
}
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;
std::string hexBranch(uint64_t r) {
  std::string b = "z9hG4bK";
  for (int i = 0; i < 16; ++i, r >>= 4)
    b += "0123456789abcdef"[r & 0xf];
  return b;
}
// What an attacker who saw `branch` expects next from a counter-based generator.
std::optional<std::string> predictNext(const std::string& branch) {
  if (branch.size() != 23) return std::nullopt;
  uint64_t r = 0;
  for (int i = 15; i >= 0; --i) {
    char c = branch[7 + size_t(i)];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    r = (r << 4) | uint64_t(d);
  }
  return hexBranch(splitmix64(unsplitmix64(r) + kGolden));
}

TEST_F(TransactionTest, BranchesAreUnpredictable) {
  // The predictor works on the old scheme: one branch gives away the next.
  uint64_t state = 12345;
  std::string a = hexBranch(splitmix64(state += kGolden));
  std::string b = hexBranch(splitmix64(state += kGolden));
  ASSERT_EQ(predictNext(a), b);

  constexpr int kN = 20000;
  std::set<std::string> seen;
  std::vector<int> counts(128, 0);
  std::string previous;
  int predicted = 0;
  int short_ = 0;
  for (int i = 0; i < kN; ++i) {
    std::string branch = layer().newBranch();
    ASSERT_EQ(branch.rfind("z9hG4bK", 0), 0u) << branch;
    EXPECT_TRUE(seen.insert(branch).second) << "repeated: " << branch;
    if (!previous.empty() && predictNext(previous) == branch) ++predicted;
    short_ += branch.size() < 7u + 20u;  // at least 100 bits of randomness
    for (size_t k = 7; k < branch.size(); ++k)
      ++counts[static_cast<unsigned char>(branch[k]) & 0x7f];
    previous = branch;
  }
  EXPECT_EQ(predicted, 0) << "branches predicted from the one before, of " << kN;
  EXPECT_EQ(short_, 0) << "branches shorter than 20 random characters, of " << kN;
  // Every character of [a-z0-9] about equally often (expected ~12,200 each; 8 sigma).
  long total = 0;
  for (int c : counts)
    total += c;
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  double expected = double(total) / 36.0;
  for (const char* p = alphabet; *p; ++p) {
    int n = counts[static_cast<unsigned char>(*p)];
    EXPECT_NEAR(n, expected, 8 * std::sqrt(expected)) << "character " << *p;
  }
}

TEST(RandomToken, LengthAlphabetAndNoRepeats) {
  std::set<std::string> seen;
  for (size_t n : {1u, 10u, 12u, 24u, 40u, 100u}) {
    for (int i = 0; i < 200; ++i) {
      std::string t = sip::randomToken(n);
      ASSERT_EQ(t.size(), n);
      for (char c : t)
        ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << t;
      if (n >= 10) {
        EXPECT_TRUE(seen.insert(t).second) << "repeated: " << t;
      }
    }
  }
  // Bytes straight from the pool: two draws differ, and a long one spans refills.
  std::vector<uint8_t> a(1000), b(1000);
  sip::randomBytes(a);
  sip::randomBytes(b);
  EXPECT_NE(a, b);
}

// Defect 9: a spoofed INVITE that is rejected gets exactly one reply, and no state stays.
TEST_F(TransactionTest, AnInviteRejectedAtOnceGetsOneStatelessReply) {
  user_.requestHook = [this](TransactionId id, const sip::Message& req, const Source&) {
    layer().respond(id, sip::makeResponse(req, 404, {}, "b1"));
  };
  Req invite;
  receive(invite);
  ASSERT_EQ(transport_.sent.size(), 1u) << "no 100 Trying before the rejection";
  EXPECT_TRUE(transport_.sent[0].isStatus(404));
  EXPECT_EQ(transport_.sent[0].to.remote, kUdpPeer.remote);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  runFor(64 * 500 + 5000);
  EXPECT_EQ(transport_.sent.size(), 1u) << "no Timer G retransmissions";
  EXPECT_EQ(layer().counters().retransmissionsSent, 0u);
  // A retransmission is one more request, and gets one more reply.
  receive(invite);
  EXPECT_EQ(user_.count("request"), 2u);
  EXPECT_EQ(transport_.count(404), 2u);
  EXPECT_EQ(transport_.sent.size(), 2u);
  // Its ACK finds no transaction: the TU hears of it (the B2BUA ignores an ACK for no
  // dialog) and nothing is sent.
  receive(ackFor(invite));
  EXPECT_EQ(user_.count("ack"), 1u);
  EXPECT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(layer().counters().statelessResponses, 2u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
}

TEST_F(TransactionTest, StatelessRejectionsOfNonInviteAnd481InDialog) {
  int status = 405;
  user_.requestHook = [&](TransactionId id, const sip::Message& req, const Source&) {
    layer().respond(id, sip::makeResponse(req, status, {}, "b1"));
  };
  Req message;
  message.method = "MESSAGE";
  receive(message);
  EXPECT_EQ(transport_.count(405), 1u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  // In a dialog, a 481 (no such dialog) is stateless too.
  status = 481;
  Req bye;
  bye.method = "BYE";
  bye.toTag = "gone";
  bye.branch = "z9hG4bKbye1";
  receive(bye);
  EXPECT_EQ(transport_.count(481), 1u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  Req reinvite;
  reinvite.toTag = "gone";
  reinvite.branch = "z9hG4bKreinv1";
  receive(reinvite);
  EXPECT_EQ(transport_.count(481), 2u);
  EXPECT_EQ(transport_.count(100), 0u);
  EXPECT_EQ(layer().serverTransactions(), 0u);
  runFor(40000);
  EXPECT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(layer().counters().statelessResponses, 3u);
}

TEST_F(TransactionTest, OtherAnswersKeepTheirTransaction) {
  // In a dialog, a rejection other than 481 is the dialog's business: the transaction
  // stays, absorbs retransmissions and retransmits (Timer G).
  user_.requestHook = [this](TransactionId id, const sip::Message& req, const Source&) {
    layer().respond(id, sip::makeResponse(req, 491, {}, "b1"));
  };
  Req reinvite;
  reinvite.toTag = "b1";
  receive(reinvite);
  EXPECT_EQ(layer().serverTransactions(), 1u);
  runFor(600);
  EXPECT_EQ(transport_.count(491), 2u);
  receive(reinvite);
  EXPECT_EQ(user_.count("request"), 1u);
  // Not answered at once: 100 Trying goes when the TU returns, the rejection is stateful.
  user_.requestHook = nullptr;
  Req invite;
  invite.branch = "z9hG4bKlater1";
  invite.callId = "later@192.0.2.10";
  TransactionId id = receiveNew(invite);
  EXPECT_EQ(transport_.sent.back().msg.statusCode(), 100);
  respond(id, 404);
  size_t before = transport_.count(404);
  runFor(600);
  EXPECT_EQ(transport_.count(404), before + 1) << "Timer G";
  EXPECT_EQ(layer().counters().statelessResponses, 0u);
}

// Defect 8: the tables have a cap.
TEST_F(TransactionTest, ServerTransactionsOverTheCapGetAStateless503) {
  makeLayer({}, Limits{2, 100});
  Req first;
  first.branch = "z9hG4bKcap1";
  first.callId = "cap1@192.0.2.10";
  Req second = first;
  second.branch = "z9hG4bKcap2";
  second.callId = "cap2@192.0.2.10";
  Req third = first;
  third.branch = "z9hG4bKcap3";
  third.callId = "cap3@192.0.2.10";
  TransactionId id = receiveNew(first);
  receiveNew(second);
  size_t sent = transport_.sent.size();
  receive(third);
  EXPECT_EQ(user_.count("request"), 2u);
  ASSERT_EQ(transport_.sent.size(), sent + 1);
  const sip::Message& refusal = transport_.sent.back().msg;
  EXPECT_EQ(refusal.statusCode(), 503);
  EXPECT_EQ(refusal.header(sip::HeaderId::kRetryAfter), "5");
  EXPECT_EQ(layer().counters().serverTransactionsRefused, 1u);
  EXPECT_EQ(layer().serverTransactions(), 2u);
  // Retransmissions of open transactions are still absorbed.
  receive(first);
  EXPECT_EQ(layer().counters().retransmissionsAbsorbed, 1u);
  EXPECT_EQ(layer().counters().serverTransactionsRefused, 1u);
  // Room again once one ends.
  respond(id, 486);
  receive(ackFor(first));
  runFor(6000);  // Timer I
  EXPECT_EQ(layer().serverTransactions(), 1u);
  receiveNew(third);
  EXPECT_EQ(layer().serverTransactions(), 2u);
}

// Under overload new work is shed first: in-dialog requests (a To tag) have a tenth more
// room than new ones, so an established call can still be hung up when new calls are
// refused.
TEST_F(TransactionTest, InDialogRequestsHaveRoomOverTheCapForNewOnes) {
  makeLayer({}, Limits{10, 100});
  for (int i = 0; i < 10; ++i) {
    Req r;
    r.branch = "z9hG4bKfill" + std::to_string(i);
    r.callId = "fill" + std::to_string(i) + "@192.0.2.10";
    receiveNew(r);
  }
  Req fresh;
  fresh.branch = "z9hG4bKnew";
  fresh.callId = "new@192.0.2.10";
  receive(fresh);
  EXPECT_EQ(layer().counters().serverTransactionsRefused, 1u);  // a new call: shed
  Req bye;
  bye.method = "BYE";
  bye.branch = "z9hG4bKbye";
  bye.callId = "up@192.0.2.10";
  bye.toTag = "ours";
  receiveNew(bye);  // an established call's BYE: taken
  EXPECT_EQ(layer().counters().serverTransactionsRefused, 1u);
  EXPECT_EQ(layer().serverTransactions(), 11u);
  // The headroom is bounded too: one more (10 / 10 = 1), then refused.
  Req bye2 = bye;
  bye2.branch = "z9hG4bKbye2";
  bye2.callId = "up2@192.0.2.10";
  receive(bye2);
  EXPECT_EQ(layer().counters().serverTransactionsRefused, 2u);
}

// A full client table still lets the requests that end calls out: CANCEL and BYE have a
// tenth more room.
TEST_F(TransactionTest, CancelAndByeHaveRoomOverTheClientCap) {
  makeLayer({}, Limits{100, 10});
  for (int i = 0; i < 10; ++i)
    send(ourRequest("OPTIONS"));
  send(ourRequest("INVITE"));
  EXPECT_EQ(layer().counters().clientTransactionsRefused, 1u);
  send(ourRequest("BYE"));
  EXPECT_EQ(layer().counters().clientTransactionsRefused, 1u);
  EXPECT_EQ(layer().clientTransactions(), 11u);
  send(ourRequest("CANCEL"));  // over the headroom (10 / 10 = 1): refused too
  EXPECT_EQ(layer().counters().clientTransactionsRefused, 2u);
}

TEST_F(TransactionTest, ClientTransactionsOverTheCapFailAtOnce) {
  makeLayer({}, Limits{100, 2});
  send(ourRequest());
  send(ourRequest("BYE"));
  size_t sent = transport_.sent.size();
  TransactionId refused = send(ourRequest("OPTIONS"));
  EXPECT_NE(refused, 0u);
  EXPECT_EQ(transport_.sent.size(), sent) << "nothing is sent";
  EXPECT_EQ(layer().clientTransactions(), 2u);
  flush();
  ASSERT_EQ(user_.count("clientFailure"), 1u);
  EXPECT_EQ(user_.last("clientFailure")->id, refused);
  EXPECT_EQ(user_.last("clientFailure")->failure, ClientFailure::kTransportError);
  EXPECT_EQ(layer().counters().clientTransactionsRefused, 1u);
  EXPECT_EQ(layer().limits().maxClientTransactions, 2u);
}

}  // namespace
}  // namespace sbc::transaction
