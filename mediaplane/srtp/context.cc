// INTERIM (helper "relay"): a minimal libsrtp-backed Context so that dpdk/ builds and tests
// before wip/srtplib lands; replaced by wip/srtplib's implementation on merge.

#include "mediaplane/srtp/context.h"

#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>

namespace sbc::srtp {
namespace {
std::once_flag once;
std::string initError;
}  // namespace

std::string initialize(Engine) {
  std::call_once(once, [] {
    if (srtp_init() != srtp_err_status_ok) initError = "srtp_init failed";
  });
  return initError;
}

Engine engine() {
  return Engine::kLibsrtpBuiltIn;
}

size_t rtpTrailer(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      return 10;
    case SrtpSuite::kAesCm128HmacSha1_32:
      return 4;
    default:
      return 16;
  }
}

size_t rtcpTrailer(SrtpSuite suite) {
  return 4 + (suite == SrtpSuite::kAesCm128HmacSha1_32 ? 10 : rtpTrailer(suite));
}

bool supported(SrtpSuite suite) {
  return suite < SrtpSuite::kCount;
}

namespace {
void policyFor(SrtpSuite suite, srtp_policy_t& p) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case SrtpSuite::kAesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
    default:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      break;
  }
}

Status statusOf(srtp_err_status_t e) {
  switch (e) {
    case srtp_err_status_ok:
      return Status::kOk;
    case srtp_err_status_auth_fail:
      return Status::kAuthFail;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return Status::kReplay;
    default:
      return Status::kError;
  }
}
}  // namespace

std::unique_ptr<Context> Context::create(SrtpSuite suite, const SrtpMasterKey& key,
                                         Direction direction, std::optional<uint32_t> ssrc,
                                         uint32_t roc, std::string& error) {
  if (std::string e = initialize(); !e.empty()) {
    error = e;
    return nullptr;
  }
  srtp_policy_t p;
  std::memset(&p, 0, sizeof(p));
  policyFor(suite, p);
  if (ssrc) {
    p.ssrc.type = ssrc_specific;
    p.ssrc.value = *ssrc;
  } else {
    p.ssrc.type = direction == Direction::kProtect ? ssrc_any_outbound : ssrc_any_inbound;
  }
  uint8_t material[mediaplane::kSrtpMaxMasterKey];
  std::memcpy(material, key.bytes.data(), key.length);
  p.key = material;
  p.window_size = 128;
  p.allow_repeat_tx = 0;
  srtp_t session = nullptr;
  srtp_err_status_t s = srtp_create(&session, &p);
  std::memset(material, 0, sizeof(material));
  if (s != srtp_err_status_ok) {
    error = "srtp_create failed (" + std::to_string(s) + ")";
    return nullptr;
  }
  std::unique_ptr<Context> c(new Context());
  c->session_ = session;
  c->suite_ = suite;
  c->direction_ = direction;
  if (ssrc && roc != 0) srtp_set_stream_roc(session, *ssrc, roc);
  return c;
}

Context::~Context() {
  if (session_ != nullptr) srtp_dealloc(static_cast<srtp_t>(session_));
}

Status Context::protectRtp(uint8_t* packet, int& length) {
  return statusOf(srtp_protect(static_cast<srtp_t>(session_), packet, &length));
}
Status Context::unprotectRtp(uint8_t* packet, int& length) {
  return statusOf(srtp_unprotect(static_cast<srtp_t>(session_), packet, &length));
}
Status Context::protectRtcp(uint8_t* packet, int& length) {
  return statusOf(srtp_protect_rtcp(static_cast<srtp_t>(session_), packet, &length));
}
Status Context::unprotectRtcp(uint8_t* packet, int& length) {
  return statusOf(srtp_unprotect_rtcp(static_cast<srtp_t>(session_), packet, &length));
}

uint32_t Context::roc(uint32_t ssrc) const {
  uint32_t r = 0;
  if (srtp_get_stream_roc(static_cast<srtp_t>(session_), ssrc, &r) != srtp_err_status_ok) return 0;
  return r;
}

}  // namespace sbc::srtp
