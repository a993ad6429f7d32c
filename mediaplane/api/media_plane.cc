#include "mediaplane/api/media_plane.h"

#include <iterator>

namespace sbc::mediaplane {

std::string_view dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kNoSession:
      return "no_session";
    case DropReason::kUnexpectedSource:
      return "unexpected_source";
    case DropReason::kNoRoute:
      return "no_route";
    case DropReason::kTxFull:
      return "tx_full";
    case DropReason::kSrtpAuth:
      return "srtp_auth";
    case DropReason::kSrtpReplay:
      return "srtp_replay";
    case DropReason::kSrtpError:
      return "srtp_error";
    case DropReason::kCount:
      break;
  }
  return "?";
}

namespace {
constexpr std::string_view kSuiteNames[] = {
    "AES_CM_128_HMAC_SHA1_80",
    "AES_CM_128_HMAC_SHA1_32",
    "AEAD_AES_128_GCM",
    "AEAD_AES_256_GCM",
};
constexpr size_t kKeyLengths[] = {30, 30, 28, 44};
static_assert(std::size(kSuiteNames) == static_cast<size_t>(SrtpSuite::kCount));
}  // namespace

std::string_view srtpSuiteName(SrtpSuite s) {
  return s < SrtpSuite::kCount ? kSuiteNames[static_cast<size_t>(s)] : "?";
}

std::optional<SrtpSuite> srtpSuiteFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kSuiteNames); ++i) {
    if (kSuiteNames[i] == name) return static_cast<SrtpSuite>(i);
  }
  return std::nullopt;
}

size_t srtpMasterKeyLength(SrtpSuite s) {
  return s < SrtpSuite::kCount ? kKeyLengths[static_cast<size_t>(s)] : 0;
}

}  // namespace sbc::mediaplane
