#include <gtest/gtest.h>

#include <string>

#include "signaling/sip/parser.h"

namespace sbc::sip {
namespace {

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP "
    "192.0.2.3;branch=z9hG4bK3\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "User-Agent: Softphone 1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

Message parseOk(std::string_view bytes, Framing framing = Framing::kDatagram, Limits limits = {}) {
  Message m;
  Status st = parseMessage(bytes, framing, limits, m);
  EXPECT_TRUE(st.ok()) << st.code() << " " << st.reason();
  return m;
}

Status parseStatus(std::string_view bytes, Framing framing = Framing::kDatagram,
                   Limits limits = {}) {
  Message m;
  return parseMessage(bytes, framing, limits, m);
}

TEST(SipMessage, RequestLineAndTypedAccessors) {
  Message m = parseOk(kInvite);
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_EQ(m.methodId(), Method::kInvite);
  EXPECT_EQ(m.requestUri(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(m.version(), "SIP/2.0");
  EXPECT_EQ(m.callId(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq().value.number, 314159u);
  EXPECT_EQ(m.cseq().value.method, "INVITE");
  EXPECT_EQ(m.from().value.tag(), "1928301774");
  EXPECT_FALSE(m.to().value.hasTag());
  EXPECT_EQ(m.topVia().value.branch, "z9hG4bK776asdhds");
  EXPECT_EQ(m.topVia().value.sentBy, "pc33.atlanta.example.com:5060");
  EXPECT_EQ(m.maxForwards().value, 70u);
  EXPECT_EQ(m.contentLength().value, 4u);
  EXPECT_TRUE(m.contentType().value.matches("application", "sdp"));
  EXPECT_EQ(m.body(), "v=0\n");
  EXPECT_EQ(m.requestUriParsed().value.user, "bob");
  EXPECT_EQ(m.header("user-agent"), "Softphone 1.0");
  EXPECT_EQ(m.header(HeaderId::kServer), "");
  EXPECT_FALSE(m.first(HeaderId::kRoute));
}

TEST(SipMessage, ViaValuesAcrossLinesAndCommas) {
  Message m = parseOk(kInvite);
  EXPECT_EQ(m.count(HeaderId::kVia), 2u);
  std::vector<std::string> branches;
  ASSERT_EQ(m.forEachValue(HeaderId::kVia,
                           [&](std::string_view item) -> const char* {
                             Via v;
                             if (const char* e = parseVia(item, v)) return e;
                             branches.emplace_back(v.branch);
                             return nullptr;
                           }),
            nullptr);
  EXPECT_EQ(branches, (std::vector<std::string>{"z9hG4bK776asdhds", "z9hG4bKnashds8", "z9hG4bK3"}));
}

TEST(SipMessage, StatusLine) {
  Message m = parseOk(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>;tag=x\r\n"
      "From: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(m.isResponse());
  EXPECT_EQ(m.statusCode(), 180);
  EXPECT_EQ(m.reasonPhrase(), "Ringing");
  EXPECT_EQ(m.to().value.tag(), "x");
  Message empty = parseOk("SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(empty.reasonPhrase(), "");
  Message utf8 = parseOk("SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe\r\n\r\n");
  EXPECT_EQ(utf8.reasonPhrase(), "= 2**3 * 5**2 \xd0\xbd\xd0\xbe");
}

TEST(SipMessage, FoldingCompactFormsAndOddWhitespace) {
  Message m = parseOk(
      "OPTIONS sip:u@h SIP/2.0\r\n"
      "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8\r\n"
      "TO :\r\n sip:vivekg@example.com ;   tag    = 1918181833n\r\n"
      "f: <sip:a@h>;tag=1\r\n"
      "i: abc@def\r\n"
      "cseq: 0009\r\n  OPTIONS\r\n"
      "MaX-fOrWaRdS: 0068\r\n"
      "s :\r\n"
      "NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
      "l: 0\r\n\r\n");
  EXPECT_EQ(m.topVia().value.branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.to().value.tag(), "1918181833n");
  EXPECT_EQ(m.callId(), "abc@def");
  EXPECT_EQ(m.cseq().value.number, 9u);
  EXPECT_EQ(m.maxForwards().value, 68u);
  EXPECT_EQ(m.header(HeaderId::kSubject), "");
  EXPECT_TRUE(m.first(HeaderId::kSubject));
  EXPECT_EQ(m.header("newfangledheader"), "newfangled value\r\n continued newfangled value");
  EXPECT_EQ(m.contentLength().value, 0u);
}

TEST(SipMessage, BareLfLineEndsAreTolerated) {
  Message m = parseOk(
      "BYE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: x\nContent-Length: "
      "2\n\nab");
  EXPECT_EQ(m.callId(), "x");
  EXPECT_EQ(m.body(), "ab");
  EXPECT_EQ(m.serialize(),
            "BYE sip:u@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: x\nContent-Length: "
            "2\n\nab");
}

TEST(SipMessage, LeadingCrlfsAreSkipped) {
  Message m = parseOk("\r\n\r\nOPTIONS sip:h SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(m.method(), "OPTIONS");
  EXPECT_EQ(m.serialize(), "OPTIONS sip:h SIP/2.0\r\nContent-Length: 0\r\n\r\n");
}

TEST(SipMessage, DatagramFraming) {
  const std::string head = "MESSAGE sip:u@h SIP/2.0\r\nContent-Type: text/plain\r\n";
  // No Content-Length: the body runs to the end of the datagram (RFC 3261 §18.3).
  EXPECT_EQ(parseOk(head + "\r\nhello").body(), "hello");
  // Extra bytes after Content-Length are not part of the message (RFC 4475 dblreq).
  Message m = parseOk(head + "Content-Length: 2\r\n\r\nhello");
  EXPECT_EQ(m.body(), "he");
  EXPECT_EQ(m.raw(), head + "Content-Length: 2\r\n\r\nhe");
  // Body shorter than Content-Length.
  Status st = parseStatus(head + "Content-Length: 9999\r\n\r\nhello");
  EXPECT_EQ(st.code(), 400);
  EXPECT_EQ(st.reason(), "Content-Length 9999 exceeds the 5 body bytes received");
  EXPECT_EQ(parseStatus(head + "Content-Length: -1\r\n\r\n").reason(),
            "invalid Content-Length '-1'");
  EXPECT_EQ(parseStatus(head + "Content-Length: 1\r\nl: 2\r\n\r\nhello").reason(),
            "conflicting Content-Length values 1 and 2");
  // The same value twice frames fine (the validator flags the duplicate).
  EXPECT_EQ(parseOk(head + "Content-Length: 1\r\nl: 1\r\n\r\nhello").body(), "h");
}

TEST(SipMessage, StreamFramingNeedsContentLength) {
  const std::string head = "MESSAGE sip:u@h SIP/2.0\r\n";
  EXPECT_EQ(parseStatus(head + "\r\n", Framing::kStream).reason(),
            "missing Content-Length on a stream transport");
  EXPECT_EQ(parseOk(head + "Content-Length: 3\r\n\r\nabc", Framing::kStream).body(), "abc");
  EXPECT_EQ(parseStatus(head + "Content-Length: 2\r\n\r\nabc", Framing::kStream).reason(),
            "Content-Length does not match the framed body");
}

TEST(SipMessage, StartLineErrors) {
  struct Case {
    const char* text;
    int code;
    const char* reason;
  };
  const Case cases[] = {
      {"", 400, "empty message"},
      {"\r\n\r\n", 400, "empty message"},
      {"INVITE sip:a@b SIP/2.0", 400, "start line not terminated by CRLF"},
      {"INVITE  sip:a@b SIP/2.0\r\n\r\n", 400, "extra whitespace in Request-Line"},
      {"INVITE sip:a@b SIP/2.0 \r\n\r\n", 400,
       "whitespace inside the Request-URI or after the SIP-Version"},
      {"INVITE sip:a@b; lr SIP/2.0\r\n\r\n", 400,
       "whitespace inside the Request-URI or after the SIP-Version"},
      {"INVITE <sip:a@b> SIP/2.0\r\n\r\n", 400, "Request-URI must not be enclosed in <>"},
      {"INVITE sip:a@b\r\n\r\n", 400, "Request-Line without SIP-Version"},
      {"INVITE sip:a@b HTTP/1.1\r\n\r\n", 400, "malformed SIP-Version 'HTTP/1.1'"},
      {"IN(VITE sip:a@b SIP/2.0\r\n\r\n", 400,
       "malformed Request-Line: method is not a token followed by one space"},
      {"SIP/2.0 4294967301 Huge\r\n\r\n", 400, "Status-Code is not three digits"},
      {"SIP/2.0 20 OK\r\n\r\n", 400, "Status-Code is not three digits"},
      {"SIP/2.0 099 Low\r\n\r\n", 400, "Status-Code outside 100-699"},
      {"SIP/2.0 700 High\r\n\r\n", 400, "Status-Code outside 100-699"},
      {"SIP/2.0x 200 OK\r\n\r\n", 400, "malformed Status-Line"},
      {"SIP/2.0 200 O\x01K\r\n\r\n", 400, "control character in Reason-Phrase"},
  };
  for (const Case& c : cases) {
    Status st = parseStatus(c.text);
    EXPECT_EQ(st.code(), c.code) << c.text;
    EXPECT_EQ(st.reason(), c.reason) << c.text;
  }
}

TEST(SipMessage, HeaderSectionErrors) {
  EXPECT_EQ(parseStatus("OPTIONS sip:h SIP/2.0\r\n folded: start\r\n\r\n").reason(),
            "line folding before the first header field");
  EXPECT_EQ(parseStatus("OPTIONS sip:h SIP/2.0\r\nFoobar roobar\r\n\r\n").reason(),
            "malformed header line 'Foobar roobar'");
  EXPECT_EQ(parseStatus("OPTIONS sip:h SIP/2.0\r\n: novalue\r\n\r\n").reason(),
            "malformed header line ': novalue'");
  EXPECT_EQ(parseStatus("OPTIONS sip:h SIP/2.0\r\nTo: sip:a@b\r\n").reason(),
            "header section not terminated by an empty line");
  EXPECT_EQ(parseStatus("OPTIONS sip:h SIP/2.0\r\nTo: sip:a@b").reason(),
            "header section not terminated by an empty line");
}

TEST(SipMessage, Limits) {
  Limits small;
  small.maxMessageBytes = 100;
  small.maxHeaders = 3;
  small.maxBodyBytes = 10;
  std::string big = "OPTIONS sip:h SIP/2.0\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  Status st = parseStatus(big, Framing::kDatagram, small);
  EXPECT_EQ(st.code(), 513);
  EXPECT_EQ(st.reason(), "message of 230 bytes exceeds the limit of 100");
  st = parseStatus("OPTIONS sip:h SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                   Framing::kDatagram, small);
  EXPECT_EQ(st.code(), 513);
  EXPECT_EQ(st.reason(), "more than 3 header fields");
  st = parseStatus("MESSAGE sip:h SIP/2.0\r\nl: 11\r\n\r\n01234567890", Framing::kDatagram, small);
  EXPECT_EQ(st.code(), 413);
  EXPECT_EQ(st.reason(), "body of 11 bytes exceeds the limit of 10");
}

TEST(SipMessage, UntouchedMessageSerializesByteForByte) {
  Message m = parseOk(kInvite);
  EXPECT_EQ(m.serialize(), kInvite);
  std::string out = "prefix:";
  m.serializeTo(out);
  EXPECT_EQ(out, "prefix:" + kInvite);
}

TEST(SipMessage, EditsReencodeOnlyWhatChanged) {
  Message m = parseOk(kInvite);
  m.setRequestUri("sip:bob@192.0.2.4:5080");
  m.setHeader(HeaderId::kMaxForwards, "69");
  m.removeHeader(HeaderId::kUserAgent);
  m.addHeader(HeaderId::kVia, "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKsbc1",
              Message::Where::kTop);
  m.addHeader("X-Trace", "abc");
  m.setHeader(HeaderId::kCallId, "new-call-id");
  std::string expected =
      "INVITE sip:bob@192.0.2.4:5080 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKsbc1\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
      "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP "
      "192.0.2.3;branch=z9hG4bK3\r\n"
      "Max-Forwards: 69\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: new-call-id\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: 4\r\n"
      "X-Trace: abc\r\n"
      "\r\n"
      "v=0\n";
  EXPECT_EQ(m.serialize(), expected);
  // Typed accessors see the edits.
  EXPECT_EQ(m.topVia().value.branch, "z9hG4bKsbc1");
  EXPECT_EQ(m.count(HeaderId::kVia), 3u);
  EXPECT_EQ(m.callId(), "new-call-id");
  EXPECT_EQ(m.maxForwards().value, 69u);
  EXPECT_EQ(m.header(HeaderId::kUserAgent), "");
  EXPECT_EQ(m.requestUriParsed().value.port, 5080);
  // And the result parses back to the same thing.
  Message again = parseOk(m.serialize());
  EXPECT_EQ(again.serialize(), expected);
}

TEST(SipMessage, SetBodyKeepsContentLengthInStep) {
  Message m = parseOk(kInvite);
  m.setBody("v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\n");
  EXPECT_EQ(m.contentLength().value, 33u);
  EXPECT_EQ(m.body(), "v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\n");
  Message again = parseOk(m.serialize());
  EXPECT_EQ(again.body(), m.body());
  m.setBody("");
  EXPECT_EQ(m.contentLength().value, 0u);
  EXPECT_FALSE(m.first(HeaderId::kContentType));
  m.setBody("hello", "text/plain");
  EXPECT_EQ(m.header(HeaderId::kContentType), "text/plain");
}

TEST(SipMessage, EditsOnUnknownHeadersAndFolded) {
  Message m = parseOk(
      "OPTIONS sip:h SIP/2.0\r\nX-A: 1\r\nx-a: 2\r\nFolded: a\r\n b\r\nContent-Length: 0\r\n\r\n");
  m.setHeader("X-A", "3");
  m.setHeader("folded", "c");
  EXPECT_EQ(m.serialize(),
            "OPTIONS sip:h SIP/2.0\r\nX-A: 3\r\nFolded: c\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(m.removeHeader("x-a"), 1u);
  m.addHeader("X-B", "top", Message::Where::kTop);
  EXPECT_EQ(m.serialize(),
            "OPTIONS sip:h SIP/2.0\r\nX-B: top\r\nFolded: c\r\nContent-Length: 0\r\n\r\n");
}

TEST(SipMessage, BuildersMakeParseableMessages) {
  Message r = Message::request("BYE", "sip:bob@192.0.2.4");
  r.addHeader(HeaderId::kVia, "SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKx");
  r.addHeader(HeaderId::kCallId, "id1");
  r.setBody("");
  EXPECT_EQ(r.serialize(),
            "BYE sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKx\r\n"
            "Call-ID: id1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.methodId(), Method::kBye);
  Message s = Message::response(486, "Busy Here");
  s.setBody("");
  EXPECT_EQ(s.serialize(), "SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n");
  Message p = parseOk(s.serialize());
  EXPECT_EQ(p.statusCode(), 486);
  s.setStatus(480, "Temporarily Unavailable");
  EXPECT_EQ(s.serialize(), "SIP/2.0 480 Temporarily Unavailable\r\nContent-Length: 0\r\n\r\n");
}

TEST(SipMessage, MovedMessageKeepsItsViews) {
  // Short messages live in std::string's inline buffer; offsets survive a move.
  Message a = parseOk("ACK sip:h SIP/2.0\r\ni: x\r\n\r\n");
  Message b = std::move(a);
  EXPECT_EQ(b.callId(), "x");
  EXPECT_EQ(b.method(), "ACK");
}

TEST(SipMessage, ParserReusesTheMessage) {
  Message m;
  ASSERT_TRUE(parseMessage(kInvite, Framing::kDatagram, {}, m).ok());
  ASSERT_TRUE(parseMessage("SIP/2.0 200 OK\r\ni: other\r\n\r\n", Framing::kDatagram, {}, m).ok());
  EXPECT_TRUE(m.isResponse());
  EXPECT_EQ(m.callId(), "other");
  EXPECT_EQ(m.count(HeaderId::kVia), 0u);
  EXPECT_EQ(m.fields().size(), 1u);
}

TEST(SipMessage, MethodNames) {
  EXPECT_EQ(methodFromName("PRACK"), Method::kPrack);
  EXPECT_EQ(methodFromName("invite"), Method::kUnknown);  // methods are case-sensitive
  EXPECT_EQ(methodName(Method::kUpdate), "UPDATE");
}

}  // namespace
}  // namespace sbc::sip
