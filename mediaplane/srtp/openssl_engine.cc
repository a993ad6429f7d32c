#include <spdlog/spdlog.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "mediaplane/srtp/engine.h"

// Not in libsrtp's installed headers, but exported (crypto_kernel.h in its source): what
// the kernel runs for an id.
extern "C" {
const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t* srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);
}

namespace sbc::srtp::detail {

namespace {

struct BuiltIn {
  const srtp_cipher_type_t* aes_icm_128 = nullptr;
  const srtp_cipher_type_t* aes_icm_256 = nullptr;
  const srtp_cipher_type_t* aes_gcm_128 = nullptr;
  const srtp_cipher_type_t* aes_gcm_256 = nullptr;
  const srtp_auth_type_t* hmac_sha1 = nullptr;
};

BuiltIn& builtIn() {
  static BuiltIn b;
  return b;
}

std::string replaceCipher(const srtp_cipher_type_t* type, srtp_cipher_type_id_t id,
                          const char* what) {
  if (type == nullptr || srtp_crypto_kernel_get_cipher_type(id) == type) {
    return "";
  }
  srtp_err_status_t s = srtp_replace_cipher_type(type, id);
  return s == srtp_err_status_ok ? ""
                                 : std::string("libsrtp refused ") + what + " (status " +
                                       std::to_string(static_cast<int>(s)) + ")";
}

std::string replaceAuth(const srtp_auth_type_t* type, srtp_auth_type_id_t id, const char* what) {
  if (type == nullptr || srtp_crypto_kernel_get_auth_type(id) == type) {
    return "";
  }
  srtp_err_status_t s = srtp_replace_auth_type(type, id);
  return s == srtp_err_status_ok ? ""
                                 : std::string("libsrtp refused ") + what + " (status " +
                                       std::to_string(static_cast<int>(s)) + ")";
}

}  // namespace

void saveBuiltInTypes() {
  BuiltIn& b = builtIn();
  b.aes_icm_128 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128);
  b.aes_icm_256 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_256);
  b.aes_gcm_128 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_128);
  b.aes_gcm_256 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_256);
  b.hmac_sha1 = srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1);
}

std::string installBuiltInTypes() {
  const BuiltIn& b = builtIn();
  std::string error;
  for (std::string e : {replaceCipher(b.aes_icm_128, SRTP_AES_ICM_128, "built-in AES-ICM-128"),
                        replaceCipher(b.aes_icm_256, SRTP_AES_ICM_256, "built-in AES-ICM-256"),
                        replaceCipher(b.aes_gcm_128, SRTP_AES_GCM_128, "built-in AES-GCM-128"),
                        replaceCipher(b.aes_gcm_256, SRTP_AES_GCM_256, "built-in AES-GCM-256"),
                        replaceAuth(b.hmac_sha1, SRTP_HMAC_SHA1, "built-in HMAC-SHA1")}) {
    if (error.empty()) {
      error = e;
    }
  }
  return error;
}

std::string installOpensslTypes() {
  // First cut: the OpenSSL types are not written yet; the built-in ones run.
  spdlog::warn("SRTP: OpenSSL engine not available yet, libsrtp's built-in crypto runs");
  return installBuiltInTypes();
}

}  // namespace sbc::srtp::detail
