#pragma once

// The contract between signaling and the media relay, as plain data (after rtpengine's
// forwarding targets): which streams to anchor, where they go, and what the relay saw.
// Signaling fills it from SDP; the DPDK fast path (dpdk/) implements it and knows nothing
// of SIP or SDP. Every call happens on the control (signaling) thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/api/address.h"

namespace sbc::mediaplane {

// The one address type of the project (mediaplane/api/address.h), under the names the
// media plane has always used.
using IpAddress = net::IpAddress;
using SocketAddress = net::SocketAddress;

// SRTP (RFC 3711) crypto suites the relay runs, named as SDES (RFC 4568, RFC 7714) names
// them. Both directions of one side use the same suite, each with its own master key.
enum class SrtpSuite : uint8_t {
  kAesCm128HmacSha1_80,
  kAesCm128HmacSha1_32,
  kAeadAes128Gcm,
  kAeadAes256Gcm,
  kCount,
};

// The longest master key and salt: AEAD_AES_256_GCM's 32-byte key and 12-byte salt.
inline constexpr size_t kSrtpMaxMasterKey = 44;

// A master key followed by its master salt, as an SDES `inline:` carries them. Never logged.
struct SrtpMasterKey {
  std::array<uint8_t, kSrtpMaxMasterKey> bytes{};
  uint8_t length = 0;  // srtpMasterKeyLength(suite)

  bool operator==(const SrtpMasterKey&) const = default;
};

// SRTP on one side of a stream. `receive` is the peer's key (what it sends is unprotected
// with it); `send` is the SBC's own key for this side, made from a CSPRNG for this leg alone
// (what the relay sends to the peer is protected with it). No key crosses to the other side.
struct SrtpKeys {
  SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  SrtpMasterKey receive;
  SrtpMasterKey send;

  bool operator==(const SrtpKeys&) const = default;
};

std::string_view srtpSuiteName(SrtpSuite s);  // "AES_CM_128_HMAC_SHA1_80", ...
std::optional<SrtpSuite> srtpSuiteFromName(std::string_view name);  // exact, case-sensitive
size_t srtpMasterKeyLength(SrtpSuite s);  // key + salt bytes: 30, 30, 28, 44

// One side of an anchored stream: the SBC's address on that side's realm, and the peer.
struct MediaEndpoint {
  std::string realm;
  SocketAddress local;          // SBC media address and RTP port in the realm (RTCP = port + 1)
  SocketAddress remote;         // where the peer said (SDP) it receives RTP; port 0 = not yet known
  uint16_t remoteRtcpPort = 0;  // from a=rtcp, else remote.port + 1
  bool rtcpMux = false;         // RTCP shares the RTP ports on this side
  // This side speaks SRTP and SRTCP (RTP/SAVP) with these keys; none: plain RTP. A change of
  // keys in updateSession() re-keys the stream (the rollover counter carries over); the same
  // keys keep the running crypto contexts.
  std::optional<SrtpKeys> srtp;
};

// One m-line: what arrives at `a.local` goes out from `b.local` to `b`'s peer, and back.
struct StreamPair {
  MediaEndpoint a;  // the caller's side
  MediaEndpoint b;  // the callee's side
};

enum class SourcePolicy : uint8_t {
  kLatch,   // learn each peer's real source from its first packets (symmetric RTP, NAT)
  kStrict,  // accept only the address and port the peer signaled
};

struct SessionSpec {
  uint64_t id = 0;
  std::vector<StreamPair> streams;  // by m-line index
  SourcePolicy sources = SourcePolicy::kLatch;
};

enum class DropReason : uint8_t {
  kMalformed,         // not Ethernet/IPv4/UDP, bad lengths, or not RTP version 2 on an RTP port
  kNoSession,         // addressed to no anchored stream
  kUnexpectedSource,  // from neither the latched nor the signaled peer (RTP bleed)
  kNoRoute,           // the peer's MAC could not be resolved yet
  kTxFull,            // the NIC would not take it
  kSrtpAuth,          // SRTP or SRTCP authentication failed (tampered, or a wrong key)
  kSrtpReplay,        // an SRTP or SRTCP packet seen before, or too old for the replay window
  kSrtpError,         // SRTP could not be applied: no room for the tag, no context yet, or
                      // any other libsrtp failure
  kCount,
};

struct DirectionStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t drops[static_cast<size_t>(DropReason::kCount)] = {};
  uint64_t lost = 0;        // RTP sequence gaps
  double jitterMs = 0;      // RFC 3550 interarrival jitter, converted with an 8 kHz clock
  uint64_t lastSeenNs = 0;  // monotonic nanoseconds, 0 = never
  std::optional<SocketAddress> latched;  // the source learned for this direction
};

struct StreamStats {
  DirectionStats fromA;  // packets the caller sent (relayed to the callee)
  DirectionStats fromB;
};

struct SessionStats {
  uint64_t id = 0;
  std::vector<StreamStats> streams;
};

struct MediaEvent {
  enum class Kind : uint8_t { kLatched, kTimeout };
  Kind kind = Kind::kLatched;
  uint64_t session = 0;
  uint32_t stream = 0;
  bool fromA = true;
  SocketAddress source;  // kLatched: the learned source
};

// Errors are values: an empty string means success.
using Error = std::string;

class MediaPlane {
 public:
  virtual ~MediaPlane() = default;
  virtual Error createSession(const SessionSpec& spec) = 0;
  // Replaces the session's streams (re-INVITE, answer after offer, hold/resume).
  virtual Error updateSession(const SessionSpec& spec) = 0;
  virtual void deleteSession(uint64_t id) = 0;
  virtual std::optional<SessionStats> stats(uint64_t id) const = 0;
  // Events since the last call (latching, media timeouts).
  virtual std::vector<MediaEvent> pollEvents() = 0;
};

std::string_view dropReasonName(DropReason r);

}  // namespace sbc::mediaplane
