#pragma once

// `SUITE:BASE64` as rtp-probe's --srtp and --rekey-at take it: an SDES suite name and the
// base64 of key||salt, as after `inline:` in an a=crypto line (an `inline:` prefix and a
// `|lifetime` suffix are accepted so that a line can be pasted). Errors never quote the key.

#include <optional>
#include <string>
#include <string_view>

#include "mediaplane/api/media_plane.h"

namespace sbc::rtpprobe {

struct SrtpKeySpec {
  mediaplane::SrtpSuite suite = mediaplane::SrtpSuite::kAesCm128HmacSha1_80;
  mediaplane::SrtpMasterKey key;
};

std::optional<SrtpKeySpec> parseSrtpKeySpec(std::string_view text, std::string& error);

}  // namespace sbc::rtpprobe
