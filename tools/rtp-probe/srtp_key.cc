#include "tools/rtp-probe/srtp_key.h"

#include <string>
#include <vector>

#include "signaling/sdp/crypto.h"

namespace sbc::rtpprobe {

namespace {

// The project's strict base64 (signaling/sdp/crypto.h), with the padding people trim put
// back first: RFC 4568 keys are always padded, keys pasted by hand often are not.
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
  std::string padded(text);
  while (!padded.empty() && padded.back() == '=')
    padded.pop_back();
  if (padded.size() % 4 == 1) return std::nullopt;
  padded.append((4 - padded.size() % 4) % 4, '=');
  std::vector<uint8_t> out(padded.size() / 4 * 3);
  size_t length = 0;
  if (!sdp::base64Decode(padded, out, length)) return std::nullopt;
  out.resize(length);
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
