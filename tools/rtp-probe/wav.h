#pragma once

// Reads the one WAV format rtp-probe sends: PCM, 8000 Hz, mono, 16-bit (the G.711 rate, so
// no resampling). Anything else is refused with a message that says what the file is.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sbc::rtpprobe {

std::optional<std::vector<int16_t>> readWav(const std::string& path, std::string& error);

}  // namespace sbc::rtpprobe
