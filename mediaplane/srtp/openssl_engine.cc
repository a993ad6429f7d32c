// The OpenSSL engine: libsrtp crypto kernel types (its srtp_cipher_type_t and
// srtp_auth_type_t) for AES-ICM, AES-GCM and HMAC-SHA1 that run OpenSSL's libcrypto, which
// uses AES-NI, PCLMULQDQ and the SHA extensions. Everything a packet needs is set up when
// libsrtp allocates and keys the cipher or MAC (one EVP_CIPHER_CTX per cipher, the HMAC's
// inner and outer SHA-1 states precomputed), so protect and unprotect never allocate.

// SHA1_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP_MD, whose provider
// dispatch and context copies cost more than the hash of a voice packet; this file alone
// keeps the low-level calls (README.md: figures).
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "mediaplane/srtp/engine.h"

// Not in libsrtp's installed headers, but exported (crypto_kernel.h in its source): the type
// the kernel runs for an id.
extern "C" {
const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t* srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);
}

namespace sbc::srtp::detail {

namespace {

// Calls into OpenSSL on this thread (tests prove with it which engine ran); per thread so
// that lcores share no cache line for it.
thread_local uint64_t t_openssl_calls = 0;

// The types, filled by saveBuiltInTypes() (the known answers of some come from libsrtp's
// built-in types, read then).
srtp_cipher_type_t g_icm128{};
srtp_cipher_type_t g_icm256{};
srtp_cipher_type_t g_gcm128{};
srtp_cipher_type_t g_gcm256{};
srtp_auth_type_t g_hmac{};

// ---------------------------------------------------------------------------------------
// AES-ICM (RFC 3711 4.1.1): AES in counter mode, counter block i = (salt * 2^16) XOR IV
// with i in its low 16 bits. libsrtp gives the IV per packet (and per KDF label). The key
// stream is made by encrypting counter blocks with AES-ECB, keyed once per key: no EVP
// re-initialization per packet (an IV reset through OpenSSL 3's provider layer took about
// a sixth of an AES-CM packet's time).

constexpr size_t kIcmChunkBlocks = 32;  // key stream made 512 bytes at a time

// out = in XOR stream, `n` bytes (in may be out).
inline void xorInto(uint8_t* out, const uint8_t* in, const uint8_t* stream, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t data;
    uint64_t key;
    std::memcpy(&data, in + i, 8);
    std::memcpy(&key, stream + i, 8);
    data ^= key;
    std::memcpy(out + i, &data, 8);
  }
  for (; i < n; ++i) {
    out[i] = in[i] ^ stream[i];
  }
}

struct IcmCipher {
  srtp_cipher_t base;               // first: libsrtp hands back this pointer to dealloc
  EVP_CIPHER_CTX* ecb;              // AES-ECB under the session key
  int key_size;                     // 16 or 32: the AES key, without the salt
  uint32_t blocks;                  // counter blocks used since the IV (at most 2^16)
  uint32_t stream_left;             // bytes of `stream` not used yet
  alignas(16) uint8_t offset[16];   // the salt, low two bytes zero
  alignas(16) uint8_t counter[16];  // offset XOR IV: block i has i in bytes 14..15
  alignas(16) uint8_t stream[16];   // the key stream of the last block made
};

srtp_err_status_t icmAlloc(srtp_cipher_t** c, int key_len, int /*tag_len*/) {
  const srtp_cipher_type_t* type = nullptr;
  int key_size = 0;
  if (key_len == SRTP_AES_ICM_128_KEY_LEN_WSALT) {
    type = &g_icm128;
    key_size = SRTP_AES_128_KEY_LEN;
  } else if (key_len == SRTP_AES_ICM_256_KEY_LEN_WSALT) {
    type = &g_icm256;
    key_size = SRTP_AES_256_KEY_LEN;
  } else {
    return srtp_err_status_bad_param;
  }
  auto* icm = static_cast<IcmCipher*>(std::calloc(1, sizeof(IcmCipher)));
  if (icm == nullptr) {
    return srtp_err_status_alloc_fail;
  }
  icm->ecb = EVP_CIPHER_CTX_new();
  if (icm->ecb == nullptr) {
    std::free(icm);
    return srtp_err_status_alloc_fail;
  }
  icm->key_size = key_size;
  icm->base.type = type;
  icm->base.state = icm;
  icm->base.key_len = key_len;
  icm->base.algorithm = type->id;
  *c = &icm->base;
  return srtp_err_status_ok;
}

srtp_err_status_t icmDealloc(srtp_cipher_t* c) {
  if (c == nullptr) {
    return srtp_err_status_bad_param;
  }
  auto* icm = reinterpret_cast<IcmCipher*>(c);
  EVP_CIPHER_CTX_free(icm->ecb);
  OPENSSL_cleanse(icm, sizeof(*icm));
  std::free(icm);
  return srtp_err_status_ok;
}

srtp_err_status_t icmInit(void* state, const uint8_t* key) {
  auto* icm = static_cast<IcmCipher*>(state);
  std::memset(icm->offset, 0, sizeof(icm->offset));
  std::memcpy(icm->offset, key + icm->key_size, SRTP_SALT_LEN);
  std::memcpy(icm->counter, icm->offset, sizeof(icm->counter));
  icm->blocks = 0;
  icm->stream_left = 0;
  const EVP_CIPHER* evp =
      icm->key_size == SRTP_AES_256_KEY_LEN ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
  if (EVP_EncryptInit_ex(icm->ecb, evp, nullptr, key, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(icm->ecb, 0) != 1) {
    return srtp_err_status_init_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t icmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t /*dir*/) {
  auto* icm = static_cast<IcmCipher*>(state);
  for (int i = 0; i < 16; ++i) {
    icm->counter[i] = icm->offset[i] ^ iv[i];
  }
  icm->blocks = 0;
  icm->stream_left = 0;
  return srtp_err_status_ok;
}

// Counter mode: encrypting and decrypting are the same XOR with the key stream, which goes
// on where the last call left it (libsrtp may ask for a prefix, then the payload). Block
// i's counter is the IV's with i added to its low 16 bits, modulo 2^16, as libsrtp's own
// AES-ICM does; more than 2^16 blocks under one IV is refused as it refuses it.
srtp_err_status_t icmEncrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* icm = static_cast<IcmCipher*>(state);
  size_t n = *octets;
  if (n > icm->stream_left + (size_t{0x10000} - icm->blocks) * 16) {
    return srtp_err_status_terminus;
  }
  ++t_openssl_calls;
  uint8_t* p = buffer;
  while (n > 0 && icm->stream_left > 0) {
    *p++ ^= icm->stream[16 - icm->stream_left--];
    --n;
  }
  alignas(16) uint8_t counters[kIcmChunkBlocks * 16];
  alignas(16) uint8_t stream[kIcmChunkBlocks * 16];
  const uint16_t base = static_cast<uint16_t>((icm->counter[14] << 8) | icm->counter[15]);
  while (n > 0) {
    size_t blocks = std::min(kIcmChunkBlocks, (n + 15) / 16);
    for (size_t b = 0; b < blocks; ++b) {
      uint8_t* block = counters + b * 16;
      std::memcpy(block, icm->counter, 16);
      auto index = static_cast<uint16_t>(base + icm->blocks + b);
      block[14] = static_cast<uint8_t>(index >> 8);
      block[15] = static_cast<uint8_t>(index);
    }
    const size_t made = blocks * 16;
    if (EVP_Cipher(icm->ecb, stream, counters, static_cast<unsigned int>(made)) <= 0) {
      return srtp_err_status_cipher_fail;
    }
    icm->blocks += static_cast<uint32_t>(blocks);
    const size_t used = std::min(n, made);
    xorInto(p, p, stream, used);
    if (used < made) {  // the tail of the last block waits for the next call
      std::memcpy(icm->stream, stream + made - 16, 16);
      icm->stream_left = static_cast<uint32_t>(made - used);
    }
    p += used;
    n -= used;
  }
  return srtp_err_status_ok;
}

// RFC 3711 B.2: key 2B7E1516 28AED2A6 ABF71588 09CF4F3C, salt F0F1..FD, the key stream of
// IV 0 (the counter blocks F0F1..FD0000 to ..0002), as 48 zero bytes encrypted.
const uint8_t kIcm128Key[30] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
                                0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
                                0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
uint8_t kIcm128Iv[16] = {};
const uint8_t kIcm128Plain[48] = {};
const uint8_t kIcm128Cipher[48] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
    0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0};
const srtp_cipher_test_case_t kIcm128Test = {
    30, kIcm128Key, kIcm128Iv, 48, kIcm128Plain, 48, kIcm128Cipher, 0, nullptr, 0, nullptr};

srtp_cipher_type_t makeIcm(const char* description, const srtp_cipher_test_case_t* test,
                           srtp_cipher_type_id_t id) {
  srtp_cipher_type_t t{};
  t.alloc = icmAlloc;
  t.dealloc = icmDealloc;
  t.init = icmInit;
  t.set_aad = nullptr;
  t.encrypt = icmEncrypt;
  t.decrypt = icmEncrypt;
  t.set_iv = icmSetIv;
  t.get_tag = nullptr;
  t.description = description;
  t.test_data = test;
  t.id = id;
  return t;
}

// ---------------------------------------------------------------------------------------
// AES-GCM (RFC 7714): libsrtp computes the 12-byte IV from the salt and gives it with the
// direction, then the AAD (header; for SRTCP also the E flag and index), then the payload.
// OpenSSL's GCM through EVP re-reads its parameters on every IV (about a quarter of the
// time of a voice packet), so this runs OpenSSL's GCM mode (CRYPTO_gcm128_*, its GHASH with
// PCLMULQDQ) directly, over AES-ECB from EVP (AES-NI) keyed once.

// GCM's counter mode over `key` (an AES-ECB EVP_CIPHER_CTX): `blocks` blocks from the
// counter block `ivec`, whose last 32 bits count (big-endian).
void gcmCtr32(const unsigned char* in, unsigned char* out, size_t blocks, const void* key,
              const unsigned char ivec[16]) {
  auto* ecb = static_cast<EVP_CIPHER_CTX*>(const_cast<void*>(key));
  alignas(16) uint8_t counters[kIcmChunkBlocks * 16];
  alignas(16) uint8_t stream[kIcmChunkBlocks * 16];
  uint32_t count = (uint32_t{ivec[12]} << 24) | (uint32_t{ivec[13]} << 16) |
                   (uint32_t{ivec[14]} << 8) | uint32_t{ivec[15]};
  while (blocks > 0) {
    size_t chunk = std::min(kIcmChunkBlocks, blocks);
    for (size_t b = 0; b < chunk; ++b) {
      uint8_t* block = counters + b * 16;
      std::memcpy(block, ivec, 12);
      block[12] = static_cast<uint8_t>(count >> 24);
      block[13] = static_cast<uint8_t>(count >> 16);
      block[14] = static_cast<uint8_t>(count >> 8);
      block[15] = static_cast<uint8_t>(count);
      ++count;
    }
    EVP_Cipher(ecb, stream, counters, static_cast<unsigned int>(chunk * 16));
    xorInto(out, in, stream, chunk * 16);
    in += chunk * 16;
    out += chunk * 16;
    blocks -= chunk;
  }
}

void gcmBlock(const unsigned char in[16], unsigned char out[16], const void* key) {
  EVP_Cipher(static_cast<EVP_CIPHER_CTX*>(const_cast<void*>(key)), out, in, 16);
}

struct GcmCipher {
  srtp_cipher_t base;
  EVP_CIPHER_CTX* ecb;  // AES-ECB under the session key
  GCM128_CONTEXT* gcm;  // made at the first key (it needs one)
  int key_size;
  int tag_len;
  srtp_cipher_direction_t dir;
};

srtp_err_status_t gcmAlloc(srtp_cipher_t** c, int key_len, int tag_len) {
  const srtp_cipher_type_t* type = nullptr;
  int key_size = 0;
  if (key_len == SRTP_AES_GCM_128_KEY_LEN_WSALT) {
    type = &g_gcm128;
    key_size = SRTP_AES_128_KEY_LEN;
  } else if (key_len == SRTP_AES_GCM_256_KEY_LEN_WSALT) {
    type = &g_gcm256;
    key_size = SRTP_AES_256_KEY_LEN;
  } else {
    return srtp_err_status_bad_param;
  }
  if (tag_len != 16 && tag_len != 8) {
    return srtp_err_status_bad_param;
  }
  auto* gcm = static_cast<GcmCipher*>(std::calloc(1, sizeof(GcmCipher)));
  if (gcm == nullptr) {
    return srtp_err_status_alloc_fail;
  }
  gcm->ecb = EVP_CIPHER_CTX_new();
  if (gcm->ecb == nullptr) {
    std::free(gcm);
    return srtp_err_status_alloc_fail;
  }
  gcm->key_size = key_size;
  gcm->tag_len = tag_len;
  gcm->dir = srtp_direction_any;
  gcm->base.type = type;
  gcm->base.state = gcm;
  gcm->base.key_len = key_len;
  gcm->base.algorithm = type->id;
  *c = &gcm->base;
  return srtp_err_status_ok;
}

srtp_err_status_t gcmDealloc(srtp_cipher_t* c) {
  if (c == nullptr) {
    return srtp_err_status_bad_param;
  }
  auto* gcm = reinterpret_cast<GcmCipher*>(c);
  if (gcm->gcm != nullptr) {
    CRYPTO_gcm128_release(gcm->gcm);  // wipes it
  }
  EVP_CIPHER_CTX_free(gcm->ecb);
  OPENSSL_cleanse(gcm, sizeof(*gcm));
  std::free(gcm);
  return srtp_err_status_ok;
}

srtp_err_status_t gcmInit(void* state, const uint8_t* key) {
  auto* gcm = static_cast<GcmCipher*>(state);
  gcm->dir = srtp_direction_any;
  const EVP_CIPHER* evp =
      gcm->key_size == SRTP_AES_256_KEY_LEN ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
  if (EVP_EncryptInit_ex(gcm->ecb, evp, nullptr, key, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(gcm->ecb, 0) != 1) {
    return srtp_err_status_init_fail;
  }
  if (gcm->gcm == nullptr) {
    gcm->gcm = CRYPTO_gcm128_new(gcm->ecb, gcmBlock);
    if (gcm->gcm == nullptr) {
      return srtp_err_status_alloc_fail;
    }
  } else {
    CRYPTO_gcm128_init(gcm->gcm, gcm->ecb, gcmBlock);
  }
  return srtp_err_status_ok;
}

srtp_err_status_t gcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t dir) {
  auto* gcm = static_cast<GcmCipher*>(state);
  if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt) {
    return srtp_err_status_bad_param;
  }
  if (gcm->gcm == nullptr) {
    return srtp_err_status_init_fail;
  }
  gcm->dir = dir;
  CRYPTO_gcm128_setiv(gcm->gcm, iv, 12);
  return srtp_err_status_ok;
}

srtp_err_status_t gcmSetAad(void* state, const uint8_t* aad, uint32_t aad_len) {
  auto* gcm = static_cast<GcmCipher*>(state);
  if (gcm->dir == srtp_direction_any || CRYPTO_gcm128_aad(gcm->gcm, aad, aad_len) != 0) {
    return srtp_err_status_algo_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t gcmEncrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* gcm = static_cast<GcmCipher*>(state);
  if (gcm->dir != srtp_direction_encrypt) {
    return srtp_err_status_bad_param;
  }
  ++t_openssl_calls;
  if (CRYPTO_gcm128_encrypt_ctr32(gcm->gcm, buffer, buffer, *octets, gcmCtr32) != 0) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t gcmGetTag(void* state, uint8_t* tag, uint32_t* len) {
  auto* gcm = static_cast<GcmCipher*>(state);
  if (gcm->dir != srtp_direction_encrypt) {
    return srtp_err_status_bad_param;
  }
  CRYPTO_gcm128_tag(gcm->gcm, tag, static_cast<size_t>(gcm->tag_len));
  *len = static_cast<uint32_t>(gcm->tag_len);
  return srtp_err_status_ok;
}

// `buffer` holds the ciphertext and then the tag; on success `octets` loses the tag.
srtp_err_status_t gcmDecrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* gcm = static_cast<GcmCipher*>(state);
  if (gcm->dir != srtp_direction_decrypt || *octets < static_cast<unsigned int>(gcm->tag_len)) {
    return srtp_err_status_bad_param;
  }
  ++t_openssl_calls;
  size_t length = *octets - static_cast<unsigned int>(gcm->tag_len);
  if (CRYPTO_gcm128_decrypt_ctr32(gcm->gcm, buffer, buffer, length, gcmCtr32) != 0) {
    return srtp_err_status_cipher_fail;
  }
  // Constant time (CRYPTO_memcmp).
  if (CRYPTO_gcm128_finish(gcm->gcm, buffer + length, static_cast<size_t>(gcm->tag_len)) != 0) {
    return srtp_err_status_auth_fail;
  }
  *octets = static_cast<unsigned int>(length);
  return srtp_err_status_ok;
}

srtp_cipher_type_t makeGcm(const char* description, const srtp_cipher_test_case_t* test,
                           srtp_cipher_type_id_t id) {
  srtp_cipher_type_t t{};
  t.alloc = gcmAlloc;
  t.dealloc = gcmDealloc;
  t.init = gcmInit;
  t.set_aad = gcmSetAad;
  t.encrypt = gcmEncrypt;
  t.decrypt = gcmDecrypt;
  t.set_iv = gcmSetIv;
  t.get_tag = gcmGetTag;
  t.description = description;
  t.test_data = test;
  t.id = id;
  return t;
}

// ---------------------------------------------------------------------------------------
// HMAC-SHA1 (RFC 2104) with the keyed inner and outer states computed once per key: a
// packet costs its own blocks plus one outer block, not the two key blocks again.

struct Hmac {
  srtp_auth_t base;
  SHA_CTX inner_start;  // after H(K ^ ipad)
  SHA_CTX outer_start;  // after H(K ^ opad)
  SHA_CTX running;
};

srtp_err_status_t hmacAlloc(srtp_auth_t** a, int key_len, int out_len) {
  if (out_len > SHA_DIGEST_LENGTH || out_len < 0 || key_len < 0 || key_len > SHA_CBLOCK) {
    return srtp_err_status_bad_param;
  }
  auto* hmac = static_cast<Hmac*>(std::calloc(1, sizeof(Hmac)));
  if (hmac == nullptr) {
    return srtp_err_status_alloc_fail;
  }
  hmac->base.type = &g_hmac;
  hmac->base.state = hmac;
  hmac->base.out_len = out_len;
  hmac->base.key_len = key_len;
  hmac->base.prefix_len = 0;
  *a = &hmac->base;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacDealloc(srtp_auth_t* a) {
  if (a == nullptr) {
    return srtp_err_status_bad_param;
  }
  auto* hmac = reinterpret_cast<Hmac*>(a);
  OPENSSL_cleanse(hmac, sizeof(*hmac));
  std::free(hmac);
  return srtp_err_status_ok;
}

srtp_err_status_t hmacInit(void* state, const uint8_t* key, int key_len) {
  auto* hmac = static_cast<Hmac*>(state);
  if (key_len < 0 || key_len > SHA_CBLOCK) {
    return srtp_err_status_bad_param;
  }
  uint8_t ipad[SHA_CBLOCK];
  uint8_t opad[SHA_CBLOCK];
  for (int i = 0; i < SHA_CBLOCK; ++i) {
    uint8_t k = i < key_len ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  SHA1_Init(&hmac->inner_start);
  SHA1_Update(&hmac->inner_start, ipad, sizeof(ipad));
  SHA1_Init(&hmac->outer_start);
  SHA1_Update(&hmac->outer_start, opad, sizeof(opad));
  hmac->running = hmac->inner_start;
  OPENSSL_cleanse(ipad, sizeof(ipad));
  OPENSSL_cleanse(opad, sizeof(opad));
  return srtp_err_status_ok;
}

srtp_err_status_t hmacStart(void* state) {
  auto* hmac = static_cast<Hmac*>(state);
  hmac->running = hmac->inner_start;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacUpdate(void* state, const uint8_t* message, int octets) {
  auto* hmac = static_cast<Hmac*>(state);
  ++t_openssl_calls;
  SHA1_Update(&hmac->running, message, static_cast<size_t>(octets));
  return srtp_err_status_ok;
}

srtp_err_status_t hmacCompute(void* state, const uint8_t* message, int octets, int tag_len,
                              uint8_t* result) {
  auto* hmac = static_cast<Hmac*>(state);
  if (tag_len < 0 || tag_len > SHA_DIGEST_LENGTH) {
    return srtp_err_status_bad_param;
  }
  ++t_openssl_calls;
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1_Update(&hmac->running, message, static_cast<size_t>(octets));
  SHA1_Final(digest, &hmac->running);
  SHA_CTX outer = hmac->outer_start;
  SHA1_Update(&outer, digest, sizeof(digest));
  SHA1_Final(digest, &outer);
  std::memcpy(result, digest, static_cast<size_t>(tag_len));
  return srtp_err_status_ok;
}

// RFC 2202 test case 1: key 0x0b x 20, "Hi There".
const uint8_t kHmacKey[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                              0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
const uint8_t kHmacData[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
const uint8_t kHmacTag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                              0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
const srtp_auth_test_case_t kHmacTest = {20, kHmacKey, 8, kHmacData, 20, kHmacTag, nullptr};

// libsrtp's own known answers for the types we have none of our own for (AES-256-ICM and
// GCM), taken from its built-in types. libsrtp also runs the built-in type's answers
// against ours before it accepts a replacement.
const srtp_cipher_test_case_t* builtInTest(srtp_cipher_type_id_t id) {
  const srtp_cipher_type_t* t = srtp_crypto_kernel_get_cipher_type(id);
  return t != nullptr ? t->test_data : nullptr;
}

struct BuiltIn {
  const srtp_cipher_type_t* aes_icm_128 = nullptr;
  const srtp_cipher_type_t* aes_icm_256 = nullptr;
  const srtp_cipher_type_t* aes_gcm_128 = nullptr;
  const srtp_cipher_type_t* aes_gcm_256 = nullptr;
  const srtp_auth_type_t* hmac_sha1 = nullptr;
};

BuiltIn g_built_in;

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
  g_built_in.aes_icm_128 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128);
  g_built_in.aes_icm_256 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_256);
  g_built_in.aes_gcm_128 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_128);
  g_built_in.aes_gcm_256 = srtp_crypto_kernel_get_cipher_type(SRTP_AES_GCM_256);
  g_built_in.hmac_sha1 = srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1);

  g_icm128 = makeIcm("AES-128 ICM (OpenSSL, sbc)", &kIcm128Test, SRTP_AES_ICM_128);
  g_icm256 = makeIcm("AES-256 ICM (OpenSSL, sbc)", builtInTest(SRTP_AES_ICM_256), SRTP_AES_ICM_256);
  g_gcm128 = makeGcm("AES-128 GCM (OpenSSL, sbc)", builtInTest(SRTP_AES_GCM_128), SRTP_AES_GCM_128);
  g_gcm256 = makeGcm("AES-256 GCM (OpenSSL, sbc)", builtInTest(SRTP_AES_GCM_256), SRTP_AES_GCM_256);
  g_hmac = srtp_auth_type_t{hmacAlloc,
                            hmacDealloc,
                            hmacInit,
                            hmacCompute,
                            hmacUpdate,
                            hmacStart,
                            "HMAC-SHA1 (OpenSSL, sbc)",
                            &kHmacTest,
                            SRTP_HMAC_SHA1};
}

std::string installBuiltInTypes() {
  const BuiltIn& b = g_built_in;
  std::string error;
  for (const std::string& e :
       {replaceCipher(b.aes_icm_128, SRTP_AES_ICM_128, "built-in AES-ICM-128"),
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
  std::string error;
  for (const std::string& e : {replaceCipher(&g_icm128, SRTP_AES_ICM_128, "OpenSSL AES-ICM-128"),
                               replaceCipher(&g_icm256, SRTP_AES_ICM_256, "OpenSSL AES-ICM-256"),
                               replaceCipher(&g_gcm128, SRTP_AES_GCM_128, "OpenSSL AES-GCM-128"),
                               replaceCipher(&g_gcm256, SRTP_AES_GCM_256, "OpenSSL AES-GCM-256"),
                               replaceAuth(&g_hmac, SRTP_HMAC_SHA1, "OpenSSL HMAC-SHA1")}) {
    if (error.empty()) {
      error = e;
    }
  }
  if (!error.empty()) {
    installBuiltInTypes();  // never half of each
  }
  return error;
}

uint64_t opensslCallsOnThisThread() {
  return t_openssl_calls;
}

}  // namespace sbc::srtp::detail
