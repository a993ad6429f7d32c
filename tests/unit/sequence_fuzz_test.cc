// A message-sequence fuzzer for the transaction layer and the B2BUA (issue 14): seeded
// random sequences of what two peers and the network can do (new INVITEs, retransmissions,
// CANCEL, ACK, in-dialog requests from either side, responses of every class from the right
// address or a third one, forks, transport failures) and of time passing, over the fake
// transport and a manual clock. Invariants: nothing crashes (run it under ASan too), and
// once the peers answer what is outstanding and time passes, every table is empty again.
// Bounded: a fixed number of seeds and steps, a few seconds in all.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "config/loader.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/sip/parser.h"
#include "signaling/sip/response.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/unit/b2bua_settings.h"
#include "tools/sbcd/call_metrics.h"

namespace sbc::b2bua {
namespace {

using namespace std::chrono_literals;
using test::Sent;

constexpr transport::ListenerId kAccess = 0;
constexpr transport::ListenerId kCore = 1;

constexpr const char* kConfig = R"(
sip:
  no_answer_timeout_s: 60
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.1, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.2, port: 5060 } ]
routes:
  - name: blocked
    match: { source_realm: access, user_prefix: "900" }
    reject: { code: 403, reason: "Blocked" }
  - name: trunk
    match: { source_realm: access, user_prefix: "+1" }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
)";

const transport::Endpoint kCaller{transport::Protocol::kUdp, *net::IpAddress::parse("192.0.2.10"),
                                  5060};
const transport::Endpoint kThird{transport::Protocol::kUdp, *net::IpAddress::parse("192.0.2.66"),
                                 5080};

std::string sdp(std::string_view ip) {
  return "v=0\r\no=fz 1 1 IN IP4 " + std::string(ip) + "\r\ns=-\r\nc=IN IP4 " + std::string(ip) +
         "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
}

class Sequence {
 public:
  explicit Sequence(uint64_t seed) : rng_(seed) {
    config::LoadResult loaded = config::parseConfig(kConfig);
    EXPECT_TRUE(loaded.ok());
    config_ = std::move(*loaded.config);
    b2bua_ =
        std::make_unique<B2bua>(wheel_, testSettings(config_), transport_.infos, nullptr, &stats_);
    txn_ = std::make_unique<transaction::TransactionLayer>(transport_, wheel_,
                                                           transaction::TimerConfig{}, *b2bua_);
    b2bua_->attach(*txn_);
  }

  void step() {
    switch (pick(14)) {
      case 0:
      case 1:
        newInvite();
        break;
      case 2:
        retransmit(aSent_, kAccess, kCaller);
        break;
      case 3:
        cancel();
        break;
      case 4:
        ackFromA();
        break;
      case 5:
        inDialogFromA();
        break;
      case 6:
      case 7:
      case 8:
        answer(kCore, true);
        break;
      case 9:
        answer(kAccess, true);
        break;
      case 10:
        inDialogFromB();
        break;
      case 11:
        passTime();
        break;
      case 12:
        failTransport();
        break;
      default:
        retransmit(bSent_, kCore,
                   transport::Endpoint{transport::Protocol::kUdp,
                                       *net::IpAddress::parse("127.0.0.3"), 5080});
        break;
    }
  }

  // The peers answer every request still waiting (INVITE 487, others 200), ACK what they
  // got, and time passes: the tables must empty.
  void settle() {
    for (int round = 0; round < 3; ++round) {
      size_t end = transport_.sent.size();
      for (size_t i = 0; i < end; ++i) {
        const Sent& s = transport_.sent[i];
        if (!s.msg.isRequest() || s.msg.methodId() == sip::Method::kAck) continue;
        int status = s.msg.methodId() == sip::Method::kInvite ? 487 : 200;
        respondTo(s, status, "settle", false);
      }
      advance(40s);
    }
    advance(400s);
  }

  size_t serverTransactions() const { return txn_->serverTransactions(); }
  size_t clientTransactions() const { return txn_->clientTransactions(); }
  size_t activeCalls() const { return b2bua_->activeCalls(); }
  void shutdown() { b2bua_->terminateAll(); }
  const transaction::Counters& counters() const { return txn_->counters(); }
  const CallCounters& calls() const { return b2bua_->counters(); }
  size_t messagesSent() const { return transport_.sent.size(); }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return int(pick(100)) < percent; }

  void deliver(const std::string& text, transport::ListenerId listener,
               const transport::Endpoint& from) {
    sip::Message m;
    if (!sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) {
      ADD_FAILURE() << "the fuzzer built an unparseable message:\n" << text;
      return;
    }
    txn_->onMessage(std::move(m), transport::Source{from, listener, 0});
  }

  void newInvite() {
    static const char* kUsers[] = {"+15551234", "+15559999", "5551234", "9001234"};
    int call = int(pick(6));
    std::string callId = "fz" + std::to_string(call) + "@192.0.2.10";
    uint32_t cseq = ++aCseq_[callId];
    std::string branch = "z9hG4bKfa" + std::to_string(pick(24));
    std::string body = chance(80) ? sdp("192.0.2.10") : "";
    std::string text = "INVITE sip:" + std::string(kUsers[pick(4)]) +
                       "@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=" + branch +
                       ";rport\r\nMax-Forwards: " + (chance(5) ? "0" : "70") +
                       "\r\nFrom: <sip:alice@192.0.2.10>;tag=fa" + std::to_string(call) +
                       "\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: " + callId +
                       "\r\nCSeq: " + std::to_string(cseq) +
                       " INVITE\r\nContact: <sip:alice@192.0.2.10:5060>\r\n" +
                       (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    aSent_.push_back(text);
    deliver(text, kAccess, kCaller);
  }

  void retransmit(const std::vector<std::string>& sent, transport::ListenerId listener,
                  const transport::Endpoint& from) {
    if (sent.empty()) return;
    deliver(sent[pick(sent.size())], listener, from);
  }

  // A random message the SBC sent on `listener` that `ok` accepts, or nullptr.
  template <typename F>
  const Sent* anySent(transport::ListenerId listener, F ok) {
    std::vector<const Sent*> found;
    for (const Sent& s : transport_.sent) {
      if (s.to.listener == listener && ok(s.msg)) found.push_back(&s);
    }
    return found.empty() ? nullptr : found[pick(found.size())];
  }

  void cancel() {
    std::vector<const std::string*> invites;
    for (const std::string& t : aSent_) {
      if (t.rfind("INVITE ", 0) == 0 && t.find("To: <sip:bob@127.0.0.1>\r\n") != std::string::npos)
        invites.push_back(&t);
    }
    if (invites.empty()) return;
    sip::Message invite;
    if (!sip::parseMessage(*invites[pick(invites.size())], sip::Framing::kDatagram, {}, invite)
             .ok())
      return;
    std::string text =
        "CANCEL " + std::string(invite.requestUri()) +
        " SIP/2.0\r\nVia: " + std::string(invite.header(sip::HeaderId::kVia)) +
        "\r\nMax-Forwards: 70\r\nFrom: " + std::string(invite.header(sip::HeaderId::kFrom)) +
        "\r\nTo: " + std::string(invite.header(sip::HeaderId::kTo)) +
        "\r\nCall-ID: " + std::string(invite.callId()) +
        "\r\nCSeq: " + std::to_string(invite.cseq().value.number) +
        " CANCEL\r\nContent-Length: 0\r\n\r\n";
    aSent_.push_back(text);
    deliver(text, kAccess, kCaller);
  }

  void ackFromA() {
    const Sent* r = anySent(kAccess, [](const sip::Message& m) {
      return m.isResponse() && m.statusCode() >= 200 && m.cseq().value.method == "INVITE";
    });
    if (!r) return;
    const sip::Message& m = r->msg;
    bool ok = m.statusCode() < 300;
    std::string via =
        ok ? "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack" + std::to_string(pick(99))
           : std::string(m.header(sip::HeaderId::kVia));
    std::string text =
        "ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: " + via +
        "\r\nMax-Forwards: 70\r\nFrom: " + std::string(m.header(sip::HeaderId::kFrom)) +
        "\r\nTo: " + std::string(m.header(sip::HeaderId::kTo)) +
        "\r\nCall-ID: " + std::string(m.callId()) +
        "\r\nCSeq: " + std::to_string(m.cseq().value.number) + " ACK\r\nContent-Length: 0\r\n\r\n";
    aSent_.push_back(text);
    deliver(text, kAccess, kCaller);
  }

  void inDialogFromA() {
    // A dialog the SBC made with A: a response with a To tag.
    const Sent* r = anySent(kAccess, [](const sip::Message& m) {
      return m.isResponse() && m.to().value.hasTag() && m.statusCode() < 300 &&
             m.cseq().value.method == "INVITE";
    });
    if (!r) return;
    static const char* kMethods[] = {"BYE", "INFO", "INVITE", "UPDATE", "PRACK"};
    std::string method = kMethods[pick(5)];
    std::string callId(r->msg.callId());
    std::string to(r->msg.header(sip::HeaderId::kTo));
    if (chance(10)) to = "<sip:bob@127.0.0.1>;tag=nosuchdialog";
    sendInDialog(method, callId, std::string(r->msg.header(sip::HeaderId::kFrom)), to,
                 ++aCseq_[callId], "192.0.2.10:5060", "sip:127.0.0.1:5060", kAccess, kCaller,
                 aSent_);
  }

  void inDialogFromB() {
    // A dialog B made: a response B sent with a To tag.
    std::vector<sip::Message> dialogs;
    for (const std::string& t : bSent_) {
      sip::Message m;
      if (sip::parseMessage(t, sip::Framing::kDatagram, {}, m).ok() && m.isResponse() &&
          m.to().value.hasTag() && m.statusCode() < 300 && m.cseq().value.method == "INVITE")
        dialogs.push_back(std::move(m));
    }
    if (dialogs.empty()) return;
    const sip::Message& r = dialogs[pick(dialogs.size())];
    static const char* kMethods[] = {"BYE", "INFO", "INVITE", "UPDATE"};
    std::string callId(r.callId());
    uint32_t& cseq = bCseq_[callId];
    if (cseq == 0) cseq = 100;
    sendInDialog(
        kMethods[pick(4)], callId, std::string(r.header(sip::HeaderId::kTo)),
        std::string(r.header(sip::HeaderId::kFrom)), ++cseq, "127.0.0.3:5080", "sip:127.0.0.2:5060",
        kCore,
        transport::Endpoint{transport::Protocol::kUdp, *net::IpAddress::parse("127.0.0.3"), 5080},
        bSent_);
  }

  void sendInDialog(const std::string& method, const std::string& callId, const std::string& from,
                    const std::string& to, uint32_t cseq, const std::string& sentBy,
                    const std::string& uri, transport::ListenerId listener,
                    const transport::Endpoint& source, std::vector<std::string>& log) {
    std::string body = method == "INVITE" && chance(70) ? sdp("192.0.2.10") : "";
    std::string text = method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + sentBy +
                       ";branch=z9hG4bKd" + std::to_string(pick(1000000)) +
                       "\r\nMax-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to +
                       "\r\nCall-ID: " + callId + "\r\nCSeq: " + std::to_string(cseq) + " " +
                       method + "\r\nContact: <sip:peer@" + sentBy + ">\r\n" +
                       (method == "PRACK" ? "RAck: 1 1 INVITE\r\n" : "") +
                       (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    log.push_back(text);
    deliver(text, listener, source);
  }

  void answer(transport::ListenerId listener, bool random) {
    const Sent* req = anySent(listener, [](const sip::Message& m) {
      return m.isRequest() && m.methodId() != sip::Method::kAck;
    });
    if (!req) return;
    static const int kCodes[] = {100, 180, 183, 200, 200, 200, 408, 481, 486, 487, 491, 503};
    int status = kCodes[pick(std::size(kCodes))];
    // Answered calls are where in-dialog traffic happens: let many INVITEs get a 200.
    if (req->msg.methodId() == sip::Method::kInvite && chance(35)) status = 200;
    respondTo(*req, status, chance(20) ? "fork" : "main", random && chance(10));
  }

  void respondTo(const Sent& req, int status, std::string_view tag, bool fromThirdParty) {
    bool toB = req.to.listener == kCore;
    std::string toTag = status == 100 ? "" : std::string(toB ? "fb-" : "fa-") + std::string(tag);
    sip::Message r = sip::makeResponse(req.msg, status, {}, toTag);
    std::string self = toB ? "127.0.0.3:5080" : "192.0.2.10:5060";
    if (status > 100 && status < 300)
      r.addHeader(sip::HeaderId::kContact, "<sip:peer@" + self + ">");
    if (req.msg.methodId() == sip::Method::kInvite && status >= 180 && status < 300 && chance(70))
      r.setBody(sdp(toB ? "127.0.0.3" : "192.0.2.10"), "application/sdp");
    std::string text = r.serialize();
    if (toB) bSent_.push_back(text);
    deliver(text, req.to.listener, fromThirdParty ? kThird : req.to.remote);
  }

  void passTime() {
    static const std::chrono::milliseconds kSteps[] = {1ms, 100ms, 500ms, 2s, 5s, 33s, 70s};
    advance(kSteps[pick(std::size(kSteps))]);
  }

  void failTransport() {
    if (chance(50)) {
      transport_.fail = true;  // the next action's sends fail synchronously
      step();
      transport_.fail = false;
    } else if (!transport_.sent.empty()) {
      const Sent& s = transport_.sent[pick(transport_.sent.size())];
      txn_->onSendFailure(s.to, "fuzz");
    }
  }

  // To each deadline in turn, as the Asio driver does.
  void advance(std::chrono::milliseconds d) {
    timer::TimePoint target = now_ + d;
    while (std::optional<timer::TimePoint> next = wheel_.nextDeadline()) {
      if (*next > target) break;
      now_ = std::max(now_, *next);
      wheel_.advance(now_);
    }
    now_ = target;
    wheel_.advance(now_);
  }

  std::mt19937_64 rng_;
  timer::TimePoint now_ = timer::TimePoint() + 1h;
  timer::TimerWheel wheel_{[this] { return now_; }};
  test::FakeTransport transport_{{test::udpListener(kAccess, "127.0.0.1", 5060, "access"),
                                  test::udpListener(kCore, "127.0.0.2", 5060, "core")}};
  config::Config config_;
  sbcd::CallMetrics stats_;
  std::unique_ptr<B2bua> b2bua_;
  std::unique_ptr<transaction::TransactionLayer> txn_;
  std::vector<std::string> aSent_;
  std::vector<std::string> bSent_;
  std::map<std::string, uint32_t> aCseq_;
  std::map<std::string, uint32_t> bCseq_;
};

TEST(SequenceFuzz, TablesEmptyOnceThePeersAnswerAndTimePasses) {
  spdlog::set_level(spdlog::level::warn);  // a call's log lines, times thousands
  constexpr int kSeeds = 300;
  constexpr int kSteps = 150;
  // What the sequences reached, so that a change that makes them trivial shows.
  uint64_t sent = 0, started = 0, answered = 0, elsewhere = 0, stateless = 0, absorbed = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Sequence s(seed);
    for (int i = 0; i < kSteps; ++i)
      s.step();
    s.settle();
    EXPECT_EQ(s.serverTransactions(), 0u);
    EXPECT_EQ(s.clientTransactions(), 0u);
    // Calls that were answered stay until someone hangs up: shut down, then all is gone.
    s.shutdown();
    s.settle();
    EXPECT_EQ(s.activeCalls(), 0u);
    EXPECT_EQ(s.serverTransactions(), 0u);
    EXPECT_EQ(s.clientTransactions(), 0u);
    sent += s.messagesSent();
    started += s.calls().started;
    answered += s.calls().answered;
    elsewhere += s.counters().responsesFromElsewhere;
    stateless += s.counters().statelessResponses;
    absorbed += s.counters().retransmissionsAbsorbed;
    if (HasFailure()) break;  // one seed's story is enough to read
  }
  std::printf(
      "  %llu messages sent, %llu calls started, %llu answered; responses from elsewhere "
      "%llu, stateless answers %llu, retransmissions absorbed %llu\n",
      (unsigned long long)sent, (unsigned long long)started, (unsigned long long)answered,
      (unsigned long long)elsewhere, (unsigned long long)stateless, (unsigned long long)absorbed);
  EXPECT_GT(answered, uint64_t(kSeeds));  // the sequences reach established calls
}

}  // namespace
}  // namespace sbc::b2bua
