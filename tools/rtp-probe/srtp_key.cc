#include "tools/rtp-probe/srtp_key.h"

#include <vector>

namespace sbc::rtpprobe {

namespace {

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard alphabet; '=' padding optional (RFC 4568 keys are always padded, people trim it).
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base64Value(c);
    if (v < 0) return std::nullopt;
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  return out;
}

}  // namespace

std::optional<SrtpKeySpec> parseSrtpKeySpec(std::string_view text, std::string& error) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    error = "SRTP key: expected SUITE:BASE64KEY";
    return std::nullopt;
  }
  std::string_view name = text.substr(0, colon);
  std::string_view key = text.substr(colon + 1);
  if (key.starts_with("inline:")) key.remove_prefix(7);
  if (size_t bar = key.find('|'); bar != std::string_view::npos) key = key.substr(0, bar);
  auto suite = mediaplane::srtpSuiteFromName(name);
  if (!suite) {
    error = "SRTP key: unknown suite '" + std::string(name) +
            "' (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, "
            "AEAD_AES_256_GCM)";
    return std::nullopt;
  }
  auto bytes = base64Decode(key);
  if (!bytes) {
    error = "SRTP key for " + std::string(name) + ": not valid base64";
    return std::nullopt;
  }
  size_t want = mediaplane::srtpMasterKeyLength(*suite);
  if (bytes->size() != want) {
    error = "SRTP key for " + std::string(name) + ": " + std::to_string(bytes->size()) +
            " bytes of key and salt, the suite needs " + std::to_string(want);
    return std::nullopt;
  }
  SrtpKeySpec spec;
  spec.suite = *suite;
  std::copy(bytes->begin(), bytes->end(), spec.key.bytes.begin());
  spec.key.length = uint8_t(want);
  return spec;
}

}  // namespace sbc::rtpprobe
