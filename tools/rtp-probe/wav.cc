#include "tools/rtp-probe/wav.h"

#include <fstream>
#include <iterator>

namespace sbc::rtpprobe {

namespace {

uint32_t le32(const std::string& b, size_t at) {
  return uint32_t(uint8_t(b[at])) | uint32_t(uint8_t(b[at + 1])) << 8 |
         uint32_t(uint8_t(b[at + 2])) << 16 | uint32_t(uint8_t(b[at + 3])) << 24;
}
uint16_t le16(const std::string& b, size_t at) {
  return uint16_t(uint8_t(b[at]) | uint8_t(b[at + 1]) << 8);
}

}  // namespace

std::optional<std::vector<int16_t>> readWav(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  std::string b{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (b.size() < 12 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) {
    error = path + " is not a WAV (RIFF/WAVE) file";
    return std::nullopt;
  }
  bool haveFormat = false;
  for (size_t at = 12; at + 8 <= b.size();) {
    std::string id = b.substr(at, 4);
    size_t size = le32(b, at + 4);
    size_t body = at + 8;
    if (size > b.size() - body) size = b.size() - body;  // a truncated last chunk
    if (id == "fmt ") {
      if (size < 16) break;
      uint16_t format = le16(b, body), channels = le16(b, body + 2), bits = le16(b, body + 14);
      uint32_t rate = le32(b, body + 4);
      if (format != 1 || channels != 1 || rate != 8000 || bits != 16) {
        error = path + ": " + (format == 1 ? "PCM" : "format " + std::to_string(format)) + ", " +
                std::to_string(channels) + " channel(s), " + std::to_string(rate) + " Hz, " +
                std::to_string(bits) +
                " bits; rtp-probe sends 8000 Hz mono 16-bit PCM only (convert it first, e.g. "
                "sox in.wav -r 8000 -c 1 -b 16 out.wav)";
        return std::nullopt;
      }
      haveFormat = true;
    } else if (id == "data") {
      if (!haveFormat) break;
      std::vector<int16_t> samples(size / 2);
      for (size_t i = 0; i < samples.size(); ++i)
        samples[i] = int16_t(le16(b, body + 2 * i));
      if (samples.empty()) {
        error = path + " holds no samples";
        return std::nullopt;
      }
      return samples;
    }
    at = body + size + (size & 1);  // chunks are padded to even sizes
  }
  error = path + ": no fmt chunk before the data chunk";
  return std::nullopt;
}

}  // namespace sbc::rtpprobe
