#include <gtest/gtest.h>

#include "signaling/sip/uri.h"

namespace sbc::sip {
namespace {

Uri parsed(std::string_view text) {
  Uri u;
  const char* err = parseUri(text, u);
  EXPECT_EQ(err, nullptr) << text << ": " << (err ? err : "");
  return u;
}

const char* failure(std::string_view text) {
  Uri u;
  return parseUri(text, u);
}

TEST(SipUri, UserHostPortParamsHeaders) {
  Uri u = parsed(
      "sip:alice:secret@atlanta.example.com:5070;transport=tcp;lr?subject=hi&priority=urgent");
  EXPECT_EQ(u.kind, UriScheme::kSip);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.hasPassword);
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "atlanta.example.com");
  EXPECT_EQ(u.hostType, HostType::kHostname);
  EXPECT_TRUE(u.hasPort);
  EXPECT_EQ(u.port, 5070);
  EXPECT_EQ(u.params.get("transport"), "tcp");
  EXPECT_EQ(u.params.get("LR"), "");  // present without value, names are case-insensitive
  EXPECT_FALSE(u.params.get("maddr").has_value());
  EXPECT_TRUE(u.hasHeaders);
  EXPECT_EQ(u.headers, "subject=hi&priority=urgent");
}

TEST(SipUri, HostForms) {
  EXPECT_EQ(parsed("sip:192.0.2.4").hostType, HostType::kIPv4);
  EXPECT_EQ(parsed("sips:[2001:db8::10]:5061").hostType, HostType::kIPv6);
  EXPECT_EQ(parsed("sips:[2001:db8::10]:5061").host, "[2001:db8::10]");
  EXPECT_EQ(parsed("sips:[2001:db8::10]:5061").kind, UriScheme::kSips);
  EXPECT_EQ(parsed("sip:host.example.com.").hostType, HostType::kHostname);
  EXPECT_EQ(parsed("SIP:UPPER.example.COM").kind, UriScheme::kSip);
}

TEST(SipUri, UserPartCharacters) {
  // RFC 4475 §3.1.1.9: ';' and '=' belong to the user part before the '@'.
  Uri u = parsed("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(u.user, "user;par=u%40example.net");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_TRUE(u.params.empty());
  // RFC 4475 §3.1.1.2: every user-unreserved and mark character, and a password.
  Uri w = parsed(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/"
      ";;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  EXPECT_EQ(w.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(w.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
}

TEST(SipUri, EscapesAreValidatedNotDecoded) {
  Uri u = parsed("sip:sips%3Auser%40example.com@example.net");
  EXPECT_EQ(u.user, "sips%3Auser%40example.com");
  EXPECT_EQ(unescape(u.user), "sips:user@example.com");
  EXPECT_NE(failure("sip:bad%4Gescape@example.com"), nullptr);
  EXPECT_NE(failure("sip:trunc%4@example.com"), nullptr);
  EXPECT_NE(failure("sip:host;p=%"), nullptr);
}

TEST(SipUri, UnescapeIsSinglePass) {
  // RFC 4475 §3.1.1.3: v%61lue%25%34%31 is "value%41", not "valueA".
  EXPECT_EQ(unescape("v%61lue%25%34%31"), "value%41");
  EXPECT_EQ(unescape("null-%00-null"), std::string("null-\0-null", 11));
  EXPECT_EQ(unescape("100%"), "100%");
}

TEST(SipUri, UriParamsWithEscapes) {
  Uri u = parsed("sip:caller@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
  EXPECT_TRUE(u.params.has("%6C%72"));
  EXPECT_EQ(u.params.get("n%61me"), "v%61lue%25%34%31");
}

TEST(SipUri, TelUris) {
  Uri g = parsed("tel:+1-201-555-0123;ext=1234");
  EXPECT_EQ(g.kind, UriScheme::kTel);
  EXPECT_EQ(g.user, "+1-201-555-0123");
  EXPECT_EQ(g.params.get("ext"), "1234");
  Uri l = parsed("tel:7042;phone-context=example.com");
  EXPECT_EQ(l.user, "7042");
  EXPECT_EQ(l.params.get("phone-context"), "example.com");
  EXPECT_NE(failure("tel:+"), nullptr);
  EXPECT_NE(failure("tel:+1 201"), nullptr);
  EXPECT_NE(failure("tel:abc@x"), nullptr);
}

TEST(SipUri, OtherSchemesKeepGenericSyntax) {
  Uri u = parsed("http://www.example.com/path?q=1");
  EXPECT_EQ(u.kind, UriScheme::kOther);
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.opaque, "//www.example.com/path?q=1");
  EXPECT_EQ(parsed("isbn:2983792873").kind, UriScheme::kOther);
  EXPECT_EQ(parsed("soap.beep://192.0.2.103:3002").scheme, "soap.beep");
  EXPECT_NE(failure("urn:with space"), nullptr);
}

TEST(SipUri, Rejects) {
  EXPECT_STREQ(failure(""), "URI without a scheme");
  EXPECT_STREQ(failure("sip"), "URI without a scheme");
  EXPECT_STREQ(failure("1sip:host"), "URI without a scheme");
  EXPECT_STREQ(failure("sip:"), "missing host in URI");
  EXPECT_STREQ(failure("sip:user@"), "missing host in URI");
  EXPECT_STREQ(failure("sip:@host"), "invalid user part in URI");
  EXPECT_STREQ(failure("sip:host:"), "invalid port in URI");
  EXPECT_STREQ(failure("sip:host:65536"), "invalid port in URI");
  EXPECT_STREQ(failure("sip:host:123456"), "invalid port in URI");
  EXPECT_STREQ(failure("sip:[2001:db8::1"), "unterminated IPv6 reference in URI");
  EXPECT_STREQ(failure("sip:[not-v6]"), "invalid host in URI");
  EXPECT_STREQ(failure("sip:-bad.example.com"), "invalid host in URI");
  EXPECT_STREQ(failure("sip:300.1.2.3"), "invalid host in URI");
  EXPECT_STREQ(failure("sip:host;"), "empty URI parameter");
  EXPECT_STREQ(failure("sip:host;p="), "URI parameter without value after '='");
  EXPECT_STREQ(failure("sip:host?noequals"), "invalid headers in URI");
  EXPECT_STREQ(failure("sip:host x"), "invalid host in URI");
  EXPECT_STREQ(failure("sip:host;p x"), "unexpected character in URI");
  EXPECT_STREQ(failure("sip:us er@host"), "invalid user part in URI");
}

TEST(SipUri, AddressHelpers) {
  EXPECT_TRUE(isIPv4("0.0.0.0"));
  EXPECT_TRUE(isIPv4("255.255.255.255"));
  EXPECT_FALSE(isIPv4("256.1.1.1"));
  EXPECT_FALSE(isIPv4("1.2.3"));
  EXPECT_FALSE(isIPv4("1.2.3.4.5"));
  EXPECT_FALSE(isIPv4("1..2.3"));
  EXPECT_TRUE(isIPv6("::1"));
  EXPECT_TRUE(isIPv6("2001:db8::192.0.2.1"));
  EXPECT_FALSE(isIPv6("2001:db8:::1"));
  EXPECT_EQ(classifyHost("[::1]"), HostType::kIPv6);
  EXPECT_EQ(classifyHost("a-b.c"), HostType::kHostname);
  EXPECT_EQ(classifyHost("a_b.c"), HostType::kNone);
}

}  // namespace
}  // namespace sbc::sip
