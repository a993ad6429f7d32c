#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signaling/sip/address.h"
#include "signaling/sip/fields.h"
#include "signaling/sip/header_id.h"
#include "signaling/sip/via.h"

namespace sbc::sip {
namespace {

TEST(HeaderId, FullAndCompactNamesAnyCase) {
  EXPECT_EQ(lookupHeader("Via"), HeaderId::kVia);
  EXPECT_EQ(lookupHeader("VIA"), HeaderId::kVia);
  EXPECT_EQ(lookupHeader("v"), HeaderId::kVia);
  EXPECT_EQ(lookupHeader("V"), HeaderId::kVia);
  EXPECT_EQ(lookupHeader("call-id"), HeaderId::kCallId);
  EXPECT_EQ(lookupHeader("i"), HeaderId::kCallId);
  EXPECT_EQ(lookupHeader("MaX-fOrWaRdS"), HeaderId::kMaxForwards);
  struct Compact {
    char c;
    HeaderId id;
  };
  for (Compact x : {Compact{'m', HeaderId::kContact},
                    {'f', HeaderId::kFrom},
                    {'t', HeaderId::kTo},
                    {'l', HeaderId::kContentLength},
                    {'c', HeaderId::kContentType},
                    {'k', HeaderId::kSupported},
                    {'s', HeaderId::kSubject},
                    {'e', HeaderId::kContentEncoding},
                    {'o', HeaderId::kEvent},
                    {'r', HeaderId::kReferTo},
                    {'b', HeaderId::kReferredBy},
                    {'u', HeaderId::kAllowEvents},
                    {'x', HeaderId::kSessionExpires}}) {
    EXPECT_EQ(lookupHeader(std::string(1, x.c)), x.id) << x.c;
  }
  EXPECT_EQ(lookupHeader("q"), HeaderId::kUnknown);
  EXPECT_EQ(lookupHeader("C%6Fntact"), HeaderId::kUnknown);  // RFC 4475 esc02: not Contact
  EXPECT_EQ(lookupHeader("X-Custom"), HeaderId::kUnknown);
  EXPECT_EQ(lookupHeader(""), HeaderId::kUnknown);
  EXPECT_EQ(lookupHeader(std::string(200, 'a')), HeaderId::kUnknown);
}

TEST(HeaderId, EveryIdRoundTripsThroughItsName) {
  for (size_t i = 1; i < kHeaderIdCount; ++i) {
    auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(lookupHeader(headerInfo(id).name), id) << headerInfo(id).name;
  }
}

TEST(HeaderId, ListHeadersVersusUnsplittable) {
  EXPECT_TRUE(headerInfo(HeaderId::kVia).list);
  EXPECT_TRUE(headerInfo(HeaderId::kContact).list);
  EXPECT_TRUE(headerInfo(HeaderId::kRoute).list);
  EXPECT_FALSE(headerInfo(HeaderId::kWwwAuthenticate).list);
  EXPECT_FALSE(headerInfo(HeaderId::kAuthorization).list);
  EXPECT_FALSE(headerInfo(HeaderId::kDate).list);
  EXPECT_TRUE(headerInfo(HeaderId::kCallId).single);
  EXPECT_FALSE(headerInfo(HeaderId::kVia).single);
}

std::vector<std::string> split(std::string_view value, const char** err = nullptr) {
  std::vector<std::string> items;
  const char* e = forEachListItem(value, [&](std::string_view item) -> const char* {
    items.emplace_back(item);
    return nullptr;
  });
  if (err) *err = e;
  return items;
}

TEST(ListSplitting, CommasOutsideQuotesAndBrackets) {
  EXPECT_EQ(split("a, b ,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split("\"Doe, John\" <sip:j@x>;q=1, <sip:a,b@y>"),
            (std::vector<std::string>{"\"Doe, John\" <sip:j@x>;q=1", "<sip:a,b@y>"}));
  EXPECT_EQ(split("\"a \\\", b\" <sip:x>"), (std::vector<std::string>{"\"a \\\", b\" <sip:x>"}));
  EXPECT_EQ(split("application/sdp,\r\n multipart/mixed"),
            (std::vector<std::string>{"application/sdp", "multipart/mixed"}));
  const char* err = nullptr;
  split("a,,b", &err);
  EXPECT_STREQ(err, "empty element in list");
  split("a,", &err);
  EXPECT_STREQ(err, "empty element in list");
  split("\"open", &err);
  EXPECT_STREQ(err, "unterminated quoted string");
}

TEST(Params, HeaderParamsWithLwsQuotedAndHostValues) {
  std::string_view text = " ;  tag = 98asjd8 ;received=[2001:db8::1];x=\"quoted;value\";flag";
  ParamList list;
  std::string_view rest = text;
  ASSERT_EQ(readParams(rest, ParamSyntax::kHeader, list), nullptr);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(list.get("TAG"), "98asjd8");
  EXPECT_EQ(list.get("received"), "[2001:db8::1]");
  EXPECT_EQ(list.get("x"), "\"quoted;value\"");
  EXPECT_EQ(list.get("flag"), "");
  EXPECT_FALSE(list.has("missing"));
  int n = 0;
  list.forEach([&](const Param&) { ++n; });
  EXPECT_EQ(n, 4);
}

TEST(Params, Rejects) {
  for (std::string_view bad : {";", ";;", "; =x", ";a=", ";a=\"open", ";a=b c=d;"}) {
    ParamList list;
    std::string_view rest = bad;
    const char* err = readParams(rest, ParamSyntax::kHeader, list);
    // "b c=d" stops at the space (the caller then sees trailing text), the others fail.
    if (bad == ";a=b c=d;") {
      EXPECT_EQ(err, nullptr);
      EXPECT_EQ(rest, " c=d;");
    } else {
      EXPECT_NE(err, nullptr) << bad;
    }
  }
}

NameAddr address(std::string_view v, AddressForm form = AddressForm::kNameAddrOrSpec) {
  NameAddr a;
  const char* err = parseNameAddr(v, form, a);
  EXPECT_EQ(err, nullptr) << v << ": " << (err ? err : "");
  return a;
}

const char* addressError(std::string_view v, AddressForm form = AddressForm::kNameAddrOrSpec) {
  NameAddr a;
  return parseNameAddr(v, form, a);
}

TEST(NameAddr, Forms) {
  NameAddr a =
      address("\"Alice \\\"A\\\" Liddell\" <sip:alice@example.com;transport=tcp>;tag=1928301774");
  EXPECT_EQ(a.displayName, "\"Alice \\\"A\\\" Liddell\"");
  EXPECT_TRUE(a.angleBrackets);
  EXPECT_EQ(a.uri.user, "alice");
  EXPECT_EQ(a.uri.params.get("transport"), "tcp");  // a URI parameter...
  EXPECT_EQ(a.tag(), "1928301774");                 // ...and a header parameter
  EXPECT_FALSE(a.params.has("transport"));

  NameAddr b = address("sip:bob@example.com;tag=a6c85cf");
  EXPECT_FALSE(b.angleBrackets);
  EXPECT_EQ(b.uri.host, "example.com");
  EXPECT_TRUE(b.uri.params.empty());  // bare addr-spec: ;tag is a header parameter
  EXPECT_EQ(b.tag(), "a6c85cf");

  NameAddr c = address("Bob  Smith <sip:bob@example.com>");
  EXPECT_EQ(c.displayName, "Bob  Smith");
  EXPECT_FALSE(c.hasTag());

  NameAddr d = address("caller<sip:caller@example.com>;tag=323");  // RFC 4475 lwsdisp
  EXPECT_EQ(d.displayName, "caller");
  EXPECT_EQ(d.tag(), "323");

  NameAddr e = address("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");
  EXPECT_TRUE(e.uri.hasHeaders);

  NameAddr f = address("sip:+19725552222@gw1.example.net;unknownparam");  // RFC 4475 cparam01
  EXPECT_TRUE(f.params.has("unknownparam"));
  EXPECT_TRUE(f.uri.params.empty());

  NameAddr g = address("\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");  // wsinv
  EXPECT_EQ(g.tag(), "1918181833n");
}

TEST(NameAddr, ContactStarAndRouteForm) {
  EXPECT_TRUE(address("*", AddressForm::kContact).star);
  EXPECT_NE(addressError("*", AddressForm::kNameAddrOrSpec), nullptr);
  EXPECT_STREQ(addressError("sip:p1.example.com;lr", AddressForm::kNameAddrOnly),
               "URI must be enclosed in <>");
  EXPECT_TRUE(address("<sip:p1.example.com;lr>", AddressForm::kNameAddrOnly).uri.params.has("lr"));
}

TEST(NameAddr, Rejects) {
  EXPECT_STREQ(addressError("\"Mr. J. User <sip:j.user@example.com>"),
               "unterminated quoted string");
  EXPECT_STREQ(addressError("\"Watson, Thomas\" < sip:t.watson@example.org >"),
               "whitespace inside <> around the URI");
  EXPECT_STREQ(addressError("Bell, Alexander <sip:a.g.bell@example.com>;tag=43"),
               "display name must be a token sequence or a quoted string");
  EXPECT_STREQ(addressError("sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
               "a URI with headers must be enclosed in <>");
  EXPECT_STREQ(addressError("\"Joe\" <sip:joe@example.org>;;;;"), "empty parameter");
  EXPECT_STREQ(addressError("<sip:a@b"), "missing '>' after URI");
  EXPECT_STREQ(addressError("<>"), "empty URI in <>");
  EXPECT_STREQ(addressError(""), "empty address");
  EXPECT_STREQ(addressError("<sip:a@b> junk"), "unexpected text after address");
  EXPECT_STREQ(addressError("\"quoted\" sip:a@b"), "quoted display name not followed by <URI>");
}

Via via(std::string_view v) {
  Via out;
  const char* err = parseVia(v, out);
  EXPECT_EQ(err, nullptr) << v << ": " << (err ? err : "");
  return out;
}

TEST(ViaHeader, Fields) {
  Via v = via(
      "SIP/2.0/UDP "
      "192.0.2.1:5060;branch=z9hG4bK776asdhds;rport;received=192.0.2.99;maddr=224.2.0.1;ttl=16");
  EXPECT_EQ(v.protocolName, "SIP");
  EXPECT_EQ(v.protocolVersion, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "192.0.2.1");
  EXPECT_EQ(v.sentBy, "192.0.2.1:5060");
  EXPECT_EQ(v.port, 5060);
  EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v.hasMagicCookie());
  EXPECT_TRUE(v.hasRport);
  EXPECT_EQ(v.rport, 0);
  EXPECT_EQ(v.received, "192.0.2.99");
  EXPECT_EQ(v.maddr, "224.2.0.1");
  EXPECT_EQ(v.ttl, 16);
}

TEST(ViaHeader, LwsEverywhereAndOtherForms) {
  Via v = via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw");  // RFC 4475 wsinv
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "192.0.2.2");
  EXPECT_FALSE(v.hasMagicCookie());
  Via w = via("SIP / 2.0 / TCP spindle.example.com : 5061 ;\r\n  branch  =   z9hG4bK9ikj8");
  EXPECT_EQ(w.port, 5061);
  EXPECT_EQ(w.sentBy, "spindle.example.com : 5061");
  EXPECT_EQ(w.branch, "z9hG4bK9ikj8");
  Via x = via("SIP/2.0/TLS [2001:db8::9]:5061;rport=5062;received=2001:db8::10");
  EXPECT_EQ(x.hostType, HostType::kIPv6);
  EXPECT_EQ(x.rport, 5062);
  EXPECT_EQ(via("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en").transport, "UNKNOWN");
}

TEST(ViaHeader, Rejects) {
  auto err = [](std::string_view s) {
    Via v;
    return parseVia(s, v);
  };
  EXPECT_STREQ(err("SIP/2.0/UDP 192.0.2.15;;"), "empty parameter");
  EXPECT_STREQ(err("SIP/2.0 192.0.2.15"), "malformed sent-protocol");
  EXPECT_STREQ(err("SIP/2.0/UDP"), "missing sent-by");
  EXPECT_STREQ(err("SIP/2.0/UDP host:99999"), "invalid sent-by port");
  EXPECT_STREQ(err("SIP/2.0/UDP host;ttl=256"), "invalid ttl parameter");
  EXPECT_STREQ(err("SIP/2.0/UDP host;received=not-an-ip"), "invalid received parameter");
  EXPECT_STREQ(err("SIP/2.0/UDP host;rport=x"), "invalid rport parameter");
  EXPECT_STREQ(err("SIP/2.0/UDP host;branch"), "invalid branch");
  EXPECT_STREQ(err("SIP/2.0/UDP host junk"), "unexpected text after Via parameters");
  EXPECT_STREQ(err("SIP/2.0/UDP [::1"), "unterminated IPv6 reference in sent-by");
}

TEST(CSeqHeader, NumberAndMethod) {
  CSeq c;
  ASSERT_EQ(parseCSeq("0009\r\n  INVITE", c), nullptr);  // leading zeros and folding
  EXPECT_EQ(c.number, 9u);
  EXPECT_EQ(c.method, "INVITE");
  ASSERT_EQ(parseCSeq("4294967295 ACK", c), nullptr);
  EXPECT_EQ(c.number, 4294967295u);
  EXPECT_STREQ(parseCSeq("4294967296 ACK", c), "CSeq number out of range");
  EXPECT_STREQ(parseCSeq("36893488147419103232 REGISTER", c), "CSeq number out of range");
  EXPECT_STREQ(parseCSeq("INVITE", c), "CSeq without a sequence number");
  EXPECT_STREQ(parseCSeq("1INVITE", c), "CSeq without a method");
  EXPECT_STREQ(parseCSeq("1 INV ITE", c), "invalid CSeq method");
}

TEST(Numbers, RangeAndSyntax) {
  uint64_t v = 0;
  EXPECT_EQ(parseNumber("0068", 255, v), nullptr);
  EXPECT_EQ(v, 68u);
  EXPECT_STREQ(parseNumber("300", 255, v), "number out of range");
  EXPECT_STREQ(parseNumber("-999", 0xffffffff, v), "not a number");
  EXPECT_STREQ(parseNumber("", 10, v), "missing number");
  EXPECT_STREQ(parseNumber("99999999999999999999999999", 0xffffffff, v), "number out of range");
}

TEST(CallIdAndDate, Syntax) {
  EXPECT_TRUE(isCallId("a84b4c76e66710@pc33.atlanta.com"));
  EXPECT_TRUE(isCallId("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"));
  EXPECT_FALSE(isCallId(""));
  EXPECT_FALSE(isCallId("a@"));
  EXPECT_FALSE(isCallId("a b"));
  EXPECT_FALSE(isCallId("a@b@c"));
  EXPECT_TRUE(isSipDate("Sat, 13 Nov 2010 23:29:00 GMT"));
  EXPECT_FALSE(isSipDate("Fri, 01 Jan 2010 16:00:00 EST"));
  EXPECT_FALSE(isSipDate("Sat, 13 Nov 2010 23:29:00 GMT "));
  EXPECT_FALSE(isSipDate("Xyz, 13 Nov 2010 23:29:00 GMT"));
}

TEST(MediaTypes, ContentTypeAndAcceptRanges) {
  MediaType t;
  ASSERT_EQ(parseMediaType("multipart/mixed;boundary=unique-boundary-1", false, t), nullptr);
  EXPECT_EQ(t.type, "multipart");
  EXPECT_EQ(t.subtype, "mixed");
  EXPECT_EQ(t.params.get("boundary"), "unique-boundary-1");
  EXPECT_TRUE(t.matches("MULTIPART", "Mixed"));
  ASSERT_EQ(parseMediaType("application / sdp", false, t), nullptr);
  EXPECT_STREQ(parseMediaType("*/*", false, t), "wildcard in a media type");
  ASSERT_EQ(parseMediaType("application/*;q=0.5", true, t), nullptr);
  EXPECT_TRUE(t.matches("application", "sdp"));
  EXPECT_FALSE(t.matches("text", "plain"));
  EXPECT_STREQ(parseMediaType("*/sdp", true, t), "malformed media range");
  EXPECT_STREQ(parseMediaType("application", false, t), "malformed media type");
  EXPECT_STREQ(parseMediaType("application/sdp x", false, t), "unexpected text after media type");
}

}  // namespace
}  // namespace sbc::sip
