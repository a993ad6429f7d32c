// sbc::srtp::RtpBatch (the relay's libipsec-mb RTP fast path) against libsrtp
// (sbc::srtp::Context): byte-identical SRTP both ways for every suite, payload sizes from 0
// to 1200, CSRCs and header extensions, a carried ROC, the wrap past 65535, replays and
// tampering, and many streams' packets mixed in one batch.

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mediaplane/srtp/context.h"
#include "mediaplane/srtp/rtp_batch.h"
#include "tests/unit/counting_malloc.h"

namespace sbc::srtp {
namespace {

constexpr SrtpSuite kSuites[] = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                                 SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm};

SrtpMasterKey keyFor(SrtpSuite suite, uint32_t seed) {
  SrtpMasterKey key;
  key.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  std::mt19937 rng(seed);
  for (size_t i = 0; i < key.length; ++i)
    key.bytes[i] = static_cast<uint8_t>(rng());
  return key;
}

// An RTP packet in a buffer with room for any tag.
struct Packet {
  std::array<uint8_t, 1600> bytes{};
  int length = 0;
};

Packet rtp(uint32_t ssrc, uint16_t seq, int payload, int csrcs = 0, int extensionWords = -1,
           uint8_t fill = 0) {
  Packet p;
  uint8_t* b = p.bytes.data();
  b[0] = static_cast<uint8_t>(0x80 | csrcs | (extensionWords >= 0 ? 0x10 : 0));
  b[1] = 0;
  b[2] = static_cast<uint8_t>(seq >> 8);
  b[3] = static_cast<uint8_t>(seq);
  const uint32_t ts = seq * 160u;
  for (int i = 0; i < 4; ++i) {
    b[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  }
  int h = 12;
  for (int c = 0; c < csrcs; ++c, h += 4)
    std::memset(b + h, 0x40 + c, 4);
  if (extensionWords >= 0) {
    b[h] = 0xbe;
    b[h + 1] = 0xde;
    b[h + 2] = 0;
    b[h + 3] = static_cast<uint8_t>(extensionWords);
    h += 4;
    for (int w = 0; w < extensionWords * 4; ++w)
      b[h++] = static_cast<uint8_t>(0x11 * w);
  }
  for (int i = 0; i < payload; ++i)
    b[h + i] = static_cast<uint8_t>(fill + i * 7 + seq);
  p.length = h + payload;
  return p;
}

std::unique_ptr<Context> libsrtp(SrtpSuite suite, const SrtpMasterKey& key, Direction d,
                                 uint32_t ssrc, uint32_t roc = 0) {
  std::string error;
  auto c = Context::create(suite, key, d, ssrc, roc, error);
  EXPECT_NE(c, nullptr) << error;
  return c;
}

// A fast-path stream; protect or unprotect, the SSRC is the packets'.
std::unique_ptr<RtpStream> fast(SrtpSuite suite, const SrtpMasterKey& key, uint32_t roc = 0) {
  std::string error;
  auto s = RtpStream::create(suite, key, roc, error);
  EXPECT_NE(s, nullptr) << error;
  return s;
}

class RtpBatchTest : public ::testing::TestWithParam<SrtpSuite> {
 protected:
  void SetUp() override {
    ASSERT_EQ(initialize(Engine::kOpenssl), "");
    std::string error;
    batch_ = RtpBatch::create(error);
    ASSERT_NE(batch_, nullptr) << error;
  }

  // One packet through the batch alone.
  Status one(RtpStream& s, Packet& p, bool protect) {
    uint16_t id = 0;
    batch_->reset();
    Status q = protect ? batch_->protect(s, p.bytes.data(), p.length, id)
                       : batch_->unprotect(s, p.bytes.data(), p.length, id);
    if (q != Status::kOk) return q;
    batch_->run();
    return batch_->finish(id, p.length);
  }

  std::unique_ptr<RtpBatch> batch_;
};

// The fast path protects exactly as libsrtp does, and libsrtp unprotects it; libsrtp's
// packets unprotect on the fast path, back to the original bytes.
TEST_P(RtpBatchTest, SameBytesAsLibsrtpBothWays) {
  const SrtpSuite suite = GetParam();
  const SrtpMasterKey key = keyFor(suite, 7);
  const uint32_t ssrc = 0x11223344;
  auto fastTx = fast(suite, key);
  auto fastRx = fast(suite, key);
  auto refTx = libsrtp(suite, key, Direction::kProtect, ssrc);
  auto refRx = libsrtp(suite, key, Direction::kUnprotect, ssrc);
  ASSERT_TRUE(fastTx && fastRx && refTx && refRx);
  uint16_t seq = 1000;
  const int payloads[] = {0, 1, 15, 16, 17, 160, 333, 1200};
  for (int payload : payloads) {
    for (int shape = 0; shape < 3; ++shape) {
      const int csrcs = shape == 1 ? 2 : 0;
      const int ext = shape == 2 ? 3 : -1;
      const Packet plain = rtp(ssrc, ++seq, payload, csrcs, ext);
      Packet a = plain;
      Packet b = plain;
      ASSERT_EQ(one(*fastTx, a, true), Status::kOk) << payload;
      ASSERT_EQ(refTx->protectRtp(b.bytes.data(), b.length), Status::kOk);
      ASSERT_EQ(a.length, b.length);
      ASSERT_EQ(a.length, plain.length + static_cast<int>(rtpTrailer(suite)));
      EXPECT_EQ(std::memcmp(a.bytes.data(), b.bytes.data(), a.length), 0)
          << "payload " << payload << " shape " << shape;
      if (payload > 0) {
        EXPECT_NE(std::memcmp(a.bytes.data(), plain.bytes.data(), plain.length), 0);
      }
      Packet c = a;
      ASSERT_EQ(refRx->unprotectRtp(a.bytes.data(), a.length), Status::kOk);
      ASSERT_EQ(one(*fastRx, c, false), Status::kOk);
      ASSERT_EQ(c.length, plain.length);
      EXPECT_EQ(std::memcmp(c.bytes.data(), plain.bytes.data(), plain.length), 0);
      EXPECT_EQ(a.length, plain.length);
    }
  }
}

// Across the wrap from 65535 to 0 (the ROC moves to 1) with some reordering, and from a
// carried ROC: both ends agree on every packet, and on the ROC.
TEST_P(RtpBatchTest, WrapAndCarriedRocMatchLibsrtp) {
  const SrtpSuite suite = GetParam();
  const SrtpMasterKey key = keyFor(suite, 9);
  const uint32_t ssrc = 0xcafe0001;
  for (uint32_t startRoc : {0u, 5u}) {
    auto fastTx = fast(suite, key, startRoc);
    auto refRx = libsrtp(suite, key, Direction::kUnprotect, ssrc, startRoc);
    auto refTx = libsrtp(suite, key, Direction::kProtect, ssrc, startRoc);
    auto fastRx = fast(suite, key, startRoc);
    ASSERT_TRUE(fastTx && fastRx && refTx && refRx);
    EXPECT_EQ(fastTx->roc(), startRoc);
    std::vector<uint16_t> order;
    for (uint32_t s = 65500; s < 65536 + 40; ++s)
      order.push_back(static_cast<uint16_t>(s));
    std::swap(order[10], order[11]);  // reordered before the wrap
    std::swap(order[36], order[37]);  // and across it (65535 and 0)
    for (uint16_t seq : order) {
      const Packet plain = rtp(ssrc, seq, 160);
      Packet a = plain;
      Packet b = plain;
      ASSERT_EQ(one(*fastTx, a, true), Status::kOk) << seq;
      ASSERT_EQ(refTx->protectRtp(b.bytes.data(), b.length), Status::kOk) << seq;
      ASSERT_EQ(a.length, b.length);
      ASSERT_EQ(std::memcmp(a.bytes.data(), b.bytes.data(), a.length), 0) << "seq " << seq;
      ASSERT_EQ(one(*fastRx, b, false), Status::kOk) << seq;
      ASSERT_EQ(refRx->unprotectRtp(a.bytes.data(), a.length), Status::kOk) << seq;
    }
    EXPECT_EQ(fastTx->roc(), startRoc + 1);
    EXPECT_EQ(fastRx->roc(), startRoc + 1);
    EXPECT_EQ(refRx->roc(ssrc), startRoc + 1);
  }
}

// Replays (inside and beyond the 128-packet window) and tampered or truncated packets are
// refused with the status libsrtp gives, and the stream goes on.
TEST_P(RtpBatchTest, ReplayTamperAndShortPackets) {
  const SrtpSuite suite = GetParam();
  const SrtpMasterKey key = keyFor(suite, 11);
  const uint32_t ssrc = 42;
  auto tx = fast(suite, key);
  auto rx = fast(suite, key);
  ASSERT_TRUE(tx && rx);
  std::vector<Packet> sent;
  for (uint16_t seq = 1; seq <= 300; ++seq) {
    Packet p = rtp(ssrc, seq, 160);
    ASSERT_EQ(one(*tx, p, true), Status::kOk);
    sent.push_back(p);
  }
  // A sender never reuses an index.
  Packet again = rtp(ssrc, 300, 160);
  EXPECT_EQ(one(*tx, again, true), Status::kReplay);

  for (size_t i = 0; i < 200; ++i) {
    Packet p = sent[i];
    ASSERT_EQ(one(*rx, p, false), Status::kOk) << i;
  }
  Packet replay = sent[199];
  EXPECT_EQ(one(*rx, replay, false), Status::kReplay);
  Packet old = sent[10];  // 190 behind: outside the window
  EXPECT_EQ(one(*rx, old, false), Status::kReplay);

  Packet tampered = sent[200];
  tampered.bytes[20] ^= 1;
  EXPECT_EQ(one(*rx, tampered, false), Status::kAuthFail);
  Packet badTag = sent[200];
  badTag.bytes[badTag.length - 1] ^= 0x80;
  EXPECT_EQ(one(*rx, badTag, false), Status::kAuthFail);
  Packet tooShort = sent[200];
  tooShort.length = 12 + static_cast<int>(rtpTrailer(suite)) - 1;
  EXPECT_EQ(one(*rx, tooShort, false), Status::kError);
  // A refused packet leaves no trace: the genuine one still goes, once.
  Packet genuine = sent[200];
  EXPECT_EQ(one(*rx, genuine, false), Status::kOk);
  genuine = sent[200];
  EXPECT_EQ(one(*rx, genuine, false), Status::kReplay);
  Packet late = sent[150];  // inside the window, seen already
  EXPECT_EQ(one(*rx, late, false), Status::kReplay);
  for (size_t i = 201; i < sent.size(); ++i) {
    Packet p = sent[i];
    ASSERT_EQ(one(*rx, p, false), Status::kOk) << i;
  }
}

// The window's edge, where libsrtp puts it: a late packet 127 behind the newest is taken,
// one 128 behind is not.
TEST_P(RtpBatchTest, WindowEdgeAsLibsrtp) {
  const SrtpSuite suite = GetParam();
  const SrtpMasterKey key = keyFor(suite, 12);
  const uint32_t ssrc = 77;
  auto tx = fast(suite, key);
  auto rx = fast(suite, key);
  auto ref = libsrtp(suite, key, Direction::kUnprotect, ssrc);
  ASSERT_TRUE(tx && rx && ref);
  std::vector<Packet> sent(301);
  for (uint16_t seq = 1; seq <= 300; ++seq) {
    sent[seq] = rtp(ssrc, seq, 40);
    ASSERT_EQ(one(*tx, sent[seq], true), Status::kOk);
    if (seq == 172 || seq == 173) continue;  // late
    Packet a = sent[seq], b = sent[seq];
    ASSERT_EQ(one(*rx, a, false), Status::kOk);
    ASSERT_EQ(ref->unprotectRtp(b.bytes.data(), b.length), Status::kOk);
  }
  for (uint16_t seq : {173, 172}) {
    Packet a = sent[seq], b = sent[seq];
    const Status want = seq == 173 ? Status::kOk : Status::kReplay;
    EXPECT_EQ(ref->unprotectRtp(b.bytes.data(), b.length), want) << seq;
    EXPECT_EQ(one(*rx, a, false), want) << seq;
  }
}

// Many streams' packets in one batch, as an lcore runs them: protect 64 packets of 16
// streams in one go, then unprotect them (with a duplicate and a forgery among them) in one
// go; libsrtp agrees on each.
TEST_P(RtpBatchTest, ManyStreamsInOneBatch) {
  const SrtpSuite suite = GetParam();
  constexpr int kStreams = 16;
  std::vector<std::unique_ptr<RtpStream>> tx, rx;
  std::vector<std::unique_ptr<Context>> ref;
  for (int s = 0; s < kStreams; ++s) {
    const SrtpMasterKey key = keyFor(suite, 100 + s);
    tx.push_back(fast(suite, key));
    rx.push_back(fast(suite, key));
    ref.push_back(libsrtp(suite, key, Direction::kUnprotect, 1000 + s));
    ASSERT_TRUE(tx.back() && rx.back() && ref.back());
  }
  std::vector<Packet> packets(RtpBatch::kCapacity);
  std::vector<uint16_t> ids(packets.size());
  batch_->reset();
  for (size_t i = 0; i < packets.size(); ++i) {
    const int s = static_cast<int>(i % kStreams);
    packets[i] = rtp(1000 + s, static_cast<uint16_t>(i / kStreams + 1), 20 + static_cast<int>(i));
    ASSERT_EQ(batch_->protect(*tx[s], packets[i].bytes.data(), packets[i].length, ids[i]),
              Status::kOk);
  }
  EXPECT_FALSE(batch_->room(1));
  batch_->run();
  for (size_t i = 0; i < packets.size(); ++i)
    ASSERT_EQ(batch_->finish(ids[i], packets[i].length), Status::kOk);

  std::vector<Packet> srtp = packets;
  // Packet 5 twice (the second is a replay, caught when the first commits) and a forgery
  // of packet 7.
  std::vector<Packet> in(packets.begin(), packets.begin() + 60);
  in.push_back(packets[5]);
  in.push_back(packets[7]);
  in.back().bytes[14] ^= 0xff;
  batch_->reset();
  std::vector<Status> queued(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const int s = static_cast<int>(i < 60 ? i % kStreams : (i == 60 ? 5 : 7));
    queued[i] = batch_->unprotect(*rx[s], in[i].bytes.data(), in[i].length, ids[i]);
  }
  batch_->run();
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(queued[i], Status::kOk) << i;
    Status st = batch_->finish(ids[i], in[i].length);
    if (i < 60) {
      ASSERT_EQ(st, Status::kOk) << i;
      Packet r = srtp[i];
      ASSERT_EQ(ref[i % kStreams]->unprotectRtp(r.bytes.data(), r.length), Status::kOk);
      ASSERT_EQ(r.length, in[i].length);
      EXPECT_EQ(std::memcmp(r.bytes.data(), in[i].bytes.data(), r.length), 0) << i;
    } else {
      EXPECT_EQ(st, i == 60 ? Status::kReplay : Status::kAuthFail) << i;
    }
  }
}

// The lcore rule: queueing, running and finishing jobs allocate nothing, refused packets
// included (the counter is seen to work: making a stream allocates).
TEST_P(RtpBatchTest, NothingAllocatedPerPacket) {
#if !SBC_COUNT_MALLOC
  GTEST_SKIP() << "malloc is AddressSanitizer's in this build: nothing to count with";
#else
  const SrtpSuite suite = GetParam();
  const SrtpMasterKey key = keyFor(suite, 21);
  unsigned long before = t_allocations;
  auto tx = fast(suite, key);
  auto rx = fast(suite, key);
  ASSERT_TRUE(tx && rx);
  EXPECT_GT(t_allocations, before);
  std::vector<Packet> packets;
  for (uint16_t seq = 1; seq <= 100; ++seq)
    packets.push_back(rtp(5, seq, 160));
  Packet tampered;
  Packet replayed;
  const unsigned long mark = t_allocations;
  for (Packet& p : packets) {
    ASSERT_EQ(one(*tx, p, true), Status::kOk);
    tampered = p;
    tampered.bytes[20] ^= 1;
    EXPECT_EQ(one(*rx, tampered, false), Status::kAuthFail);
    replayed = p;
    ASSERT_EQ(one(*rx, p, false), Status::kOk);
    EXPECT_EQ(one(*rx, replayed, false), Status::kReplay);
  }
  EXPECT_EQ(t_allocations - mark, 0u);
#endif
}

// Derivation refuses a key of the wrong size, and says so without key bytes.
TEST(RtpStream, RefusesWrongKeyLength) {
  SrtpMasterKey key = keyFor(SrtpSuite::kAesCm128HmacSha1_80, 1);
  key.length = 29;
  std::string error;
  EXPECT_EQ(RtpStream::create(SrtpSuite::kAesCm128HmacSha1_80, key, 0, error), nullptr);
  EXPECT_NE(error.find("30"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Suites, RtpBatchTest, ::testing::ValuesIn(kSuites),
                         [](const ::testing::TestParamInfo<SrtpSuite>& info) {
                           std::string name(mediaplane::srtpSuiteName(info.param));
                           std::erase(name, '_');
                           return name;
                         });

}  // namespace
}  // namespace sbc::srtp
