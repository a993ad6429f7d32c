// SDES a=crypto lines (RFC 4568): what the SBC can use, what it must refuse, and the
// lines it writes.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signaling/sdp/crypto.h"

namespace sbc::sdp {
namespace {

using mediaplane::SrtpSuite;

// key||salt = 01 02 03 ... n, base64.
constexpr const char* k30 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e";
constexpr const char* k28 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==";
constexpr const char* k44 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyw=";
constexpr const char* k29 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0=";
constexpr const char* k31 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw==";

std::string line(std::string_view tail) {
  return "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(k30) + std::string(tail);
}

void expectCounting(const mediaplane::SrtpMasterKey& key, size_t n) {
  ASSERT_EQ(key.length, n);
  for (size_t i = 0; i < n; ++i)
    EXPECT_EQ(key.bytes[i], i + 1) << i;
  for (size_t i = n; i < key.bytes.size(); ++i)
    EXPECT_EQ(key.bytes[i], 0) << i;
}

TEST(SdesTest, EachSuiteWithItsKeyLength) {
  struct Case {
    const char* suite;
    const char* key;
    SrtpSuite expected;
    size_t length;
  };
  for (const Case& c : {Case{"AES_CM_128_HMAC_SHA1_80", k30, SrtpSuite::kAesCm128HmacSha1_80, 30},
                        Case{"AES_CM_128_HMAC_SHA1_32", k30, SrtpSuite::kAesCm128HmacSha1_32, 30},
                        Case{"AEAD_AES_128_GCM", k28, SrtpSuite::kAeadAes128Gcm, 28},
                        Case{"AEAD_AES_256_GCM", k44, SrtpSuite::kAeadAes256Gcm, 44}}) {
    std::string value = "7 " + std::string(c.suite) + " inline:" + c.key;
    SdesLine l = parseSdesCrypto(value);
    ASSERT_TRUE(l.usable()) << value << ": " << l.unusable;
    EXPECT_EQ(l.crypto.tag, 7u);
    EXPECT_EQ(l.crypto.suite, c.expected);
    expectCounting(l.crypto.key, c.length);
    // Round trip: what the SBC writes reads back the same, byte for byte.
    EXPECT_EQ(formatSdesCrypto(l.crypto), value);
  }
}

TEST(SdesTest, AcceptedExtras) {
  for (std::string tail : {"|2^31", "|2^48", "|2147483648", "|281474976710656",
                           "|99999999999999999999999", " WSH=64", "|2^48 WSH=128", "\t WSH=64 "}) {
    SdesLine l = parseSdesCrypto(line(tail));
    EXPECT_TRUE(l.usable()) << tail << ": " << l.unusable;
    expectCounting(l.crypto.key, 30);
  }
  EXPECT_TRUE(parseSdesCrypto("123456789 AES_CM_128_HMAC_SHA1_32 INLINE:" + std::string(k30))
                  .usable());  // ABNF literals ignore case
}

TEST(SdesTest, UnusableLinesSayWhyAndCarryNoKey) {
  struct Case {
    std::string value;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"1 F8_128_HMAC_SHA1_80 inline:" + std::string(k30), "unknown crypto suite"},
      {"1 aes_cm_128_hmac_sha1_80 inline:" + std::string(k30), "unknown crypto suite"},
      {line("|2^20|1:4"), "MKI not supported"},
      {line("|1:4"), "MKI not supported"},
      {line(";inline:" + std::string(k30)), "more than one key is not supported"},
      {line("|2^20"), "key lifetime not supported (below 2^31 or malformed)"},
      {line("|2147483647"), "key lifetime not supported (below 2^31 or malformed)"},
      {line("|2^x"), "key lifetime not supported (below 2^31 or malformed)"},
      {line("|"), "key lifetime not supported (below 2^31 or malformed)"},
      {line("|2^48|2^48"), "key lifetime not supported (below 2^31 or malformed)"},
      {line("|1:4|2^48"), "malformed key-params"},
      {line("|2^48|1:4|x"), "malformed key-params"},
      {line(" UNENCRYPTED_SRTP"), "session parameter not supported"},
      {line(" UNENCRYPTED_SRTCP"), "session parameter not supported"},
      {line(" UNAUTHENTICATED_SRTP"), "session parameter not supported"},
      {line(" KDR=1"), "session parameter not supported"},
      {line(" FEC_ORDER=FEC_SRTP"), "session parameter not supported"},
      {line(" WSH=64 FEC_KEY=inline:" + std::string(k30)), "session parameter not supported"},
      {line(" WSH=x"), "session parameter not supported"},
      {"1 AES_CM_128_HMAC_SHA1_80 uri:http://example.com/key", "key method must be inline"},
      {"1 AES_CM_128_HMAC_SHA1_80 " + std::string(k30),
       "key-params must be <key-method>:<key-info> (e.g. inline:<key>)"},
      {"1 AES_CM_128_HMAC_SHA1_80 inline:",
       "key-params must be <key-method>:<key-info> (e.g. inline:<key>)"},
      {"x AES_CM_128_HMAC_SHA1_80 inline:" + std::string(k30),
       "tag must be a number of 1 to 9 digits"},
      {"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(k30),
       "tag must be a number of 1 to 9 digits"},
      {" 1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(k30), "tag missing"},
      {"", "tag missing"},
      {"1 AES_CM_128_HMAC_SHA1_80", "key-params missing"},
  };
  const std::string bad = "key is not valid base64 of the suite's key and salt length";
  for (std::string k : {std::string(k29), std::string(k31), std::string(k28), std::string(k44),
                        std::string(k30).substr(0, 39), std::string(k30) + "=",
                        std::string(k30) + "====", "!" + std::string(k30).substr(1),
                        std::string(k30).substr(0, 38) + "==",
                        std::string(k30).substr(0, 20) + "=" + std::string(k30).substr(21)})
    cases.push_back({"1 AES_CM_128_HMAC_SHA1_80 inline:" + k, bad});
  // Right length for another suite only.
  cases.push_back({"1 AEAD_AES_128_GCM inline:" + std::string(k30), bad});
  cases.push_back({"1 AEAD_AES_256_GCM inline:" + std::string(k28), bad});
  // Unused bits after the last byte must be zero (k28 ends "HA==": "HB==" decodes the same).
  std::string sloppy(k28);
  sloppy[sloppy.size() - 3] = 'B';
  cases.push_back({"1 AEAD_AES_128_GCM inline:" + sloppy, bad});
  for (const Case& c : cases) {
    SdesLine l = parseSdesCrypto(c.value);
    ASSERT_FALSE(l.usable()) << c.value;
    EXPECT_EQ(std::string(l.unusable), c.reason) << c.value;
    EXPECT_EQ(l.crypto.key, mediaplane::SrtpMasterKey{}) << c.value;
  }
}

TEST(SdesTest, TagAndSuiteAreKeptForMessages) {
  std::string value = "42 NO_SUCH_SUITE inline:" + std::string(k30);
  SdesLine l = parseSdesCrypto(value);
  EXPECT_EQ(l.tag, 42u);
  EXPECT_EQ(l.suite, "NO_SUCH_SUITE");
}

TEST(SdesTest, Base64RoundTripsEveryLength) {
  std::array<uint8_t, 64> in{};
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t n = 1; n <= in.size(); ++n) {
    std::string text = base64Encode(std::span<const uint8_t>(in.data(), n));
    EXPECT_EQ(text.size() % 4, 0u);
    std::array<uint8_t, 64> out{};
    size_t length = 0;
    ASSERT_TRUE(base64Decode(text, out, length)) << text;
    ASSERT_EQ(length, n);
    EXPECT_TRUE(std::equal(in.begin(), in.begin() + long(n), out.begin()));
    // One byte short of room: refused.
    std::array<uint8_t, 65> small{};
    EXPECT_FALSE(base64Decode(text, std::span<uint8_t>(small.data(), n - 1), length));
  }
  EXPECT_EQ(base64Encode(std::span<const uint8_t>()), "");
}

}  // namespace
}  // namespace sbc::sdp
