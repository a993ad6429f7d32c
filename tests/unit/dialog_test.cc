#include <gtest/gtest.h>

#include "signaling/dialog/dialog.h"
#include "signaling/sip/parser.h"

namespace sbc::dialog {
namespace {

sip::Message parse(const std::string& text) {
  sip::Message m;
  EXPECT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
  return m;
}

const std::string kInvite =
    "INVITE sip:bob@198.51.100.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "Record-Route: <sip:p2.example.com;lr>\r\nRecord-Route: <sip:p1.example.com;lr>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=a1;x=y\r\nTo: <sip:bob@example.net>\r\n"
    "Call-ID: c1@192.0.2.1\r\nCSeq: 10 INVITE\r\nContact: "
    "<sip:alice@192.0.2.1:5062>\r\nContent-Length: 0\r\n\r\n";

const LocalAddress kLocal{3, transport::Protocol::kUdp, "203.0.113.5", 5070};

TEST(Dialog, UasSideFromTheRequest) {
  Dialog d = fromRequest(parse(kInvite), "mytag");
  EXPECT_EQ(d.callId, "c1@192.0.2.1");
  EXPECT_EQ(d.localTag, "mytag");
  EXPECT_EQ(d.remoteTag, "a1");
  EXPECT_EQ(d.remoteUri, "\"Alice\" <sip:alice@example.com>;x=y");
  EXPECT_EQ(d.localUri, "<sip:bob@example.net>");
  EXPECT_EQ(d.remoteCseq, 10u);
  EXPECT_EQ(d.remoteTarget, "sip:alice@192.0.2.1:5062");
  // A UAS keeps the Record-Route order (§12.1.1).
  ASSERT_EQ(d.routeSet.size(), 2u);
  EXPECT_EQ(d.routeSet[0], "<sip:p2.example.com;lr>");
  EXPECT_EQ(nextHop(d), "<sip:p2.example.com;lr>");
}

TEST(Dialog, RequestsInsideTheDialogUseLooseRouting) {
  Dialog d = fromRequest(parse(kInvite), "mytag");
  sip::Message bye = makeRequest(d, "BYE", kLocal, "z9hG4bKbye", 70);
  EXPECT_EQ(bye.requestUri(), "sip:alice@192.0.2.1:5062");
  EXPECT_EQ(bye.count(sip::HeaderId::kRoute), 2u);
  EXPECT_EQ(bye.header(sip::HeaderId::kRoute), "<sip:p2.example.com;lr>");
  EXPECT_EQ(bye.from().value.tag(), "mytag");
  EXPECT_EQ(bye.to().value.tag(), "a1");
  EXPECT_EQ(bye.cseq().value.number, 1u);
  EXPECT_EQ(bye.cseq().value.method, "BYE");
  EXPECT_EQ(bye.header(sip::HeaderId::kVia),
            "SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKbye;rport");
  EXPECT_FALSE(bye.first(sip::HeaderId::kContact));  // not a target refresh
  sip::Message reinvite = makeRequest(d, "INVITE", kLocal, "z9hG4bKre", 70);
  EXPECT_EQ(reinvite.cseq().value.number, 2u);
  EXPECT_EQ(reinvite.header(sip::HeaderId::kContact), "<sip:203.0.113.5:5070>");
  sip::Message ack = makeRequest(d, "ACK", kLocal, "z9hG4bKack", 70, 2);
  EXPECT_EQ(ack.cseq().value.number, 2u);  // an ACK reuses the INVITE's number
  EXPECT_EQ(d.localCseq, 2u);
}

TEST(Dialog, UacSideFromTheResponse) {
  Dialog d;
  d.callId = "out1";
  d.localTag = "l1";
  d.localUri = "<sip:alice@203.0.113.5>";
  d.remoteUri = "<sip:bob@198.51.100.1>";
  d.remoteTarget = "sip:bob@198.51.100.1";
  sip::Message ringing = parse(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1\r\nRecord-Route: "
      "<sip:p1;lr>, <sip:p2;lr>\r\n"
      "From: <sip:alice@203.0.113.5>;tag=l1\r\nTo: <sip:bob@198.51.100.1>;tag=r1\r\nCall-ID: "
      "out1\r\n"
      "CSeq: 1 INVITE\r\nContact: <sip:bob@198.51.100.9>\r\nContent-Length: 0\r\n\r\n");
  applyResponse(d, ringing);
  EXPECT_EQ(d.state, Dialog::State::kEarly);
  EXPECT_EQ(d.remoteTag, "r1");
  EXPECT_EQ(d.remoteTarget, "sip:bob@198.51.100.9");
  ASSERT_EQ(d.routeSet.size(), 2u);
  EXPECT_EQ(d.routeSet[0], "<sip:p2;lr>");  // reversed for the UAC (§12.1.2)
  std::string ok = ringing.serialize();
  ok.replace(0, 19, "SIP/2.0 200 OK");
  applyResponse(d, parse(ok));
  EXPECT_EQ(d.state, Dialog::State::kConfirmed);
}

TEST(Dialog, CSeqOrderAndTargetRefresh) {
  Dialog d = fromRequest(parse(kInvite), "mytag");
  std::string older = kInvite;
  older.replace(older.find("CSeq: 10 INVITE"), 15, "CSeq: 9 INVITE");
  EXPECT_FALSE(acceptRequest(d, parse(older)));  // 500 (§12.2.2)
  std::string refresh = kInvite;
  refresh.replace(refresh.find("CSeq: 10 INVITE"), 15, "CSeq: 11 INVITE");
  refresh.replace(refresh.find("192.0.2.1:5062"), 14, "192.0.2.77:5062");
  EXPECT_TRUE(acceptRequest(d, parse(refresh)));
  EXPECT_EQ(d.remoteCseq, 11u);
  EXPECT_EQ(d.remoteTarget, "sip:alice@192.0.2.77:5062");
  std::string ack = refresh;
  ack.replace(0, 6, "ACK");
  ack.replace(ack.find("CSeq: 11 INVITE"), 15, "CSeq: 11 ACK");
  EXPECT_TRUE(acceptRequest(d, parse(ack)));  // ACK does not advance the CSeq space
}

TEST(Dialog, UriOf) {
  EXPECT_EQ(uriOf("\"Bob\" <sip:bob@h;transport=tcp>;expires=60"), "sip:bob@h;transport=tcp");
  EXPECT_EQ(uriOf("sip:bob@h;tag=1"), "sip:bob@h");
}

}  // namespace
}  // namespace sbc::dialog
