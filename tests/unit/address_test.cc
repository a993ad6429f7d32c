#include <gtest/gtest.h>

#include "mediaplane/api/address.h"

namespace sbc::net {
namespace {

TEST(IpAddress, ParsesIpv4) {
  std::optional<IpAddress> a = IpAddress::parse("192.0.2.10");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, 4);
  EXPECT_EQ(a->v4HostOrder(), 0xC000020Au);
  EXPECT_EQ(a->toString(), "192.0.2.10");
  EXPECT_EQ(a->uriHost(), "192.0.2.10");
  EXPECT_EQ(*a, IpAddress::v4(0xC000020A));
  EXPECT_FALSE(a->isUnspecified());
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->isUnspecified());
}

TEST(IpAddress, ParsesIpv6HostsWithAndWithoutBrackets) {
  std::optional<IpAddress> bare = IpAddress::parseHost("2001:DB8::1");
  std::optional<IpAddress> bracketed = IpAddress::parseHost("[2001:db8::1]");
  ASSERT_TRUE(bare);
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(*bare, *bracketed);
  EXPECT_EQ(bare->family, 6);
  EXPECT_EQ(bare->toString(), "2001:db8::1");
  EXPECT_EQ(bare->uriHost(), "[2001:db8::1]");
  EXPECT_TRUE(IpAddress::parse("::")->isUnspecified());
  EXPECT_TRUE(IpAddress::parseHost("[::]")->isUnspecified());
  EXPECT_EQ(*IpAddress::parseHost("192.0.2.1"), *IpAddress::parse("192.0.2.1"));
}

// SDP c= and YAML addresses are bare literals: a bracketed one is not an address there.
TEST(IpAddress, LiteralsHaveNoBrackets) {
  EXPECT_TRUE(IpAddress::parse("2001:db8::1"));
  EXPECT_FALSE(IpAddress::parse("[2001:db8::1]"));
  EXPECT_FALSE(IpAddress::parse("[::]"));
}

// A link-local peer's zone survives the trip through the project type.
TEST(IpAddress, KeepsTheZoneOfAScopedAddress) {
  IpAddress a = *IpAddress::parse("fe80::1");
  a.scope = 3;
  EXPECT_EQ(a.toString(), "fe80::1%3");
  EXPECT_NE(a, *IpAddress::parse("fe80::1"));
}

TEST(IpAddress, RefusesWhatIsNotALiteral) {
  for (const char* text : {"", "example.com", "192.0.2", "192.0.2.256", "[192.0.2.1]", "[::1",
                           "::1]", "[]", "2001:db8::1::2", " 192.0.2.1", "192.0.2.1:5060"}) {
    EXPECT_FALSE(IpAddress::parse(text)) << text;
    EXPECT_FALSE(IpAddress::parseHost(text)) << text;
  }
}

TEST(IpAddress, Subnets) {
  IpAddress media = *IpAddress::parse("10.1.0.1");
  EXPECT_TRUE(IpAddress::parse("10.1.0.254")->inSubnet(media, 24));
  EXPECT_FALSE(IpAddress::parse("10.1.1.254")->inSubnet(media, 24));
  EXPECT_TRUE(IpAddress::parse("10.1.1.254")->inSubnet(media, 16));
  EXPECT_TRUE(IpAddress::parse("10.1.0.3")->inSubnet(media, 30));
  EXPECT_FALSE(IpAddress::parse("10.1.0.4")->inSubnet(media, 30));
  EXPECT_TRUE(IpAddress::parse("192.0.2.1")->inSubnet(media, 0));
  EXPECT_FALSE(IpAddress::parse("2001:db8::1")->inSubnet(media, 0));  // another family
  IpAddress v6 = *IpAddress::parse("2001:db8::1");
  EXPECT_TRUE(IpAddress::parse("2001:db8::ffff")->inSubnet(v6, 64));
  EXPECT_FALSE(IpAddress::parse("2001:db9::1")->inSubnet(v6, 32));
}

TEST(SocketAddress, BracketsIpv6) {
  EXPECT_EQ((SocketAddress{*IpAddress::parse("192.0.2.1"), 5060}.toString()), "192.0.2.1:5060");
  EXPECT_EQ((SocketAddress{*IpAddress::parse("2001:db8::1"), 5060}.toString()),
            "[2001:db8::1]:5060");
}

TEST(HostText, Brackets) {
  EXPECT_EQ(stripBrackets("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(stripBrackets("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(stripBrackets("[x"), "[x");
  EXPECT_EQ(stripBrackets("example.com"), "example.com");
  EXPECT_EQ(bracketHost("2001:db8::1"), "[2001:db8::1]");
  EXPECT_EQ(bracketHost("[2001:db8::1]"), "[2001:db8::1]");
  EXPECT_EQ(bracketHost("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(bracketHost("example.com"), "example.com");
  EXPECT_EQ(bracketHost(""), "");
  EXPECT_EQ(hostPort("2001:db8::1", 5060), "[2001:db8::1]:5060");
  EXPECT_EQ(hostPort("10.0.0.1", 5061), "10.0.0.1:5061");
}

TEST(MacAddress, ParsesSixHexBytes) {
  std::optional<MacAddress> mac = parseMac("02:00:5e:00:53:0A");
  ASSERT_TRUE(mac);
  EXPECT_EQ(*mac, (MacAddress{0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a}));
  EXPECT_TRUE(isUnicast(*mac));
  EXPECT_EQ(toString(*mac), "02:00:5e:00:53:0a");  // lower case, as parseMac reads it
  for (const char* text : {"", "02:00:5e:00:53", "02:00:5e:00:53:01:02", "02-00-5e-00-53-01",
                           "02:00:5e:00:53:0g", "2:00:5e:00:53:011", "02:00:5e:00:53:+1"}) {
    EXPECT_FALSE(parseMac(text)) << text;
  }
}

TEST(MacAddress, Unicast) {
  EXPECT_FALSE(isUnicast(*parseMac("01:00:5e:00:00:01")));  // multicast
  EXPECT_FALSE(isUnicast(*parseMac("ff:ff:ff:ff:ff:ff")));  // broadcast
  EXPECT_FALSE(isUnicast(*parseMac("00:00:00:00:00:00")));
  EXPECT_TRUE(isUnicast(*parseMac("00:00:00:00:00:01")));
}

}  // namespace
}  // namespace sbc::net
