// Overload and abuse control (signaling/admission): the per-source rate limit, the token
// bucket, the gate in front of the transaction layer, the caps on new calls, and those
// caps in the B2BUA's call set-up. Time comes from a manual clock.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "signaling/admission/call_admission.h"
#include "signaling/admission/source_gate.h"
#include "signaling/admission/source_limiter.h"
#include "signaling/admission/token_bucket.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/sip/parser.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/unit/b2bua_settings.h"
#include "tools/sbcd/overload.h"
#include "tools/sbcd/overload_settings.h"

namespace sbc::admission {
namespace {

using namespace std::chrono_literals;
using Verdict = SourceLimiter::Verdict;

net::IpAddress ip(std::string_view s) {
  return *net::IpAddress::parse(s);
}

// ---- the token bucket

TEST(TokenBucket, PassesBurstThenRefillsAtTheRate) {
  timer::TimePoint t{};
  TokenBucket b(10, 5);
  int passed = 0;
  for (int i = 0; i < 20; ++i)
    passed += b.take(t);
  EXPECT_EQ(passed, 5);  // the burst
  t += 100ms;            // one token
  EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(t));
  t += 10s;  // never more than the burst saved up
  passed = 0;
  for (int i = 0; i < 20; ++i)
    passed += b.take(t);
  EXPECT_EQ(passed, 5);
}

TEST(TokenBucket, ZeroRateIsUnlimitedAndAStandingClockAddsNothing) {
  timer::TimePoint t{};
  TokenBucket unlimited(0, 0);
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(unlimited.take(t));
  TokenBucket b(100, 0);  // burst defaults to one second's worth
  int passed = 0;
  for (int i = 0; i < 1000; ++i)
    passed += b.take(t);
  EXPECT_EQ(passed, 100);
  EXPECT_FALSE(b.take(t - 5s));  // a clock stepping back refills nothing
}

// Over 10 s at three times the rate, about the rate passes (the burst once on top).
TEST(TokenBucket, SustainedOverloadPassesTheRate) {
  timer::TimePoint t{};
  TokenBucket b(100, 100);
  int passed = 0;
  for (int ms = 0; ms < 10000; ++ms) {
    for (int k = 0; k < 3; ++k) {
      if (ms % 10 < 3 || k == 0) passed += b.take(t);  // 300/s in bursts
    }
    t += 1ms;
  }
  EXPECT_GE(passed, 1000);
  EXPECT_LE(passed, 1101);
}

// ---- the per-source limiter

SourceLimits limits(uint32_t requests, std::chrono::milliseconds window,
                    std::chrono::milliseconds block, uint32_t table = 1024) {
  SourceLimits l;
  l.requests = requests;
  l.window = window;
  l.blockTime = block;
  l.tableSize = table;
  return l;
}

TEST(SourceLimiter, ASourceOverItsRateIsBlockedAndTheBlockExpires) {
  SourceLimiter lim(limits(5, 1000ms, 10000ms));
  timer::TimePoint t{};
  net::IpAddress a = ip("192.0.2.1"), b = ip("192.0.2.2");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(lim.request(a, t), Verdict::kPass) << i;
  EXPECT_EQ(lim.request(a, t), Verdict::kBlocked);
  EXPECT_EQ(lim.request(a, t + 1ms), Verdict::kStillBlocked);
  EXPECT_EQ(lim.blocks(), 1u);
  EXPECT_EQ(lim.blocked(t + 1ms), 1u);
  // Another source is not touched.
  EXPECT_EQ(lim.request(b, t + 1ms), Verdict::kPass);
  // Quiet during the block: at its end the source passes again.
  EXPECT_EQ(lim.request(a, t + 9999ms), Verdict::kStillBlocked);
  EXPECT_EQ(lim.request(a, t + 30s), Verdict::kPass);
  EXPECT_EQ(lim.blocked(t + 30s), 0u);
}

TEST(SourceLimiter, ASteadySourceAtTheRateIsNeverBlocked) {
  SourceLimiter lim(limits(10, 1000ms, 10000ms));
  timer::TimePoint t{};
  for (int i = 0; i < 1000; ++i) {  // 10/s for 100 s
    ASSERT_EQ(lim.request(ip("192.0.2.1"), t), Verdict::kPass) << i;
    t += 100ms;
  }
}

TEST(SourceLimiter, AFlooderStaysBlockedWhileItFloods) {
  SourceLimiter lim(limits(10, 1000ms, 2000ms));
  timer::TimePoint t{};
  net::IpAddress a = ip("192.0.2.1");
  int passed = 0;
  for (int i = 0; i < 10000; ++i) {  // 1000/s for 10 s
    passed += lim.request(a, t) == Verdict::kPass;
    t += 1ms;
  }
  EXPECT_EQ(passed, 10);  // the first window's worth, then blocked throughout
  EXPECT_EQ(lim.blocks(), 1u);
  // It stops: after the block and a window it is forgiven.
  t += 5s;
  EXPECT_EQ(lim.request(a, t), Verdict::kPass);
}

// A flood of spoofed sources fills the table and no more; the blocked flooder, which is
// recent, keeps its entry (its block holds).
TEST(SourceLimiter, TheTableIsBoundedAndEvictsTheQuietestSource) {
  SourceLimiter lim(limits(3, 1000ms, 60000ms, 64));
  timer::TimePoint t{};
  net::IpAddress flooder = ip("198.51.100.1");
  for (int i = 0; i < 4; ++i)
    lim.request(flooder, t);
  ASSERT_EQ(lim.request(flooder, t), Verdict::kStillBlocked);
  for (uint32_t i = 0; i < 100000; ++i) {
    net::IpAddress spoofed = ip("10.0.0.0");
    spoofed.bytes[1] = uint8_t(i >> 16);
    spoofed.bytes[2] = uint8_t(i >> 8);
    spoofed.bytes[3] = uint8_t(i);
    EXPECT_EQ(lim.request(spoofed, t), Verdict::kPass);
    if (i % 32 == 0) {
      ASSERT_EQ(lim.request(flooder, t), Verdict::kStillBlocked) << i;
    }
    t += 10us;
  }
  EXPECT_EQ(lim.tracked(), 64u);
  EXPECT_GT(lim.evictions(), 99000u);
}

TEST(SourceLimiter, IPv6SourcesAreKeptApartFromIPv4) {
  SourceLimiter lim(limits(1, 1000ms, 10000ms));
  timer::TimePoint t{};
  EXPECT_EQ(lim.request(ip("2001:db8::1"), t), Verdict::kPass);
  EXPECT_EQ(lim.request(ip("2001:db8::1"), t), Verdict::kBlocked);
  EXPECT_EQ(lim.request(ip("2001:db8::2"), t), Verdict::kPass);
  EXPECT_EQ(lim.request(ip("32.1.13.184"), t), Verdict::kPass);  // 2001:db8 as IPv4 bytes
}

// ---- the gate in front of the transaction layer

struct Recorder : transport::MessageHandler {
  void onMessage(sip::Message&& m, const transport::Source&) override {
    methods.push_back(m.isRequest() ? std::string(m.method()) : std::to_string(m.statusCode()));
  }
  void onSendFailure(const transport::Destination&, std::string_view) override { ++failures; }
  std::vector<std::string> methods;
  int failures = 0;
};

std::string request(std::string_view method, std::string_view ruri, std::string_view toTag = "",
                    std::string_view userAgent = "", int n = 1) {
  std::string m = std::string(method) + " " + std::string(ruri) +
                  " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKg" +
                  std::to_string(n) +
                  "\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=f\r\nTo: <sip:b@x>" +
                  (toTag.empty() ? "" : ";tag=" + std::string(toTag)) + "\r\nCall-ID: c" +
                  std::to_string(n) + "\r\nCSeq: 1 " + std::string(method) + "\r\n";
  if (!userAgent.empty()) m += "User-Agent: " + std::string(userAgent) + "\r\n";
  return m + "Content-Length: 0\r\n\r\n";
}

class GateTest : public ::testing::Test {
 protected:
  void make(GateSettings s) {
    gate = std::make_unique<SourceGate>(wheel, std::move(s), listeners, next);
  }
  void deliver(const std::string& text, std::string_view from, transport::ListenerId l = 0) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
    gate->onMessage(std::move(m),
                    transport::Source{{transport::Protocol::kUdp, ip(from), 5060}, l, 0});
  }
  uint64_t dropped(DropReason r) const { return gate->counters().dropped[size_t(r)]; }

  timer::TimePoint now{};
  timer::TimerWheel wheel{[this] { return now; }};
  std::vector<transport::ListenerInfo> listeners = {
      test::udpListener(0, "127.0.0.1", 5060, "access"),
      test::udpListener(1, "127.0.0.2", 5060, "core")};
  Recorder next;
  std::unique_ptr<SourceGate> gate;
};

TEST_F(GateTest, ABlockedSourceIsDroppedSilentlyAndCountedWhileOthersPass) {
  GateSettings s;
  s.sources = limits(3, 1000ms, 5000ms);
  make(s);
  for (int i = 0; i < 10; ++i)
    deliver(request("INVITE", "sip:b@127.0.0.1", "", "", i), "198.51.100.7");
  deliver(request("INVITE", "sip:b@127.0.0.1", "", "", 99), "192.0.2.10");
  // A response from the blocked source still reaches its transaction.
  deliver(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: "
      "<sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n",
      "198.51.100.7");
  EXPECT_EQ(next.methods.size(), 3u + 1u + 1u);
  EXPECT_EQ(dropped(DropReason::kSourceBlocked), 7u);
  EXPECT_EQ(gate->counters().sourcesBlocked, 1u);
  // The block expires with the source quiet.
  now += 10s;
  deliver(request("INVITE", "sip:b@127.0.0.1", "", "", 100), "198.51.100.7");
  EXPECT_EQ(next.methods.size(), 6u);
  next.onSendFailure({}, "x");
  gate->onSendFailure({}, "y");  // passed down
  EXPECT_EQ(next.failures, 2);
}

TEST_F(GateTest, ExemptSourcesAndRealmsOutsideTheLimitAreNotLimited) {
  GateSettings s;
  s.sources = limits(1, 1000ms, 5000ms);
  s.exempt = {ip("192.0.2.50")};
  s.sourceRealms = {"access"};
  make(s);
  for (int i = 0; i < 5; ++i) {
    deliver(request("OPTIONS", "sip:127.0.0.1", "", "", i), "192.0.2.50", 0);  // exempt
    deliver(request("OPTIONS", "sip:127.0.0.2", "", "", i), "192.0.2.60", 1);  // core: not limited
  }
  EXPECT_EQ(next.methods.size(), 10u);
  deliver(request("OPTIONS", "sip:127.0.0.1", "", "", 1), "192.0.2.60", 0);
  deliver(request("OPTIONS", "sip:127.0.0.1", "", "", 2), "192.0.2.60", 0);
  EXPECT_EQ(next.methods.size(), 11u);
}

TEST_F(GateTest, ScannerUserAgentsAreDroppedByDefault) {
  make(GateSettings{});
  for (std::string_view ua :
       {"friendly-scanner", "sipvicious 0.3.4", "SIPCLI/v1.8", "VaxSIPUserAgent/3.1", "pplsip"}) {
    deliver(request("OPTIONS", "sip:100@127.0.0.1", "", ua), "203.0.113.9");
  }
  EXPECT_TRUE(next.methods.empty());
  EXPECT_EQ(dropped(DropReason::kScannerUserAgent), 5u);
  deliver(request("OPTIONS", "sip:100@127.0.0.1", "", "baresip v1.0.0 (x86_64/linux)"),
          "203.0.113.9");
  deliver(request("OPTIONS", "sip:100@127.0.0.1"), "203.0.113.9");  // no User-Agent
  deliver(request("OPTIONS", "sip:100@127.0.0.1", "", "sipsak 0.9.8"),
          "203.0.113.9");  // monitoring
  EXPECT_EQ(next.methods.size(), 3u);
}

TEST_F(GateTest, ScannerRulesAreConfigurable) {
  GateSettings s;
  s.scannerUserAgents = {"EvilDialer"};
  make(s);
  deliver(request("INVITE", "sip:1@127.0.0.1", "", "friendly-scanner"), "203.0.113.9");
  deliver(request("INVITE", "sip:1@127.0.0.1", "", "evildialer/2"), "203.0.113.9");
  EXPECT_EQ(next.methods.size(), 1u);
  GateSettings off;
  off.dropScanners = false;
  make(off);
  deliver(request("INVITE", "sip:1@127.0.0.1", "", "friendly-scanner"), "203.0.113.9");
  EXPECT_EQ(next.methods.size(), 2u);
}

TEST_F(GateTest, OutOfDialogRequestsForDomainsNotServedAreDropped) {
  GateSettings s;
  s.servedHosts = {"sbc.example.com", "127.0.0.1", "2001:db8::5"};
  make(s);
  deliver(request("INVITE", "sip:100@sbc.example.com"), "203.0.113.9");
  deliver(request("INVITE", "sip:100@SBC.Example.COM."), "203.0.113.9");
  deliver(request("INVITE", "sip:100@127.0.0.1:5060"), "203.0.113.9");
  deliver(request("INVITE", "sip:100@[2001:db8::5]"), "203.0.113.9");
  EXPECT_EQ(next.methods.size(), 4u);
  deliver(request("INVITE", "sip:100@198.51.100.200"), "203.0.113.9");
  deliver(request("REGISTER", "sip:other.example.org"), "203.0.113.9");
  EXPECT_EQ(next.methods.size(), 4u);
  EXPECT_EQ(dropped(DropReason::kUnknownDomain), 2u);
  // In-dialog requests went to our Contact: never judged by domain or User-Agent.
  deliver(request("BYE", "sip:peer@198.51.100.200", "totag", "friendly-scanner"), "203.0.113.9");
  EXPECT_EQ(next.methods.size(), 5u);
}

// ---- the caps on new calls

TEST(CallAdmission, GlobalAndRealmCallsPerSecond) {
  CallCaps caps;
  caps.cps = 10;
  caps.realms = {{"access", 3, 0}};
  CallAdmission a(caps);
  timer::TimePoint t{};
  int slot = 0;
  int access = 0, core = 0;
  for (int i = 0; i < 20; ++i) {
    access += !a.admit("access", "r", t, slot).has_value();
    core += !a.admit("core", "r", t, slot).has_value();
  }
  EXPECT_EQ(access, 3);
  EXPECT_EQ(core, 7);  // what the global cap had left
  EXPECT_EQ(a.refused()[size_t(Refusal::kRealmCps)], 17u);
  EXPECT_EQ(a.refused()[size_t(Refusal::kGlobalCps)], 13u);
  EXPECT_EQ(a.refusedByRealm().at("core")[size_t(Refusal::kGlobalCps)], 13u);
  t += 1s;
  EXPECT_FALSE(a.admit("access", "r", t, slot).has_value());
}

TEST(CallAdmission, TrunkCallsAreCappedUntilReleased) {
  CallCaps caps;
  caps.trunks = {{"carrier", 2}};
  CallAdmission a(caps);
  timer::TimePoint t{};
  int s1 = -1, s2 = -1, s3 = -1, other = -1;
  EXPECT_FALSE(a.admit("access", "carrier", t, s1));
  EXPECT_FALSE(a.admit("access", "carrier", t, s2));
  EXPECT_EQ(a.admit("access", "carrier", t, s3), Refusal::kTrunkCalls);
  EXPECT_EQ(s3, CallAdmission::kNoTrunk);
  EXPECT_FALSE(a.admit("access", "elsewhere", t, other));
  EXPECT_EQ(other, CallAdmission::kNoTrunk);
  EXPECT_EQ(a.trunks()[0].active, 2u);
  a.release(s1);
  a.release(CallAdmission::kNoTrunk);  // ignored
  EXPECT_FALSE(a.admit("access", "carrier", t, s3));
  EXPECT_EQ(a.trunks()[0].active, 2u);
}

TEST(CallAdmission, NewCallsAreShedWhileTheLoopLags) {
  CallCaps caps;
  caps.shedLoopLag = 100ms;
  CallAdmission a(caps);
  int slot = 0;
  EXPECT_FALSE(a.admit("access", "r", {}, slot));
  a.setLoopLag(250ms);
  EXPECT_EQ(a.admit("access", "r", {}, slot), Refusal::kLoopLag);
  a.setLoopLag(5ms);
  EXPECT_FALSE(a.admit("access", "r", {}, slot));
}

// ---- the caps in the B2BUA's call set-up, and from the configuration

constexpr const char* kConfig = R"(
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.1, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.2, port: 5060 } ]
routes:
  - name: carrier
    match: { source_realm: access, user_prefix: "+1" }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
  - name: other
    match: { source_realm: access }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
overload:
  retry_after_s: 7
  realms:
    - { realm: access, calls_per_second: 2 }
  trunks:
    - { route: carrier, max_calls: 1 }
)";

class B2buaOverloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::LoadResult loaded = config::parseConfig(kConfig);
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    config = std::move(*loaded.config);
    caps = std::make_unique<CallAdmission>(sbcd::callCaps(config));
    b2bua = std::make_unique<b2bua::B2bua>(wheel, b2bua::testSettings(config), transport.infos);
    txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                          transaction::TimerConfig{}, *b2bua);
    b2bua->attach(*txn);
    b2bua->setAdmission(caps.get());
  }
  void deliver(const std::string& text, transport::ListenerId l, std::string_view from,
               uint16_t port) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
    txn->onMessage(std::move(m),
                   transport::Source{{transport::Protocol::kUdp, ip(from), port}, l, 0});
  }
  std::string invite(std::string_view user, int n) {
    return "INVITE sip:" + std::string(user) +
           "@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKi" +
           std::to_string(n) + "\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=a" +
           std::to_string(n) + "\r\nTo: <sip:" + std::string(user) +
           "@127.0.0.1>\r\nCall-ID: call" + std::to_string(n) +
           "\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.10>\r\nContent-Length: 0\r\n\r\n";
  }
  // The final answer to caller INVITE `n`, or 0.
  int finalFor(int n) const {
    int code = 0;
    for (const test::Sent& s : transport.sent) {
      if (s.msg.isResponse() && s.msg.statusCode() >= 200 &&
          s.msg.callId() == "call" + std::to_string(n))
        code = s.msg.statusCode();
    }
    return code;
  }
  const test::Sent* lastTo(transport::ListenerId l, std::string_view method) const {
    for (size_t i = transport.sent.size(); i-- > 0;) {
      const test::Sent& s = transport.sent[i];
      if (s.to.listener == l && s.msg.isRequest() && s.msg.method() == method) return &s;
    }
    return nullptr;
  }
  std::string answerB(const test::Sent& req, int code) {
    const sip::Message& m = req.msg;
    return "SIP/2.0 " + std::to_string(code) +
           " X\r\nVia: " + std::string(m.header(sip::HeaderId::kVia)) +
           "\r\nFrom: " + std::string(m.header(sip::HeaderId::kFrom)) +
           "\r\nTo: " + std::string(m.header(sip::HeaderId::kTo)) +
           ";tag=b\r\nCall-ID: " + std::string(m.callId()) +
           "\r\nCSeq: " + std::string(m.header(sip::HeaderId::kCSeq)) +
           "\r\nContact: <sip:b@127.0.0.3:5080>\r\nContent-Length: 0\r\n\r\n";
  }

  timer::TimePoint now = timer::Clock::now();
  timer::TimerWheel wheel{[this] { return now; }};
  test::FakeTransport transport{{test::udpListener(0, "127.0.0.1", 5060, "access"),
                                 test::udpListener(1, "127.0.0.2", 5060, "core")}};
  config::Config config;
  std::unique_ptr<CallAdmission> caps;
  std::unique_ptr<b2bua::B2bua> b2bua;
  std::unique_ptr<transaction::TransactionLayer> txn;
};

TEST_F(B2buaOverloadTest, OverTheRealmCpsANewCallGets503WithRetryAfter) {
  deliver(invite("200", 1), 0, "192.0.2.10", 5060);
  deliver(invite("201", 2), 0, "192.0.2.10", 5060);
  deliver(invite("202", 3), 0, "192.0.2.10", 5060);
  EXPECT_EQ(finalFor(1), 0);  // both went on to the core
  EXPECT_EQ(finalFor(2), 0);
  ASSERT_EQ(finalFor(3), 503);
  const test::Sent* refused = nullptr;
  for (const test::Sent& s : transport.sent) {
    if (s.msg.isResponse() && s.msg.callId() == "call3") refused = &s;
  }
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg.header(sip::HeaderId::kRetryAfter), "7");
  EXPECT_EQ(refused->msg.reasonPhrase(), "Call Rate Limit Reached");
  EXPECT_EQ(b2bua->activeCalls(), 2u);
  EXPECT_EQ(caps->refusedByRealm().at("access")[size_t(Refusal::kRealmCps)], 1u);
  // A second later the rate is back.
  now += 1s;
  wheel.advance(now);
  deliver(invite("203", 4), 0, "192.0.2.10", 5060);
  EXPECT_EQ(finalFor(4), 0);
  EXPECT_EQ(b2bua->activeCalls(), 3u);
}

// Established calls are not shed: with the rate spent, the callee's 200 and the caller's
// in-dialog requests still cross.
TEST_F(B2buaOverloadTest, InDialogRequestsPassWhileNewCallsAreRefused) {
  deliver(invite("200", 1), 0, "192.0.2.10", 5060);
  ASSERT_NE(lastTo(1, "INVITE"), nullptr);
  const test::Sent inv = *lastTo(1, "INVITE");  // a copy: `sent` grows
  deliver(answerB(inv, 200), 1, "127.0.0.3", 5080);
  ASSERT_EQ(finalFor(1), 200);
  deliver(invite("201", 2), 0, "192.0.2.10", 5060);
  deliver(invite("202", 3), 0, "192.0.2.10", 5060);
  ASSERT_EQ(finalFor(3), 503);  // the rate is spent
  const test::Sent* ok = nullptr;
  for (const test::Sent& s : transport.sent) {
    if (s.msg.isResponse() && s.msg.callId() == "call1" && s.msg.statusCode() == 200) ok = &s;
  }
  ASSERT_NE(ok, nullptr);
  std::string aTag(ok->msg.to().value.tag());
  deliver(
      "BYE sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye"
      "\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=a1\r\nTo: <sip:200@127.0.0.1>;tag=" +
          aTag + "\r\nCall-ID: call1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
      0, "192.0.2.10", 5060);
  const test::Sent* bye = lastTo(1, "BYE");
  ASSERT_NE(bye, nullptr);  // relayed to the callee
  EXPECT_EQ(bye->msg.callId(), inv.msg.callId());
}

TEST_F(B2buaOverloadTest, ATrunkAtItsCallLimitRefusesUntilACallEnds) {
  deliver(invite("+15550001", 1), 0, "192.0.2.10", 5060);
  ASSERT_NE(lastTo(1, "INVITE"), nullptr);
  const test::Sent inv = *lastTo(1, "INVITE");  // a copy: `sent` grows
  now += 1s;                                    // rate aside
  wheel.advance(now);
  deliver(invite("+15550002", 2), 0, "192.0.2.10", 5060);
  ASSERT_EQ(finalFor(2), 503);
  EXPECT_EQ(caps->trunks()[0].active, 1u);
  deliver(invite("300", 3), 0, "192.0.2.10", 5060);  // another route is not capped
  EXPECT_EQ(finalFor(3), 0);
  // The first call fails at the callee: its slot comes back.
  deliver(answerB(inv, 486), 1, "127.0.0.3", 5080);
  EXPECT_EQ(finalFor(1), 486);
  EXPECT_EQ(caps->trunks()[0].active, 0u);
  now += 1s;
  wheel.advance(now);
  deliver(invite("+15550004", 4), 0, "192.0.2.10", 5060);
  EXPECT_EQ(finalFor(4), 0);
  EXPECT_EQ(caps->trunks()[0].active, 1u);
}

// ---- sbcd's loop-lag probe and the admission families for /metrics

TEST(LoopLagProbe, MeasuresAStalledSignalingThreadAndFeedsTheCaps) {
  boost::asio::io_context io;
  CallCaps c;
  c.shedLoopLag = 50ms;
  CallAdmission caps(c);
  sbcd::LoopLagProbe probe(io, &caps);
  probe.start();
  // A handler that holds the thread for 150 ms: what a stalled signaling thread looks like.
  boost::asio::steady_timer stall(io), end(io);
  stall.expires_after(60ms);
  stall.async_wait([](const boost::system::error_code&) { std::this_thread::sleep_for(150ms); });
  std::chrono::microseconds seenByCaps{0};
  end.expires_after(300ms);
  end.async_wait([&](const boost::system::error_code&) {
    seenByCaps = caps.loopLag();
    probe.stop();
  });
  io.run();  // returns once the probe is stopped: no work is left
  EXPECT_GE(probe.recentMax(), 100ms);
  EXPECT_GE(seenByCaps, 100ms);  // what the call caps shed by
  int slot = 0;
  EXPECT_EQ(caps.admit("access", "r", {}, slot), Refusal::kLoopLag);
  EXPECT_GE(probe.histogram().count, 5u);
  const sbcd::Histogram& h = probe.histogram();
  uint64_t above100ms = 0;  // counts[i] holds (bounds[i-1], bounds[i]]; the last, above all
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (i > 0 && h.bounds[i - 1] >= 0.1) above100ms += h.counts[i];
  }
  EXPECT_GE(above100ms, 1u);
}

TEST(OverloadMetrics, FamiliesWithTheirLabels) {
  timer::TimePoint now{};
  timer::TimerWheel wheel{[&] { return now; }};
  Recorder next;
  GateSettings s;
  s.sources = limits(1, 1000ms, 5000ms);
  SourceGate gate(wheel, s, {test::udpListener(0, "127.0.0.1", 5060, "access")}, next);
  for (int i = 0; i < 3; ++i) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(request("OPTIONS", "sip:127.0.0.1", "", "", i),
                                  sip::Framing::kDatagram, {}, m)
                    .ok());
    gate.onMessage(std::move(m),
                   transport::Source{{transport::Protocol::kUdp, ip("192.0.2.9"), 5060}, 0, 0});
  }
  CallCaps c;
  c.realmNames = {"access", "core"};
  c.trunks = {{"carrier", 5}};
  c.cps = 1;
  CallAdmission caps(c);
  int slot = 0;
  caps.admit("core", "carrier", now, slot);
  caps.admit("core", "carrier", now, slot);  // over the global cps
  metrics::Snapshot snap;
  sbcd::sampleOverload({&gate, &caps, nullptr}, snap);
  const metrics::Family* dropped = snap.find("sbc_admission_dropped_total");
  ASSERT_NE(dropped, nullptr);
  ASSERT_EQ(dropped->samples.size(), kDropReasons);
  EXPECT_EQ(dropped->samples[0].labels, (metrics::Labels{{"reason", "source_blocked"}}));
  EXPECT_EQ(dropped->samples[0].value, 2);
  const metrics::Family* blocked = snap.find("sbc_admission_sources_blocked");
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->samples[0].value, 1);
  const metrics::Family* refused = snap.find("sbc_calls_refused_overload_total");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->samples.size(), 2 * kRefusals);  // every realm and reason from the start
  double globalCore = 0;
  for (const metrics::Sample& x : refused->samples) {
    if (x.labels == metrics::Labels{{"realm", "core"}, {"reason", "global_cps"}})
      globalCore = x.value;
  }
  EXPECT_EQ(globalCore, 1);
  const metrics::Family* active = snap.find("sbc_trunk_calls_active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->samples[0].value, 1);
  EXPECT_EQ(snap.find("sbc_signaling_loop_lag_seconds"), nullptr);  // no probe, no family
}

}  // namespace
}  // namespace sbc::admission
