#include "tools/rtp-probe/srtp_keyring.h"

#include <array>
#include <cstring>

namespace sbc::rtpprobe {

int SrtpKeyRing::keyOf(uint32_t ssrc) const {
  for (const PerSsrc& s : ssrcs_) {
    if (s.ssrc == ssrc) return int(s.key);
  }
  return -1;
}

srtp::Status SrtpKeyRing::unprotect(uint8_t* packet, int& length) {
  // 12-byte header plus the shortest tag; the datagram buffer bounds the copy below.
  std::array<uint8_t, 2048> original;
  if (length < 16 || size_t(length) > original.size()) return srtp::Status::kError;
  uint32_t ssrc = uint32_t(packet[8]) << 24 | uint32_t(packet[9]) << 16 |
                  uint32_t(packet[10]) << 8 | packet[11];
  PerSsrc* current = nullptr;
  for (PerSsrc& s : ssrcs_) {
    if (s.ssrc == ssrc) current = &s;
  }
  if (current) {
    // A failed attempt may leave the buffer half decrypted (AEAD): keep the bytes for the
    // other keys.
    std::memcpy(original.data(), packet, size_t(length));
    int n = length;
    srtp::Status status = current->context->unprotectRtp(packet, n);
    if (status == srtp::Status::kOk) {
      length = n;
      ++current->packets;
      return status;
    }
    if (status != srtp::Status::kAuthFail) return status;  // replay or error: this key's verdict
  } else {
    std::memcpy(original.data(), packet, size_t(length));
  }
  uint32_t roc = current ? current->context->roc(ssrc) : 0;
  for (size_t k = 0; k < keys_.size(); ++k) {
    if (current && k == current->key) continue;
    auto context = srtp::Context::create(keys_[k].suite, keys_[k].key, srtp::Direction::kUnprotect,
                                         ssrc, roc, error_);
    if (!context) return srtp::Status::kError;
    std::memcpy(packet, original.data(), size_t(length));
    int n = length;
    if (context->unprotectRtp(packet, n) != srtp::Status::kOk) continue;
    length = n;
    if (!current) {
      current = &ssrcs_.emplace_back();
      current->ssrc = ssrc;
    }
    changes_.push_back({ssrc, k, current->packets, roc});
    current->key = k;
    current->context = std::move(context);
    ++current->packets;
    return srtp::Status::kOk;
  }
  std::memcpy(packet, original.data(), size_t(length));
  return srtp::Status::kAuthFail;
}

}  // namespace sbc::rtpprobe
