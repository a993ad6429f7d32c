#include <gtest/gtest.h>

#include <string>

#include "signaling/sip/validator.h"

namespace sbc::sip {
namespace {

// A valid INVITE whose lines the cases below replace one at a time.
std::string invite(std::string_view extra = "", std::string_view replaceFrom = "",
                   std::string_view with = "") {
  std::string m =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK77\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=1\r\n"
      "Call-ID: abc@192.0.2.1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Contact: <sip:alice@192.0.2.1>\r\n";
  m += extra;
  m += "Content-Length: 0\r\n\r\n";
  if (!replaceFrom.empty()) {
    size_t at = m.find(replaceFrom);
    EXPECT_NE(at, std::string::npos) << replaceFrom;
    m.replace(at, replaceFrom.size(), with);
  }
  return m;
}

Verdict verdict(std::string_view bytes, ValidationPolicy policy = {}) {
  Message m;
  return check(bytes, Framing::kDatagram, {}, policy, m);
}

void expectReject(std::string_view bytes, int status, std::string_view reason) {
  Verdict v = verdict(bytes);
  EXPECT_EQ(v.action, Verdict::Action::kReject) << bytes;
  EXPECT_EQ(v.status, status) << bytes;
  EXPECT_EQ(v.reason, reason) << bytes;
}

TEST(Validator, AcceptsAWellFormedInvite) {
  Verdict v = verdict(invite());
  EXPECT_TRUE(v.accepted()) << v.reason;
}

TEST(Validator, RequestRejections) {
  expectReject(invite("", "SIP/2.0\r\nVia", "SIP/3.0\r\nVia"), 505,
               "SIP version SIP/3.0 not supported");
  expectReject(invite("", "To: <sip:bob@example.com>\r\n", ""), 400,
               "missing mandatory header(s): To");
  expectReject(invite("To: <sip:x@example.com>\r\n"), 400, "more than one To header");
  expectReject(invite("", "Call-ID: abc@192.0.2.1", "Call-ID: a b"), 400, "invalid Call-ID header");
  expectReject(invite("", "CSeq: 1 INVITE", "CSeq: 1 BYE"), 400,
               "CSeq method does not match the request method");
  expectReject(invite("", "CSeq: 1 INVITE", "CSeq: 99999999999 INVITE"), 400,
               "invalid CSeq header: CSeq number out of range");
  expectReject(invite("", "Max-Forwards: 70", "Max-Forwards: 256"), 400,
               "invalid Max-Forwards header: number out of range");
  expectReject(invite("", "Max-Forwards: 70", "Max-Forwards: 0"), 483, "Max-Forwards is 0");
  expectReject(invite("", "branch=z9hG4bK77", "branch=z9hG4bK"), 400,
               "Via branch is only the magic cookie z9hG4bK");
  expectReject(invite("", "192.0.2.1;branch", "192.0.2.1;;branch"), 400,
               "invalid Via header: empty parameter");
  expectReject(invite("", "<sip:alice@192.0.2.1>", "sip:alice@192.0.2.1?Route=x"), 400,
               "invalid Contact header: a URI with headers must be enclosed in <>");
  expectReject(invite("Route: sip:proxy.example.com;lr\r\n"), 400,
               "invalid Route header: URI must be enclosed in <>");
  expectReject(invite("", "sip:bob@example.com SIP", "mailto:bob@example.com SIP"), 416,
               "unsupported URI scheme 'mailto'");
  expectReject(invite("", "sip:bob@example.com SIP", "sip:bob@example.com?Subject=x SIP"), 400,
               "Request-URI must not contain headers");
  expectReject(invite("", "sip:bob@example.com SIP", "sip:bob@exa_mple.com SIP"), 400,
               "invalid Request-URI: invalid host in URI");
  expectReject(invite("Date: Fri, 01 Jan 2010 16:00:00 EST\r\n"), 400,
               "invalid Date header (RFC 1123 form in GMT required)");
  expectReject(invite("Accept: text/plain\r\n"), 406, "Accept does not allow application/sdp");
}

TEST(Validator, AcceptVariants) {
  EXPECT_TRUE(verdict(invite("Accept: application/*\r\n")).accepted());
  EXPECT_TRUE(verdict(invite("Accept: text/plain, application/sdp;level=1\r\n")).accepted());
  EXPECT_TRUE(verdict(invite("Accept: */*\r\n")).accepted());
}

TEST(Validator, RequireAndUnsupportedExtensions) {
  Verdict v = verdict(invite("Require: 100rel, foo, bar\r\n"));
  EXPECT_EQ(v.status, 420);
  EXPECT_EQ(v.unsupported, (std::vector<std::string>{"foo", "bar"}));
  EXPECT_TRUE(verdict(invite("Require: 100rel\r\nProxy-Require: anything\r\n")).accepted());
  ValidationPolicy strict;
  strict.supportedOptions.clear();
  EXPECT_EQ(verdict(invite("Require: 100rel\r\n"), strict).status, 420);
  // ACK never gets a 420 (RFC 3261 §8.2.2.3).
  std::string ack = invite("Require: foo\r\n", "INVITE sip", "ACK sip");
  ack.replace(ack.find("1 INVITE"), 8, "1 ACK");
  EXPECT_TRUE(verdict(ack).accepted()) << verdict(ack).reason;
}

// RFC 3261 §25.1 writes Accept, Accept-Encoding, Accept-Language, Allow and Supported as
// `HCOLON [ element *(COMMA element) ]`: an empty value is an empty list, which real UAs
// send (baresip's INVITE has "Supported:"). Lists without the brackets stay strict.
TEST(Validator, EmptyListsWhereTheGrammarAllowsThem) {
  for (std::string_view h : {"Supported:", "k:", "Allow:", "Accept-Encoding:", "Accept-Language:",
                             "Supported:   ", "Supported:\r\n "}) {
    std::string m = invite(std::string(h) + "\r\n");
    Verdict v = verdict(m);
    EXPECT_TRUE(v.accepted()) << h << ": " << v.reason;
  }
  // An empty line next to a full one: the list is the full one's elements.
  Message m;
  ASSERT_TRUE(
      check(invite("Supported:\r\nSupported: 100rel, timer\r\n"), Framing::kDatagram, {}, {}, m)
          .accepted());
  std::vector<std::string> tags;
  EXPECT_EQ(m.forEachValue(HeaderId::kSupported,
                           [&](std::string_view t) -> const char* {
                             tags.emplace_back(t);
                             return nullptr;
                           }),
            nullptr);
  EXPECT_EQ(tags, (std::vector<std::string>{"100rel", "timer"}));
  // An empty Accept is an empty list too, and so acceptable grammar, but it means "no
  // formats" (§20.1): an INVITE whose answer cannot be SDP is a 406, not a 400.
  expectReject(invite("Accept:\r\n"), 406, "Accept does not allow application/sdp");
  std::string options = invite("Accept:\r\n", "INVITE sip", "OPTIONS sip");
  options.replace(options.find("1 INVITE"), 8, "1 OPTIONS");
  EXPECT_TRUE(verdict(options).accepted()) << verdict(options).reason;
}

TEST(Validator, EmptyListsStayErrorsWhereTheGrammarNeedsAnElement) {
  // Strict where the grammar is strict: an empty element inside a list, and an empty value
  // of a list that needs one element (Require, Proxy-Require, Unsupported, Via, ...).
  expectReject(invite("Supported: 100rel,,timer\r\n"), 400,
               "invalid Supported header: empty element in list");
  expectReject(invite("Supported: 100rel,\r\n"), 400,
               "invalid Supported header: empty element in list");
  expectReject(invite("Allow: ,INVITE\r\n"), 400, "invalid Allow header: empty element in list");
  expectReject(invite("Require:\r\n"), 400, "invalid Require header: empty element in list");
  expectReject(invite("Proxy-Require:\r\n"), 400,
               "invalid Proxy-Require header: empty element in list");
  expectReject(invite("Accept: application/sdp,\r\n"), 400,
               "invalid Accept header: empty element in list");
  expectReject(invite("Allow: INVITE, B@YE\r\n"), 400,
               "invalid Allow header: element is not a token");
  expectReject(invite("Accept-Language: en gb\r\n"), 400,
               "invalid Accept-Language header: element is not a token");
  EXPECT_TRUE(verdict(invite("Allow: INVITE,ACK , BYE\r\nAccept-Language: da, en-gb;q=0.8\r\n"
                             "Accept-Encoding: gzip;q=1.0, identity; q=0.5, *;q=0\r\n"))
                  .accepted());
  std::string ok = invite("Unsupported:\r\n");
  Message m;
  ASSERT_TRUE(check(ok, Framing::kDatagram, {}, {}, m).accepted());
  EXPECT_STREQ(m.forEachValue(HeaderId::kUnsupported, [](std::string_view) { return nullptr; }),
               "empty element in list");
  EXPECT_STREQ(m.forEachValue(HeaderId::kSupported, [](std::string_view) { return nullptr; }),
               nullptr);
}

TEST(Validator, SessionBodyTypes) {
  std::string withBody =
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: "
      "<sip:b@h>\r\n"
      "From: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Type: "
      "application/unknownformat\r\n"
      "Content-Length: 3\r\n\r\nabc";
  expectReject(withBody, 415, "unsupported body type application/unknownformat");
  std::string noType = withBody;
  noType.replace(noType.find("Content-Type: application/unknownformat\r\n"), 42, "");
  expectReject(noType, 400, "body without a Content-Type header");
  std::string message = withBody;
  message.replace(0, 6, "MESSAGE");
  message.replace(message.find("1 INVITE"), 8, "1 MESSAGE");
  EXPECT_TRUE(verdict(message).accepted()) << verdict(message).reason;  // opaque bodies pass
}

TEST(Validator, RegisterNeedsSipAddressOfRecord) {
  std::string reg = invite("", "To: <sip:bob@example.com>", "To: <isbn:2983792873>");
  reg.replace(0, 6, "REGISTER");
  reg.replace(reg.find("1 INVITE"), 8, "1 REGISTER");
  expectReject(reg, 400, "REGISTER To is not a SIP or SIPS URI");
}

TEST(Validator, ResponsesAreDroppedNotAnswered) {
  std::string ok =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=2\r\n"
      "From: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(verdict(ok).accepted());
  std::string noCallId = ok;
  noCallId.replace(noCallId.find("Call-ID: c\r\n"), 12, "");
  Verdict v = verdict(noCallId);
  EXPECT_EQ(v.action, Verdict::Action::kDrop);
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.reason, "missing mandatory header(s): Call-ID");
  std::string bcast = ok;
  bcast.replace(bcast.find("Call-ID"), 0, "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK2\r\n");
  EXPECT_EQ(verdict(bcast).reason, "Via sent-by 255.255.255.255 is not a unicast address");
  EXPECT_EQ(verdict("SIP/2.0 2000 OK\r\n\r\n").action, Verdict::Action::kDrop);
}

TEST(Validator, MaxForwardsZeroIsFineForANonForwardingUas) {
  ValidationPolicy uas;
  uas.forwarding = false;
  EXPECT_TRUE(verdict(invite("", "Max-Forwards: 70", "Max-Forwards: 0"), uas).accepted());
}

TEST(Validator, ParseFailuresBecomeRejections) {
  Verdict v = verdict("INVITE sip:a@b\r\n\r\n");
  EXPECT_EQ(v.action, Verdict::Action::kReject);
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(actionName(v.action), "reject");
}

}  // namespace
}  // namespace sbc::sip
