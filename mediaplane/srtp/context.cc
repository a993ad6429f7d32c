#include "mediaplane/srtp/context.h"

#include <spdlog/spdlog.h>
#include <srtp2/srtp.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "mediaplane/srtp/engine.h"

namespace sbc::srtp {

namespace {

constexpr size_t kSuiteCount = static_cast<size_t>(SrtpSuite::kCount);

// Written under `mutex` by initialize() and switchEngine() (control threads); read by any
// thread that creates contexts, hence atomics.
struct Global {
  std::once_flag srtp_init_once;
  std::string srtp_init_error;  // srtp_init's failure (set once, under the once_flag)
  std::mutex mutex;
  std::atomic<bool> initialized{false};  // an engine is installed
  std::atomic<Engine> engine{Engine::kLibsrtpBuiltIn};
  std::array<std::atomic<bool>, kSuiteCount> supported{};
};

Global& global() {
  static Global g;
  return g;
}

// libsrtp's messages (events such as an SSRC collision, self-test failures) carry no key
// bytes: its debug modules, which would print keys, stay off.
void logHandler(srtp_log_level_t level, const char* msg, void*) {
  (void)level;
  spdlog::debug("libsrtp: {}", msg);
}

Status toStatus(srtp_err_status_t s) {
  switch (s) {
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

void setPolicies(SrtpSuite suite, srtp_policy_t& policy) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_rtp_default(&policy.rtp);
      srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
      break;
    case SrtpSuite::kAesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      // RFC 4568 6.2.2: SRTCP keeps the 80-bit tag with the _32 suite.
      srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
      break;
    case SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
    case SrtpSuite::kAeadAes256Gcm:
    case SrtpSuite::kCount:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      break;
  }
}

srtp_t makeSession(SrtpSuite suite, const SrtpMasterKey& key, Direction direction,
                   std::optional<uint32_t> ssrc, uint32_t roc, std::string& error);

std::string statusText(srtp_err_status_t s) {
  return "libsrtp status " + std::to_string(static_cast<int>(s));
}

srtp_t makeSession(SrtpSuite suite, const SrtpMasterKey& key, Direction direction,
                   std::optional<uint32_t> ssrc, uint32_t roc, std::string& error);

// Which suites the crypto kernel as it is now can run: one context of each, with a
// throwaway key.
void probeSuites(Global& g) {
  for (size_t i = 0; i < kSuiteCount; ++i) {
    auto suite = static_cast<SrtpSuite>(i);
    SrtpMasterKey key;
    key.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
    for (size_t b = 0; b < key.length; ++b) {
      key.bytes[b] = static_cast<uint8_t>(b * 7 + 1);
    }
    std::string error;
    srtp_t session = makeSession(suite, key, Direction::kProtect, 1u, 0, error);
    g.supported[i] = session != nullptr;
    if (session != nullptr) {
      srtp_dealloc(session);
    } else {
      spdlog::warn("SRTP suite {} not available: {}", mediaplane::srtpSuiteName(suite), error);
    }
  }
}

std::string selectEngine(Global& g, Engine engine) {
  std::string error =
      engine == Engine::kOpenssl ? detail::installOpensslTypes() : detail::installBuiltInTypes();
  if (!error.empty()) {
    return error;
  }
  g.engine = engine;
  probeSuites(g);
  return "";
}

}  // namespace

std::string initialize(Engine engine) {
  Global& g = global();
  std::call_once(g.srtp_init_once, [&g] {
    srtp_err_status_t s = srtp_init();
    if (s != srtp_err_status_ok) {
      g.srtp_init_error = "srtp_init failed: " + statusText(s);
      return;
    }
    srtp_install_log_handler(logHandler, nullptr);
    detail::saveBuiltInTypes();
  });
  if (!g.srtp_init_error.empty()) {
    return g.srtp_init_error;
  }
  std::lock_guard lock(g.mutex);
  if (g.initialized) {
    return g.engine == engine ? "" : "the SRTP engine is already chosen for this process";
  }
  std::string error = selectEngine(g, engine);  // on failure: nothing chosen, may try again
  if (!error.empty()) {
    return error;
  }
  g.initialized = true;
  return "";
}

std::string switchEngine(Engine engine) {
  Global& g = global();
  {
    std::lock_guard lock(g.mutex);
    if (g.initialized) {
      return g.engine == engine ? "" : selectEngine(g, engine);
    }
  }
  return initialize(engine);
}

Engine engine() {
  return global().engine;
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
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
    case SrtpSuite::kAesCm128HmacSha1_32:
      return 4 + 10;
    default:
      return 4 + 16;
  }
}

bool supported(SrtpSuite suite) {
  return suite < SrtpSuite::kCount && global().supported[static_cast<size_t>(suite)];
}

namespace {

// One libsrtp session for `suite`/`key`; null with `error` set on failure.
srtp_t makeSession(SrtpSuite suite, const SrtpMasterKey& key, Direction direction,
                   std::optional<uint32_t> ssrc, uint32_t roc, std::string& error) {
  size_t want = mediaplane::srtpMasterKeyLength(suite);
  if (key.length != want) {
    error = "master key and salt of " + std::to_string(key.length) + " bytes, " +
            std::string(mediaplane::srtpSuiteName(suite)) + " takes " + std::to_string(want);
    return nullptr;
  }

  // libsrtp reads the key through a non-const pointer; it keeps only the session keys it
  // derives, so the copy is wiped as soon as srtp_create returns.
  static_assert(SRTP_MAX_KEY_LEN >= mediaplane::kSrtpMaxMasterKey);
  std::array<uint8_t, SRTP_MAX_KEY_LEN> key_copy{};
  std::memcpy(key_copy.data(), key.bytes.data(), key.length);

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  setPolicies(suite, policy);
  if (ssrc) {
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = *ssrc;
  } else {
    policy.ssrc.type = direction == Direction::kProtect ? ssrc_any_outbound : ssrc_any_inbound;
  }
  policy.key = key_copy.data();
  policy.window_size = 128;  // replay protection on, RFC 3711's minimum window is 64
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  srtp_err_status_t s = srtp_create(&session, &policy);
  explicit_bzero(key_copy.data(), key_copy.size());
  if (s != srtp_err_status_ok) {
    error = "srtp_create failed: " + statusText(s);
    return nullptr;
  }
  if (ssrc && roc != 0) {
    // Applies to the first packet's index estimate (libsrtp's pending ROC).
    s = srtp_set_stream_roc(session, *ssrc, roc);
    if (s != srtp_err_status_ok) {
      srtp_dealloc(session);
      error = "srtp_set_stream_roc failed: " + statusText(s);
      return nullptr;
    }
  }
  return session;
}

}  // namespace

std::unique_ptr<Context> Context::create(SrtpSuite suite, const SrtpMasterKey& key,
                                         Direction direction, std::optional<uint32_t> ssrc,
                                         uint32_t roc, std::string& error) {
  if (suite >= SrtpSuite::kCount) {
    error = "unknown SRTP suite";
    return nullptr;
  }
  if (!global().initialized) {
    error = "sbc::srtp::initialize() has not been called";
    return nullptr;
  }
  if (!supported(suite)) {
    error = std::string(mediaplane::srtpSuiteName(suite)) + " is not available in this libsrtp";
    return nullptr;
  }
  srtp_t session = makeSession(suite, key, direction, ssrc, roc, error);
  if (session == nullptr) {
    return nullptr;
  }
  std::unique_ptr<Context> context(new Context());
  context->session_ = session;
  context->suite_ = suite;
  context->direction_ = direction;
  context->has_ssrc_ = ssrc.has_value();
  context->ssrc_ = ssrc.value_or(0);
  context->initial_roc_ = ssrc ? roc : 0;
  return context;
}

Context::~Context() {
  if (session_ != nullptr) {
    srtp_dealloc(static_cast<srtp_t>(session_));
  }
}

Status Context::protectRtp(uint8_t* packet, int& length) {
  return toStatus(srtp_protect(static_cast<srtp_t>(session_), packet, &length));
}

Status Context::unprotectRtp(uint8_t* packet, int& length) {
  return toStatus(srtp_unprotect(static_cast<srtp_t>(session_), packet, &length));
}

Status Context::protectRtcp(uint8_t* packet, int& length) {
  return toStatus(srtp_protect_rtcp(static_cast<srtp_t>(session_), packet, &length));
}

Status Context::unprotectRtcp(uint8_t* packet, int& length) {
  return toStatus(srtp_unprotect_rtcp(static_cast<srtp_t>(session_), packet, &length));
}

uint32_t Context::roc(uint32_t ssrc) const {
  uint32_t value = 0;
  if (srtp_get_stream_roc(static_cast<srtp_t>(session_), ssrc, &value) != srtp_err_status_ok) {
    value = 0;
  }
  if (has_ssrc_ && ssrc == ssrc_ && value < initial_roc_) {
    return initial_roc_;  // not applied yet (or the first packet was from before the wrap)
  }
  return value;
}

}  // namespace sbc::srtp
