#include "mediaplane/srtp/rtp_batch.h"

#include <endian.h>
#include <intel-ipsec-mb.h>
#include <openssl/evp.h>
#include <string.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mediaplane/slab/slab.h"

namespace sbc::srtp {

using mediaplane::Slab;

namespace {

constexpr uint64_t kSeqMedian = 1u << 15;
constexpr int kSeqMax = 1 << 16;
constexpr int kWindow = 128;

struct ManagerDeleter {
  void operator()(IMB_MGR* m) const { free_mb_mgr(m); }
};
using Manager = std::unique_ptr<IMB_MGR, ManagerDeleter>;

// A manager for the best code paths this CPU has. The one that derives a stream's GCM keys
// and the ones that use them must pick the same (the GHASH key layout differs): both come
// from here.
Manager makeManager(std::string& error) {
  Manager m(alloc_mb_mgr(0));
  if (!m) {
    error = "libipsec-mb: cannot allocate a manager";
    return nullptr;
  }
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(m.get(), &arch);
  if (imb_get_errno(m.get()) != 0 || arch == IMB_ARCH_NONE) {
    error = std::string("libipsec-mb: ") + imb_get_strerror(imb_get_errno(m.get()));
    return nullptr;
  }
  return m;
}

// Key derivation runs on control threads (the SRTP service thread, tools): one manager each.
IMB_MGR* derivationManager(std::string& error) {
  thread_local Manager manager = makeManager(error);
  if (!manager && error.empty()) error = "libipsec-mb: no manager on this thread";
  return manager.get();
}

bool isGcm(SrtpSuite s) {
  return s == SrtpSuite::kAeadAes128Gcm || s == SrtpSuite::kAeadAes256Gcm;
}

// Streams on huge pages (mediaplane/slab/slab.h: why), one slab per size: AES-CM streams are
// the object alone, GCM's keys follow it. Never destroyed: streams may outlive statics.
Slab& streamSlab(bool gcm) {
  static_assert(sizeof(RtpStream) % 64 == 0);  // the keys start on a line (libipsec-mb: 16)
  static auto* cm = new Slab(sizeof(RtpStream));
  static auto* withGcm = new Slab(sizeof(RtpStream) + (sizeof(gcm_key_data) + 63) / 64 * 64);
  return gcm ? *withGcm : *cm;
}

// RFC 3711 4.3.1 with a key derivation rate of 0: AES-CM keyed with the master key over
// x = master salt XOR (label << 48), the counter in the last 16 bits. A GCM master salt
// (12 bytes) is padded with zeros to 14 (RFC 7714 11, as libsrtp does).
bool derive(const uint8_t* masterKey, size_t keyLength, const uint8_t* masterSalt,
            size_t saltLength, uint8_t label, uint8_t* out, size_t n) {
  std::array<uint8_t, 64> blocks{};
  const size_t count = (n + 15) / 16;
  if (count * 16 > blocks.size()) return false;
  for (size_t b = 0; b < count; ++b) {
    uint8_t* x = blocks.data() + b * 16;
    std::memcpy(x, masterSalt, saltLength);
    x[7] ^= label;
    x[14] = static_cast<uint8_t>(b >> 8);
    x[15] = static_cast<uint8_t>(b);
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  int written = 0;
  bool ok = EVP_EncryptInit_ex(ctx, keyLength == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb(),
                               nullptr, masterKey, nullptr) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
            EVP_EncryptUpdate(ctx, blocks.data(), &written, blocks.data(),
                              static_cast<int>(count * 16)) == 1 &&
            written == static_cast<int>(count * 16);
  EVP_CIPHER_CTX_free(ctx);
  if (ok) std::memcpy(out, blocks.data(), n);
  explicit_bzero(blocks.data(), blocks.size());
  return ok;
}

// RTP header length (fixed part, CSRCs, extension); 0 if it does not fit in `length`.
int headerLength(const uint8_t* p, int length) {
  if (length < 12) return 0;
  int h = 12 + 4 * (p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (h + 4 > length) return 0;
    h += 4 + 4 * (p[h + 2] << 8 | p[h + 3]);
  }
  return h <= length ? h : 0;
}

// Optimized builds skip libipsec-mb's check of every job (7-10% of the fast path alone):
// queue() builds each job from lengths it has checked. The sanitizer and Debug builds keep the
// check, and the unit tests there compare every suite and payload size with libsrtp.
IMB_JOB* submit(IMB_MGR* m) {
#if defined(NDEBUG) && !defined(SBC_SANITIZE)
  return IMB_SUBMIT_JOB_NOCHECK(m);
#else
  return IMB_SUBMIT_JOB(m);
#endif
}

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// RtpStream

std::unique_ptr<RtpStream> RtpStream::create(SrtpSuite suite, const SrtpMasterKey& key,
                                             uint32_t roc, std::string& error) {
  if (suite >= SrtpSuite::kCount) {
    error = "unknown SRTP suite";
    return nullptr;
  }
  const size_t want = mediaplane::srtpMasterKeyLength(suite);
  if (key.length != want) {
    error = "master key and salt of " + std::to_string(key.length) + " bytes, " +
            std::string(mediaplane::srtpSuiteName(suite)) + " takes " + std::to_string(want);
    return nullptr;
  }
  IMB_MGR* m = derivationManager(error);
  if (m == nullptr) return nullptr;

  // AES-CM streams are the object alone; GCM's keys follow it.
  const bool gcm = isGcm(suite);
  void* memory = nullptr;
  try {
    memory = streamSlab(gcm).allocate();
  } catch (const std::bad_alloc&) {
    error = "out of memory for an SRTP stream";
    return nullptr;
  }
  std::unique_ptr<RtpStream> s(new (memory) RtpStream());

  s->index_ = roc != 0 ? kPending | uint64_t{roc} << 16 : 0;
  const uint8_t keyLength = suite == SrtpSuite::kAeadAes256Gcm ? 32 : 16;
  s->flags_ = static_cast<uint8_t>((gcm ? kGcm : 0) | (keyLength == 32 ? kAes256 : 0));
  s->tag_length_ = static_cast<uint8_t>(rtpTrailer(suite));
  const size_t saltLength = gcm ? 12 : 14;

  std::array<uint8_t, 14> masterSalt{};
  std::memcpy(masterSalt.data(), key.bytes.data() + keyLength, saltLength);
  alignas(16) std::array<uint8_t, 32> sessionKey{};
  std::array<uint8_t, 20> authKey{};
  bool ok = derive(key.bytes.data(), keyLength, masterSalt.data(), masterSalt.size(), 0x00,
                   sessionKey.data(), keyLength) &&
            derive(key.bytes.data(), keyLength, masterSalt.data(), masterSalt.size(), 0x02,
                   s->salt_, saltLength) &&
            (gcm || derive(key.bytes.data(), keyLength, masterSalt.data(), masterSalt.size(), 0x01,
                           authKey.data(), authKey.size()));
  if (ok) {
    if (gcm) {
      auto* keys = new (s->gcmKeys()) gcm_key_data;
      if (keyLength == 32) {
        IMB_AES256_GCM_PRE(m, sessionKey.data(), keys);
      } else {
        IMB_AES128_GCM_PRE(m, sessionKey.data(), keys);
      }
    } else {
      alignas(16) std::array<uint8_t, 16 * 15> decrypt{};  // CTR never decrypts with AES
      IMB_AES_KEYEXP_128(m, sessionKey.data(), s->round_, decrypt.data());
      explicit_bzero(decrypt.data(), decrypt.size());
      // HMAC's inner and outer states after their first block, computed once (RFC 2104).
      alignas(16) std::array<uint8_t, 64> block{};
      for (uint8_t pad : {uint8_t{0x36}, uint8_t{0x5c}}) {
        block.fill(pad);
        for (size_t i = 0; i < authKey.size(); ++i)
          block[i] ^= authKey[i];
        IMB_SHA1_ONE_BLOCK(m, block.data(), pad == 0x36 ? s->ipad_ : s->opad_);
      }
      explicit_bzero(block.data(), block.size());
    }
    ok = imb_get_errno(m) == 0;
  }
  explicit_bzero(masterSalt.data(), masterSalt.size());
  explicit_bzero(sessionKey.data(), sessionKey.size());
  explicit_bzero(authKey.data(), authKey.size());
  if (!ok) {
    error = "SRTP session key derivation failed";
    return nullptr;
  }
  return s;
}

RtpStream::~RtpStream() {
  if (gcm()) explicit_bzero(gcmKeys(), sizeof(gcm_key_data));
  explicit_bzero(round_, sizeof(round_));
  explicit_bzero(ipad_, sizeof(ipad_));
  explicit_bzero(opad_, sizeof(opad_));
  explicit_bzero(salt_, sizeof(salt_));
}

void RtpStream::operator delete(void* p) {
  if (p == nullptr) return;
  Slab& cm = streamSlab(false);
  (cm.owns(p) ? cm : streamSlab(true)).release(p);
}

uint32_t RtpStream::roc() const {
  return static_cast<uint32_t>(index_ >> 16);  // kPending's bit is above the 32 it keeps
}

// ---------------------------------------------------------------------------------------
// The index estimate and the replay window: libsrtp's (crypto/replay/rdbx.c and
// srtp_estimate_index), so that the fast path and libsrtp agree packet for packet.

namespace {

struct Estimate {
  uint64_t index = 0;
  int64_t delta = 0;
  bool advance = false;  // a carried ROC's first packet: the window starts at it
  Status status = Status::kOk;
};

Estimate estimate(uint64_t index, uint32_t pendingRoc, uint16_t seq) {
  Estimate e;
  if (pendingRoc != 0) {
    e.index = uint64_t{pendingRoc} << 16 | seq;
    e.delta = static_cast<int64_t>(e.index - index);
    if (e.index > index && e.index - index > kSeqMedian) {
      e.advance = true;
    } else if (e.index < index && index - e.index > kSeqMedian) {
      e.status = Status::kReplay;
    }
    return e;
  }
  if (index <= kSeqMedian) {
    e.index = seq;
    e.delta = int{seq} - static_cast<uint16_t>(index);
    return e;
  }
  const auto localRoc = static_cast<uint32_t>(index >> 16);
  const auto localSeq = static_cast<uint16_t>(index);
  uint32_t roc = localRoc;
  int difference = int{seq} - localSeq;
  if (localSeq < kSeqMedian) {
    if (int{seq} - localSeq > static_cast<int>(kSeqMedian)) {
      roc = localRoc - 1;
      difference = int{seq} - localSeq - kSeqMax;
    }
  } else if (localSeq - kSeqMedian > seq) {
    roc = localRoc + 1;
    difference = int{seq} - localSeq + kSeqMax;
  }
  e.index = uint64_t{roc} << 16 | seq;
  e.delta = difference;
  return e;
}

bool seen(const uint64_t window[2], int64_t delta) {
  const int64_t n = -delta;  // 0..127
  return (window[n >> 6] >> (n & 63) & 1) != 0;
}

Status check(const uint64_t window[2], int64_t delta) {
  if (delta > 0) return Status::kOk;
  if (delta <= -kWindow) return Status::kReplay;
  return seen(window, delta) ? Status::kReplay : Status::kOk;
}

void add(uint64_t& index, uint64_t window[2], int64_t delta) {
  if (delta > 0) {
    index += static_cast<uint64_t>(delta);
    if (delta >= kWindow) {
      window[0] = window[1] = 0;
    } else if (delta >= 64) {
      window[1] = window[0] << (delta - 64);
      window[0] = 0;
    } else {
      window[1] = window[1] << delta | window[0] >> (64 - delta);
      window[0] <<= delta;
    }
    window[0] |= 1;
  } else {
    const int64_t n = -delta;
    window[n >> 6] |= uint64_t{1} << (n & 63);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// RtpBatch

struct RtpBatch::Job {
  RtpStream* stream = nullptr;
  uint8_t* packet = nullptr;
  uint64_t index = 0;
  int length = 0;  // the length finish() gives
  bool protect = false;
  bool advance = false;
  bool done = false;  // libipsec-mb returned the job
  bool ok = false;    // ... completed
  alignas(16) uint8_t iv[16]{};
  alignas(16) uint8_t tag[20]{};
  uint8_t received[16]{};
};

std::unique_ptr<RtpBatch> RtpBatch::create(std::string& error) {
  Manager m = makeManager(error);
  if (!m) return nullptr;
  std::unique_ptr<RtpBatch> b(new RtpBatch());
  b->manager_ = m.release();
  b->jobs_ = new Job[kCapacity];
  return b;
}

RtpBatch::~RtpBatch() {
  if (manager_ != nullptr) {
    while (IMB_FLUSH_JOB(manager_) != nullptr) {
    }
    free_mb_mgr(manager_);
  }
  delete[] jobs_;
}

Status RtpBatch::protect(RtpStream& stream, uint8_t* packet, int length, uint16_t& id) {
  return queue(stream, packet, length, true, id);
}

Status RtpBatch::unprotect(RtpStream& stream, uint8_t* packet, int length, uint16_t& id) {
  return queue(stream, packet, length, false, id);
}

// Jobs come back in the order they went in; each says which of ours it is.
void RtpBatch::collect(IMB_JOB* done) {
  auto* j = static_cast<Job*>(done->user_data);
  j->done = true;
  j->ok = done->status == IMB_STATUS_COMPLETED;
}

Status RtpBatch::queue(RtpStream& s, uint8_t* packet, int length, bool protect, uint16_t& id) {
  if (count_ == kCapacity) return Status::kError;
  const int tag = s.tag_length_;
  const int body = protect ? length : length - tag;  // header and (cipher) payload
  const int header = headerLength(packet, body);
  if (header == 0) return Status::kError;
  const auto seq = static_cast<uint16_t>(packet[2] << 8 | packet[3]);
  // A pending ROC: libsrtp's window is still at index 0.
  Estimate e = s.pending() ? estimate(0, s.roc(), seq) : estimate(s.index_, 0, seq);
  if (e.status != Status::kOk) return e.status;
  if (!e.advance) {
    Status c = check(s.window_, e.delta);
    if (c != Status::kOk) return c;
  }
  if (protect) {  // a sender takes its index at once (libsrtp: before it encrypts)
    if (e.advance) {
      s.index_ = e.index;
      s.window_[0] = 1;
      s.window_[1] = 0;
    } else {
      add(s.index_, s.window_, e.delta);
    }
  }

  Job& j = jobs_[count_];
  j.stream = &s;
  j.packet = packet;
  j.index = e.index;
  j.protect = protect;
  j.advance = e.advance;
  j.done = false;
  j.ok = false;
  const auto roc = static_cast<uint32_t>(e.index >> 16);
  const int payload = body - header;

  IMB_JOB* job = IMB_GET_NEXT_JOB(manager_);
  job->cipher_direction = protect ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
  job->chain_order = protect ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  job->src = packet;
  job->dst = packet + header;
  job->cipher_start_src_offset_in_bytes = static_cast<uint64_t>(header);
  job->msg_len_to_cipher_in_bytes = static_cast<uint64_t>(payload);
  job->iv = j.iv;
  // Protect: the tag goes where it belongs (kProtectRoom); unprotect: aside, to compare.
  job->auth_tag_output = protect ? packet + body : j.tag;
  job->user_data = &j;
  if (s.gcm()) {
    // RFC 7714 8.1: IV = salt XOR (0, 0, SSRC, ROC, SEQ); the header is the AAD. The SSRC is
    // the stream's, as the packet carries it.
    j.iv[0] = 0;
    j.iv[1] = 0;
    std::memcpy(j.iv + 2, packet + 8, 4);
    put32(j.iv + 6, roc);
    j.iv[10] = packet[2];
    j.iv[11] = packet[3];
    for (int i = 0; i < 12; ++i)
      j.iv[i] ^= s.salt_[i];
    job->cipher_mode = IMB_CIPHER_GCM;
    job->hash_alg = IMB_AUTH_AES_GMAC;
    job->enc_keys = s.gcmKeys();
    job->dec_keys = s.gcmKeys();
    job->key_len_in_bytes = (s.flags_ & RtpStream::kAes256) != 0 ? 32 : 16;
    job->iv_len_in_bytes = 12;
    job->hash_start_src_offset_in_bytes = static_cast<uint64_t>(header);
    job->msg_len_to_hash_in_bytes = static_cast<uint64_t>(payload);
    job->u.GCM.aad = packet;
    job->u.GCM.aad_len_in_bytes = static_cast<uint64_t>(header);
    job->auth_tag_output_len_in_bytes = 16;
    if (!protect) std::memcpy(j.received, packet + body, 16);
  } else {
    // RFC 3711 4.1.1: counter block = salt XOR SSRC XOR index, 16-bit block counter last.
    std::memcpy(j.iv, s.salt_, 14);
    j.iv[14] = 0;
    j.iv[15] = 0;
    for (int i = 0; i < 4; ++i)
      j.iv[4 + i] ^= packet[8 + i];
    // The 48-bit index, big-endian, into bytes 8-13 (14 and 15 take zeros): one 64-bit XOR.
    uint64_t tail;
    std::memcpy(&tail, j.iv + 8, 8);
    tail ^= htobe64(e.index << 16);
    std::memcpy(j.iv + 8, &tail, 8);
    // 4.2: the tag covers header, payload and the ROC, which goes where the tag will be.
    if (!protect) std::memcpy(j.received, packet + body, static_cast<size_t>(tag));
    put32(packet + body, roc);
    job->cipher_mode = payload > 0 ? IMB_CIPHER_CNTR : IMB_CIPHER_NULL;
    job->hash_alg = IMB_AUTH_HMAC_SHA_1;
    job->enc_keys = s.round_;
    job->dec_keys = s.round_;
    job->key_len_in_bytes = 16;
    job->iv_len_in_bytes = 16;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = static_cast<uint64_t>(body + 4);
    job->u.HMAC._hashed_auth_key_xor_ipad = s.ipad_;
    job->u.HMAC._hashed_auth_key_xor_opad = s.opad_;
    job->auth_tag_output_len_in_bytes = 12;
  }
  j.length = protect ? length + tag : body;
  for (IMB_JOB* done = submit(manager_); done != nullptr; done = IMB_GET_COMPLETED_JOB(manager_))
    collect(done);
  id = count_++;
  return Status::kOk;
}

void RtpBatch::run() {
  for (IMB_JOB* done = IMB_FLUSH_JOB(manager_); done != nullptr; done = IMB_FLUSH_JOB(manager_))
    collect(done);
}

Status RtpBatch::finish(uint16_t id, int& length) {
  if (id >= count_) return Status::kError;
  Job& j = jobs_[id];
  if (!j.done || !j.ok) return Status::kError;
  RtpStream& s = *j.stream;
  const int tag = s.tag_length_;
  if (j.protect) {
    length = j.length;
    return Status::kOk;
  }
  uint8_t diff = 0;  // in constant time
  for (int i = 0; i < tag; ++i)
    diff |= static_cast<uint8_t>(j.tag[i] ^ j.received[i]);
  if (diff != 0) return Status::kAuthFail;
  // Again, now that the jobs before this one have moved the window.
  if (j.advance && s.pending()) {
    s.index_ = j.index;
    s.window_[0] = 1;
    s.window_[1] = 0;
  } else {
    const auto delta = static_cast<int64_t>(j.index - s.index_);
    Status c = check(s.window_, delta);
    if (c != Status::kOk) return c;
    add(s.index_, s.window_, delta);
  }
  length = j.length;
  return Status::kOk;
}

}  // namespace sbc::srtp
