// rtp-probe: an RTP endpoint that checks audio, on oRTP. `send` sends a tone or a WAV file as
// G.711 (with RFC 4733 digits, SSRC changes, re-keys and holds on a schedule); `recv`
// receives, decodes and prints one JSON line: packets, loss, jitter, delay, the dominant
// frequency and its SNR, the digits, SRTP rejections, and whether the audio passed.
//
// oRTP does the sessions, sockets and packet building; SRTP (sbc::srtp::Context, libsrtp)
// runs in an oRTP transport modifier on each side. recv takes every packet in that modifier,
// before oRTP's jitter buffer, which would reorder, drop duplicates and late packets: what the
// probe is there to see.

#include <ortp/ortp.h>
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/api/address.h"
#include "mediaplane/srtp/context.h"
#include "tools/rtp-probe/g711.h"
#include "tools/rtp-probe/receive_stats.h"
#include "tools/rtp-probe/rtp.h"
#include "tools/rtp-probe/srtp_key.h"
#include "tools/rtp-probe/srtp_keyring.h"
#include "tools/rtp-probe/tone.h"
#include "tools/rtp-probe/wav.h"

namespace {

using Json = nlohmann::ordered_json;
using namespace sbc::rtpprobe;
namespace srtp = sbc::srtp;

constexpr int kExitPass = 0, kExitFail = 1, kExitUsage = 2, kExitRuntime = 3;
// The highest tone any codec here carries: half of G.722's and Opus's 16 kHz.
constexpr double kMaxToneHz = 8000;

double pcmRate(Codec c) {
  return sbc::codec::info(c).pcmRate;
}

constexpr const char* kUsage = R"(usage: rtp-probe send --to IP:PORT [options]
       rtp-probe recv --bind IP:PORT [options]
An RTP endpoint (oRTP) that sends a known signal as G.711, G.722, Opus or G.729, or receives
one and checks it.

send options:
  --to IP:PORT            destination (IPv6 in brackets: [::1]:4000)
  --bind IP:PORT          local address (default: any, port chosen by the system)
  --codec pcmu|pcma|g722|opus|g729   (default pcmu; opus at 16 kHz, 24 kbit/s)
  --pt N                  payload type (default 0 pcmu, 8 pcma, 9 g722, 18 g729, 111 opus)
  --ptime MS              packet time, 5..200 ms (default 20); opus and g729: 10..60 in
                          steps of 10
  --ssrc N  --seq N  --ts N   first SSRC, sequence number, timestamp (default random)
  --tone HZ               a sine of HZ (default 1000), or
  --wav FILE              a WAV file: 8000 Hz, mono, 16-bit PCM (looped to the duration);
                          pcmu, pcma and g729 only (8 kHz codecs)
  --amplitude A           tone amplitude, 0..1 of full scale (default 0.5)
  --duration S | --count N    how long, in seconds (default 5, or the WAV's length), or
                          how many packet times (pauses and digits included)
  --dtmf DIGITS           RFC 4733 events (0-9 * # A-D), each 100 ms, 100 ms apart,
  --dtmf-at S             the first at S seconds (default 1),
  --dtmf-pt N             with payload type N (default 101)
  --srtp SUITE:KEY        SRTP with an SDES suite (AES_CM_128_HMAC_SHA1_80,
                          AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM) and the
                          base64 of key||salt, as after "inline:" in a=crypto
  --change-ssrc-at S SSRC from S seconds on, send as SSRC (new random sequence number;
                          timestamps continue); repeatable
  --rekey-at S SUITE:KEY  from S seconds on, protect with this key instead (same SSRC, the
                          rollover counter carries over); "none": plain RTP; repeatable
  --pause FROM-TO         hold: send nothing from FROM to TO seconds (timestamps advance,
                          sequence numbers do not); repeatable
  --no-send-time          leave out the send-time header extension (id 14, 8 bytes of
                          CLOCK_REALTIME nanoseconds) recv measures the one-way delay with
  prints one JSON line (packets sent, SSRCs, sequence numbers); exit 0 when all was sent

recv options:
  --bind IP:PORT          where to receive RTP (RTCP: PORT+1, read and ignored)
  --codec pcmu|pcma|g722|opus|g729   (default pcmu)
  --pt N                  audio payload type (default: the codec's, as for send)
  --dtmf-pt N             RFC 4733 payload type (default 101)
  --duration S            stop after S seconds (default 10)
  --idle S                or S seconds after the last packet (default 2; before the first
                          packet only --duration counts)
  --srtp SUITE:KEY        SRTP; repeat it to give several keys: each SSRC starts on the first
                          key that authenticates and moves to another when its key stops
                          working (re-key; ROC carried over). Key changes are reported.
  --expect-tone HZ        the tone that should arrive
  --tolerance HZ          how far the dominant frequency may be from it (default 10)
  --min-snr DB            the least SNR at the expected tone (default 20)
  --expect-digits DIGITS  the RFC 4733 digits that should arrive, in order
  --json FILE             also write the JSON line to FILE
  prints one JSON line: packets, lost (sequence gaps, per SSRC), duplicates, jitter_ms
  (RFC 3550), delay_ms {mean, max, source: send_time = one-way on CLOCK_REALTIME from the
  sender's extension; rtp_timestamp = against the fastest packet of each SSRC}, ssrcs,
  frequency_hz (FFT of the non-silent decoded audio), snr_db (power at the expected tone, or
  the dominant one, against the rest), digits, srtp_auth_failures, srtp_replays, pass.
  pass: audio packets arrived, and the tone (if expected) within tolerance with at least
  --min-snr, and the digits (if expected) as expected.

common: --verbose (oRTP's warnings on stderr), --help
exit status: 0 pass (send: all sent), 1 fail, 2 bad arguments, 3 runtime error
)";

[[noreturn]] void usageError(const std::string& message) {
  std::cerr << "rtp-probe: " << message << " (rtp-probe --help)\n";
  std::exit(kExitUsage);
}

[[noreturn]] void runtimeError(const std::string& message) {
  std::cerr << "rtp-probe: " << message << "\n";
  std::exit(kExitRuntime);
}

// --- argument parsing ---------------------------------------------------------------------

// 2.5, 1000, 0.001: as people write numbers (std::to_string gives "1000.000000").
std::string decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <typename T>
T number(std::string_view option, std::string_view text, T low, T high) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= low && value <= high)) {
    usageError(std::string(option) + ": '" + std::string(text) + "' is not a number in " +
               decimal(double(low)) + ".." + decimal(double(high)));
  }
  return value;
}

uint32_t number32(std::string_view option, std::string_view text) {
  return number<uint32_t>(option, text, 0, UINT32_MAX);
}

double seconds(std::string_view option, std::string_view text) {
  return number<double>(option, text, 0, 86400);
}

sbc::net::SocketAddress socketAddress(std::string_view option, std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    usageError(std::string(option) + ": expected IP:PORT, got '" + std::string(text) + "'");
  }
  auto ip = sbc::net::IpAddress::parseHost(text.substr(0, colon));
  if (!ip) usageError(std::string(option) + ": '" + std::string(text) + "' has no IP address");
  return {*ip, number<uint16_t>(option, text.substr(colon + 1), 0, 65535)};
}

Codec codecNamed(std::string_view text) {
  if (text == "pcmu") return Codec::kPcmu;
  if (text == "pcma") return Codec::kPcma;
  if (text == "g722") return Codec::kG722;
  if (text == "opus") return Codec::kOpus;
  if (text == "g729") return Codec::kG729;
  usageError("--codec: '" + std::string(text) + "' (pcmu, pcma, g722, opus or g729)");
}

std::string_view codecText(Codec c) {
  switch (c) {
    case Codec::kPcmu:
      return "pcmu";
    case Codec::kPcma:
      return "pcma";
    case Codec::kG722:
      return "g722";
    case Codec::kOpus:
      return "opus";
    case Codec::kG729:
      return "g729";
  }
  return "?";
}

SrtpKeySpec keySpec(std::string_view option, std::string_view text) {
  std::string error;
  auto spec = parseSrtpKeySpec(text, error);
  if (!spec) usageError(std::string(option) + ": " + error);
  return *spec;
}

// Walks argv: options and their values, with the option name for messages.
class Args {
 public:
  Args(int argc, char** argv, int first) : argc_(argc), argv_(argv), at_(first) {}
  bool next(std::string_view& option) {
    if (at_ >= argc_) return false;
    option = argv_[at_++];
    return true;
  }
  std::string_view value(std::string_view option) {
    if (at_ >= argc_) usageError(std::string(option) + " needs a value");
    return argv_[at_++];
  }

 private:
  int argc_;
  char** argv_;
  int at_;
};

// --- shared -------------------------------------------------------------------------------

int64_t nowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double rounded(double v) {
  return std::round(v * 100) / 100;
}

void initOrtp(bool verbose) {
  ortp_init();
  ortp_set_log_level_mask(ORTP_LOG_DOMAIN,
                          verbose ? ORTP_WARNING | ORTP_ERROR | ORTP_FATAL : ORTP_FATAL);
}

std::string initSrtp() {
  return srtp::initialize(srtp::Engine::kOpenssl);
}

// A session with no RTCP (the probe measures RTP; SRTCP is the relay's tests' business) and
// no SO_REUSEPORT (two probes on one port would share its packets silently).
RtpSession* newSession(int mode, const sbc::net::SocketAddress& local) {
  RtpSession* session = rtp_session_new(mode);
  rtp_session_set_reuseaddr(session, FALSE);
  rtp_session_enable_rtcp(session, FALSE);
  int rtcpPort = local.port == 0 ? 0 : local.port + 1;
  if (rtp_session_set_local_addr(session, local.ip.toString().c_str(), local.port, rtcpPort) != 0) {
    rtp_session_destroy(session);
    runtimeError("cannot bind " + local.toString() + " (and port " + std::to_string(rtcpPort) +
                 " for RTCP)");
  }
  return session;
}

// Modifiers are freed by oRTP's meta transport (t_destroy); their `data` is ours.
RtpTransportModifier* addModifier(RtpSession* session, void* data,
                                  int (*onSend)(RtpTransportModifier*, mblk_t*),
                                  int (*onReceive)(RtpTransportModifier*, mblk_t*)) {
  auto* modifier = new RtpTransportModifier{};
  modifier->data = data;
  modifier->t_process_on_send = onSend;
  modifier->t_process_on_receive = onReceive;
  modifier->t_destroy = [](RtpTransportModifier* m) { delete m; };
  RtpTransport* rtp = nullptr;
  RtpTransport* rtcp = nullptr;
  rtp_session_get_transports(session, &rtp, &rtcp);
  meta_rtp_transport_append_modifier(rtp, modifier);
  return modifier;
}

int passThrough(RtpTransportModifier*, mblk_t* msg) {
  return int(msgdsize(msg));
}

// --- send ---------------------------------------------------------------------------------

struct SendOptions {
  std::optional<sbc::net::SocketAddress> to;
  sbc::net::SocketAddress bind;
  Codec codec = Codec::kPcmu;
  int pt = -1;
  int ptimeMs = 20;
  std::optional<uint32_t> ssrc, seq, ts;
  std::optional<double> toneHz;
  std::string wav;
  double amplitude = 0.5;
  std::optional<double> duration;
  std::optional<uint64_t> count;
  std::string dtmf;
  double dtmfAt = 1;
  int dtmfPt = 101;
  std::optional<SrtpKeySpec> srtp;
  std::vector<std::pair<double, uint32_t>> ssrcChanges;
  std::vector<std::pair<double, std::optional<SrtpKeySpec>>> rekeys;
  std::vector<std::pair<double, double>> pauses;
  bool sendTime = true;
  bool verbose = false;
};

SendOptions parseSend(Args& args) {
  SendOptions o;
  bool haveBind = false;
  std::string_view opt;
  while (args.next(opt)) {
    if (opt == "--to") {
      o.to = socketAddress(opt, args.value(opt));
    } else if (opt == "--bind") {
      o.bind = socketAddress(opt, args.value(opt));
      haveBind = true;
    } else if (opt == "--codec") {
      o.codec = codecNamed(args.value(opt));
    } else if (opt == "--pt") {
      o.pt = number<int>(opt, args.value(opt), 0, 127);
    } else if (opt == "--ptime") {
      o.ptimeMs = number<int>(opt, args.value(opt), 5, 200);
    } else if (opt == "--ssrc") {
      o.ssrc = number32(opt, args.value(opt));
    } else if (opt == "--seq") {
      o.seq = number<uint32_t>(opt, args.value(opt), 0, 65535);
    } else if (opt == "--ts") {
      o.ts = number32(opt, args.value(opt));
    } else if (opt == "--tone") {
      o.toneHz = number<double>(opt, args.value(opt), 1, kMaxToneHz);
    } else if (opt == "--wav") {
      o.wav = args.value(opt);
    } else if (opt == "--amplitude") {
      o.amplitude = number<double>(opt, args.value(opt), 0, 1);
    } else if (opt == "--duration") {
      o.duration = seconds(opt, args.value(opt));
    } else if (opt == "--count") {
      o.count = number<uint64_t>(opt, args.value(opt), 1, 100000000);
    } else if (opt == "--dtmf") {
      o.dtmf = args.value(opt);
      if (o.dtmf.empty() || o.dtmf.find_first_not_of("0123456789*#ABCDabcd") != std::string::npos) {
        usageError("--dtmf: '" + o.dtmf + "' (digits 0-9 * # A-D)");
      }
    } else if (opt == "--dtmf-at") {
      o.dtmfAt = seconds(opt, args.value(opt));
    } else if (opt == "--dtmf-pt") {
      o.dtmfPt = number<int>(opt, args.value(opt), 0, 127);
    } else if (opt == "--srtp") {
      o.srtp = keySpec(opt, args.value(opt));
    } else if (opt == "--change-ssrc-at") {
      double at = seconds(opt, args.value(opt));
      o.ssrcChanges.emplace_back(at, number32(opt, args.value(opt)));
    } else if (opt == "--rekey-at") {
      double at = seconds(opt, args.value(opt));
      std::string_view key = args.value(opt);
      o.rekeys.emplace_back(
          at, key == "none" ? std::nullopt : std::optional<SrtpKeySpec>(keySpec(opt, key)));
    } else if (opt == "--pause") {
      std::string_view range = args.value(opt);
      size_t dash = range.find('-');
      if (dash == std::string_view::npos) usageError("--pause: expected FROM-TO seconds");
      double from = seconds(opt, range.substr(0, dash)), to = seconds(opt, range.substr(dash + 1));
      if (to <= from) usageError("--pause: FROM must be before TO");
      o.pauses.emplace_back(from, to);
    } else if (opt == "--no-send-time") {
      o.sendTime = false;
    } else if (opt == "--verbose") {
      o.verbose = true;
    } else {
      usageError("send: unknown option '" + std::string(opt) + "'");
    }
  }
  if (!o.to) usageError("send needs --to IP:PORT");
  if (o.to->port == 0) usageError("--to: port 0");
  if (o.toneHz && !o.wav.empty()) usageError("--tone and --wav exclude each other");
  if (o.duration && o.count) usageError("--duration and --count exclude each other");
  if (o.pt < 0) o.pt = staticPayloadType(o.codec);
  if (!o.dtmf.empty() && o.dtmfPt == o.pt) usageError("--dtmf-pt equals the audio payload type");
  if ((o.codec == Codec::kOpus || o.codec == Codec::kG729) &&
      (o.ptimeMs % 10 != 0 || o.ptimeMs > 60))
    usageError("--ptime: " + std::to_string(o.ptimeMs) + " ms for " +
               std::string(codecText(o.codec)) + " (10..60 in steps of 10)");
  if (!o.wav.empty() && pcmRate(o.codec) != 8000)
    usageError("--wav: 8 kHz audio cannot be sent as " + std::string(codecText(o.codec)) +
               " (16 kHz): use --tone");
  if (o.toneHz && *o.toneHz >= pcmRate(o.codec) / 2)
    usageError("--tone: " + decimal(*o.toneHz) + " Hz is above what " +
               std::string(codecText(o.codec)) + " carries (below " +
               decimal(pcmRate(o.codec) / 2) + ")");
  if (!haveBind) o.bind.ip.family = o.to->ip.family;  // any address, any port
  auto byTime = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::stable_sort(o.ssrcChanges.begin(), o.ssrcChanges.end(), byTime);
  std::stable_sort(o.rekeys.begin(), o.rekeys.end(), byTime);
  return o;
}

struct Sender {
  std::unique_ptr<srtp::Context> context;  // none: plain RTP
  uint64_t srtpFailures = 0;
};

int protectOnSend(RtpTransportModifier* t, mblk_t* msg) {
  auto* sender = static_cast<Sender*>(t->data);
  int length = int(msgdsize(msg));
  if (!sender->context) return length;
  // One block with room for the tag (oRTP builds packets to their exact size).
  msgpullup(msg, size_t(length) + srtp::rtpTrailer(sender->context->suite()));
  if (sender->context->protectRtp(msg->b_rptr, length) != srtp::Status::kOk) {
    ++sender->srtpFailures;
    return -1;  // not sent
  }
  return length;
}

std::unique_ptr<srtp::Context> protectContext(const SrtpKeySpec& spec, uint32_t ssrc,
                                              uint32_t roc) {
  std::string error;
  auto context =
      srtp::Context::create(spec.suite, spec.key, srtp::Direction::kProtect, ssrc, roc, error);
  if (!context) runtimeError("SRTP: " + error);
  return context;
}

int runSend(const SendOptions& o) {
  std::vector<int16_t> wav;
  if (!o.wav.empty()) {
    std::string error;
    auto samples = readWav(o.wav, error);
    if (!samples) usageError("--wav: " + error);
    wav = std::move(*samples);
  }
  const size_t samplesPerPacket = size_t(o.ptimeMs) * size_t(pcmRate(o.codec)) / 1000;
  // RTP timestamps count the codec's RTP clock (G.722: 8000 for 16 kHz audio; Opus: 48000).
  const size_t tsPerPacket = size_t(o.ptimeMs) * sbc::codec::info(o.codec).rtpClock / 1000;
  std::unique_ptr<sbc::codec::Encoder> encoder;
  if (!isG711(o.codec)) {
    std::string error;
    encoder = sbc::codec::makeEncoder(o.codec, {}, error);
    if (!encoder) runtimeError(std::string(codecText(o.codec)) + ": " + error);
  }
  const double slotS = o.ptimeMs / 1000.0;
  uint64_t slots = o.count ? *o.count
                   : o.duration
                       ? uint64_t(std::ceil(*o.duration / slotS - 1e-9))
                       : (wav.empty() ? uint64_t(5 / slotS)
                                      : (wav.size() + samplesPerPacket - 1) / samplesPerPacket);
  // Each digit: 100 ms of event updates, then 100 ms of audio before the next.
  const uint64_t eventSlots = std::max<uint64_t>(1, uint64_t(std::lround(0.1 / slotS)));
  const uint64_t dtmfFirst = uint64_t(std::lround(o.dtmfAt / slotS));

  std::random_device entropy;
  std::mt19937 random(entropy());
  uint32_t ssrc = o.ssrc.value_or(random());
  uint16_t seq = uint16_t(o.seq.value_or(random()));
  uint32_t ts0 = o.ts.value_or(random());

  initOrtp(o.verbose);
  bool anySrtp = o.srtp.has_value();
  for (const auto& r : o.rekeys)
    anySrtp |= r.second.has_value();
  if (anySrtp) {
    if (std::string error = initSrtp(); !error.empty()) runtimeError("SRTP: " + error);
  }
  RtpSession* session = newSession(RTP_SESSION_SENDONLY, o.bind);
  if (rtp_session_set_remote_addr_and_port(session, o.to->ip.toString().c_str(), o.to->port,
                                           o.to->port + 1) != 0) {
    rtp_session_destroy(session);
    runtimeError("cannot send to " + o.to->toString());
  }
  rtp_session_set_send_payload_type(session, o.pt);
  rtp_session_set_ssrc(session, ssrc);
  rtp_session_set_seq_number(session, seq);
  Sender sender;
  if (o.srtp) sender.context = protectContext(*o.srtp, ssrc, 0);
  std::optional<SrtpKeySpec> currentKey = o.srtp;
  addModifier(session, &sender, protectOnSend, passThrough);

  ToneGenerator tone(o.toneHz.value_or(1000), o.amplitude, pcmRate(o.codec));
  std::vector<int16_t> pcm(samplesPerPacket);
  std::vector<uint8_t> payload(std::max(samplesPerPacket, sbc::codec::kMaxPayload));
  size_t wavAt = 0;
  uint64_t audioSent = 0, eventsSent = 0, sendErrors = 0;
  std::vector<uint32_t> ssrcs{ssrc};
  size_t nextChange = 0, nextRekey = 0;
  bool marker = true;  // first packet of a talkspurt: the start, after a hold, a new SSRC

  auto send = [&](mblk_t* m, uint32_t timestamp) {
    if (rtp_session_sendm_with_ts(session, m, timestamp) < 0) ++sendErrors;
  };
  auto packet = [&](const uint8_t* data, size_t size, int pt, bool mark) {
    size_t header = 12 + (o.sendTime ? kSendTimeExtensionBytes : 0);
    mblk_t* m = rtp_session_create_packet(session, header, data, size);
    auto* h = reinterpret_cast<rtp_header_t*>(m->b_rptr);
    h->paytype = uint16_t(pt);
    h->markbit = mark ? 1 : 0;
    if (o.sendTime) {
      h->extbit = 1;
      writeSendTimeExtension(m->b_rptr + 12, uint64_t(nowNs(CLOCK_REALTIME)));
    }
    return m;
  };

  const int64_t start = nowNs(CLOCK_MONOTONIC);
  for (uint64_t slot = 0; slot < slots; ++slot) {
    int64_t due = start + int64_t(double(slot) * slotS * 1e9);
    timespec at{time_t(due / 1000000000), long(due % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
    const double t = double(slot) * slotS;
    const uint32_t timestamp = ts0 + uint32_t(slot * tsPerPacket);

    for (; nextChange < o.ssrcChanges.size() && o.ssrcChanges[nextChange].first <= t + 1e-9;
         ++nextChange) {
      ssrc = o.ssrcChanges[nextChange].second;
      ssrcs.push_back(ssrc);
      rtp_session_set_ssrc(session, ssrc);
      rtp_session_set_seq_number(session, uint16_t(random()));
      if (currentKey) sender.context = protectContext(*currentKey, ssrc, 0);  // new SSRC: ROC 0
      marker = true;
    }
    for (; nextRekey < o.rekeys.size() && o.rekeys[nextRekey].first <= t + 1e-9; ++nextRekey) {
      uint32_t roc = sender.context ? sender.context->roc(ssrc) : 0;
      currentKey = o.rekeys[nextRekey].second;
      sender.context = currentKey ? protectContext(*currentKey, ssrc, roc) : nullptr;
    }
    bool paused = std::any_of(o.pauses.begin(), o.pauses.end(), [&](const auto& p) {
      return t + 1e-9 >= p.first && t + 1e-9 < p.second;
    });
    if (paused) {
      marker = true;
      continue;
    }

    // RFC 4733: one event per digit, its timestamp the event's start, the duration growing
    // with each update; the end packet three times, each with its own sequence number.
    if (!o.dtmf.empty() && slot >= dtmfFirst) {
      uint64_t k = (slot - dtmfFirst) / (2 * eventSlots), j = (slot - dtmfFirst) % (2 * eventSlots);
      if (k < o.dtmf.size() && j < eventSlots) {
        static constexpr std::string_view kEvents = "0123456789*#ABCD";
        uint8_t event =
            uint8_t(kEvents.find(char(std::toupper(static_cast<unsigned char>(o.dtmf[k])))));
        bool end = j + 1 == eventSlots;
        uint16_t duration = uint16_t((j + 1) * tsPerPacket);
        uint8_t body[4] = {event, uint8_t((end ? 0x80 : 0) | 10), uint8_t(duration >> 8),
                           uint8_t(duration)};
        uint32_t eventTs = timestamp - uint32_t(j * tsPerPacket);
        for (int copies = end ? 3 : 1; copies > 0; --copies) {
          send(packet(body, sizeof body, o.dtmfPt, j == 0 && copies == (end ? 3 : 1)), eventTs);
          ++eventsSent;
        }
        continue;
      }
    }

    if (wav.empty()) {
      tone.fill(pcm);
    } else {
      for (int16_t& s : pcm) {
        s = wav[wavAt];
        wavAt = (wavAt + 1) % wav.size();
      }
    }
    size_t bytes = samplesPerPacket;
    if (encoder) {
      const int n = encoder->encode(pcm, payload);
      if (n <= 0) runtimeError(std::string(codecText(o.codec)) + ": the encoder refused a packet");
      bytes = size_t(n);
    } else {
      for (size_t i = 0; i < samplesPerPacket; ++i)
        payload[i] = encode(o.codec, pcm[i]);
    }
    send(packet(payload.data(), bytes, o.pt, marker), timestamp);
    marker = false;
    ++audioSent;
  }

  Json out;
  out["mode"] = "send";
  out["to"] = o.to->toString();
  out["packets"] = audioSent + eventsSent;
  out["audio_packets"] = audioSent;
  out["dtmf_packets"] = eventsSent;
  out["ssrcs"] = ssrcs;
  out["first_seq"] = seq;
  out["next_seq"] = rtp_session_get_seq_number(session);
  out["first_ts"] = ts0;
  out["duration_s"] = rounded(double(nowNs(CLOCK_MONOTONIC) - start) / 1e9);
  out["send_errors"] = sendErrors;
  out["srtp_errors"] = sender.srtpFailures;
  std::cout << out.dump() << std::endl;
  rtp_session_destroy(session);
  ortp_exit();
  if (sendErrors > 0) {
    std::cerr << "rtp-probe: " << sendErrors << " packet(s) could not be sent\n";
    return kExitRuntime;
  }
  return kExitPass;
}

// --- recv ---------------------------------------------------------------------------------

struct RecvOptions {
  std::optional<sbc::net::SocketAddress> bind;
  Codec codec = Codec::kPcmu;
  int pt = -1;
  int dtmfPt = 101;
  double duration = 10;
  double idle = 2;
  std::vector<SrtpKeySpec> keys;
  std::optional<double> expectTone;
  double tolerance = 10;
  double minSnr = 20;
  std::optional<std::string> expectDigits;
  std::string json;
  bool verbose = false;
};

RecvOptions parseRecv(Args& args) {
  RecvOptions o;
  std::string_view opt;
  while (args.next(opt)) {
    if (opt == "--bind") {
      o.bind = socketAddress(opt, args.value(opt));
    } else if (opt == "--codec") {
      o.codec = codecNamed(args.value(opt));
    } else if (opt == "--pt") {
      o.pt = number<int>(opt, args.value(opt), 0, 127);
    } else if (opt == "--dtmf-pt") {
      o.dtmfPt = number<int>(opt, args.value(opt), 0, 127);
    } else if (opt == "--duration") {
      o.duration = seconds(opt, args.value(opt));
    } else if (opt == "--idle") {
      o.idle = seconds(opt, args.value(opt));
    } else if (opt == "--srtp") {
      o.keys.push_back(keySpec(opt, args.value(opt)));
    } else if (opt == "--expect-tone") {
      o.expectTone = number<double>(opt, args.value(opt), 1, kMaxToneHz);
    } else if (opt == "--tolerance") {
      o.tolerance = number<double>(opt, args.value(opt), 0, kMaxToneHz);
    } else if (opt == "--min-snr") {
      o.minSnr = number<double>(opt, args.value(opt), -100, 100);
    } else if (opt == "--expect-digits") {
      o.expectDigits = std::string(args.value(opt));
    } else if (opt == "--json") {
      o.json = args.value(opt);
    } else if (opt == "--verbose") {
      o.verbose = true;
    } else {
      usageError("recv: unknown option '" + std::string(opt) + "'");
    }
  }
  if (!o.bind) usageError("recv needs --bind IP:PORT");
  if (o.bind->port == 0 || o.bind->port == 65535) usageError("--bind: port 1..65534");
  if (o.pt < 0) o.pt = staticPayloadType(o.codec);
  if (o.dtmfPt == o.pt) usageError("--dtmf-pt equals the audio payload type");
  return o;
}

struct Receiver {
  ReceiveStats stats;
  std::unique_ptr<SrtpKeyRing> keys;
  uint64_t datagrams = 0, rtcp = 0, malformed = 0;
  uint64_t authFailures = 0, replays = 0, srtpErrors = 0;
  int64_t lastDatagramNs = 0;  // CLOCK_MONOTONIC; 0: none yet
};

// Every datagram ends here: unprotected, measured, and consumed (0: oRTP keeps nothing).
int tapOnReceive(RtpTransportModifier* t, mblk_t* msg) {
  auto* r = static_cast<Receiver*>(t->data);
  int64_t arrivalNs =
      msg->timestamp.tv_sec != 0
          ? int64_t(msg->timestamp.tv_sec) * 1000000000 + msg->timestamp.tv_usec * 1000
          : nowNs(CLOCK_REALTIME);  // kernel's SO_TIMESTAMP when there is one
  r->lastDatagramNs = nowNs(CLOCK_MONOTONIC);
  ++r->datagrams;
  uint8_t* p = msg->b_rptr;
  int length = int(msg->b_wptr - msg->b_rptr);
  if (length >= 2 && p[1] >= 192 && p[1] <= 223) {  // RTCP multiplexed (RFC 5761): not ours
    ++r->rtcp;
    return 0;
  }
  if (r->keys) {
    switch (r->keys->unprotect(p, length)) {
      case srtp::Status::kOk:
        break;
      case srtp::Status::kAuthFail:
        ++r->authFailures;
        return 0;
      case srtp::Status::kReplay:
        ++r->replays;
        return 0;
      case srtp::Status::kError:
        ++r->srtpErrors;
        return 0;
    }
  }
  auto view = parseRtp({p, size_t(length)});
  if (!view) {
    ++r->malformed;
    return 0;
  }
  r->stats.onPacket(*view, arrivalNs);
  return 0;
}

volatile std::sig_atomic_t stopSignal = 0;

int runRecv(const RecvOptions& o) {
  initOrtp(o.verbose);
  Receiver r{ReceiveStats(o.codec, o.pt, o.dtmfPt, sbc::codec::info(o.codec).rtpClock), nullptr};
  if (!o.keys.empty()) {
    if (std::string error = initSrtp(); !error.empty()) runtimeError("SRTP: " + error);
    for (const SrtpKeySpec& k : o.keys) {
      if (!srtp::supported(k.suite)) {
        runtimeError("SRTP: this libsrtp cannot run " +
                     std::string(sbc::mediaplane::srtpSuiteName(k.suite)));
      }
    }
    r.keys = std::make_unique<SrtpKeyRing>(o.keys);
  }
  RtpSession* session = newSession(RTP_SESSION_RECVONLY, *o.bind);
  addModifier(session, &r, passThrough, tapOnReceive);
  std::signal(SIGINT, [](int) { stopSignal = 1; });
  std::signal(SIGTERM, [](int) { stopSignal = 1; });

  const int64_t start = nowNs(CLOCK_MONOTONIC);
  std::string stopped = "duration";
  pollfd fd{rtp_session_get_rtp_socket(session), POLLIN, 0};
  uint32_t calls = 0;
  for (;;) {
    int64_t now = nowNs(CLOCK_MONOTONIC);
    if (stopSignal) {
      stopped = "signal";
      break;
    }
    if (double(now - start) / 1e9 >= o.duration) break;
    if (r.lastDatagramNs != 0 && double(now - r.lastDatagramNs) / 1e9 >= o.idle) {
      stopped = "idle";
      break;
    }
    if (poll(&fd, 1, 20) <= 0) continue;
    // oRTP reads one datagram per call here (the modifier consumes it): drain, bounded. It
    // reads nothing when called twice with the same timestamp, hence the counter.
    for (int i = 0; i < 1000; ++i) {
      if (mblk_t* m = rtp_session_recvm_with_ts(session, ++calls)) freemsg(m);
      pollfd again = fd;
      if (poll(&again, 1, 0) <= 0) break;
    }
    if (r.keys && !r.keys->lastError().empty()) {
      rtp_session_destroy(session);
      runtimeError("SRTP: " + r.keys->lastError());
    }
  }
  double elapsed = double(nowNs(CLOCK_MONOTONIC) - start) / 1e9;
  rtp_session_destroy(session);
  ortp_exit();

  ToneAnalysisOptions analysisOptions;
  analysisOptions.sampleRate = pcmRate(o.codec);
  analysisOptions.targetHz = o.expectTone;
  analysisOptions.bandHz = o.tolerance;
  ToneAnalysis tone = analyseTone(r.stats.audio(), analysisOptions);

  std::vector<std::string> reasons;
  if (r.stats.audioPackets() == 0) reasons.push_back("no audio packets");
  if (o.expectTone && r.stats.audioPackets() > 0) {
    if (!tone.hasAudio) {
      reasons.push_back("only silence arrived");
    } else {
      if (std::abs(tone.frequencyHz - *o.expectTone) > o.tolerance) {
        reasons.push_back("dominant frequency " + decimal(rounded(tone.frequencyHz)) +
                          " Hz is not within " + decimal(o.tolerance) + " Hz of " +
                          decimal(*o.expectTone));
      }
      if (tone.snrDb < o.minSnr) {
        reasons.push_back("SNR " + decimal(rounded(tone.snrDb)) + " dB is below " +
                          decimal(o.minSnr));
      }
    }
  }
  if (o.expectDigits && r.stats.digits() != *o.expectDigits) {
    reasons.push_back("digits '" + r.stats.digits() + "', expected '" + *o.expectDigits + "'");
  }

  Json out;
  out["mode"] = "recv";
  out["pass"] = reasons.empty();
  out["packets"] = r.stats.packets();
  out["audio_packets"] = r.stats.audioPackets();
  int64_t lost = 0;
  uint64_t duplicates = 0, reordered = 0;
  double jitter = 0;
  Json ssrcs = Json::array(), streams = Json::array();
  for (const StreamSummary& s : r.stats.streams()) {
    lost += s.lost;
    duplicates += s.duplicates;
    reordered += s.reordered;
    jitter = std::max(jitter, s.jitterMs);
    ssrcs.push_back(s.ssrc);
    Json js{{"ssrc", s.ssrc},           {"packets", s.packets},
            {"lost", s.lost},           {"duplicates", s.duplicates},
            {"reordered", s.reordered}, {"jitter_ms", rounded(s.jitterMs)},
            {"first_seq", s.firstSeq},  {"last_seq", s.lastSeq}};
    if (r.keys) js["srtp_key"] = r.keys->keyOf(s.ssrc);
    streams.push_back(js);
  }
  out["lost"] = lost;
  out["duplicates"] = duplicates;
  out["reordered"] = reordered;
  out["jitter_ms"] = rounded(jitter);
  DelaySummary delay = r.stats.delay();
  out["delay_ms"] = {
      {"mean", rounded(delay.meanMs)}, {"max", rounded(delay.maxMs)}, {"source", delay.source}};
  out["ssrcs"] = ssrcs;
  out["codec"] = codecText(o.codec);
  out["frequency_hz"] = tone.hasAudio ? Json(rounded(tone.frequencyHz)) : Json(nullptr);
  out["snr_db"] = tone.hasAudio ? Json(rounded(tone.snrDb)) : Json(nullptr);
  out["level_dbfs"] = tone.hasAudio ? Json(rounded(tone.levelDbfs)) : Json(nullptr);
  out["expected_tone_hz"] = o.expectTone ? Json(*o.expectTone) : Json(nullptr);
  out["audio_ms"] = rounded(double(tone.analysedSamples) * 1000 / pcmRate(o.codec));
  out["silence_ms"] = rounded(double(tone.silentSamples) * 1000 / pcmRate(o.codec));
  out["digits"] = r.stats.digits();
  out["srtp"] = !o.keys.empty();
  out["srtp_auth_failures"] = r.authFailures;
  out["srtp_replays"] = r.replays;
  out["srtp_errors"] = r.srtpErrors;
  if (r.keys) {
    Json changes = Json::array();
    for (const auto& c : r.keys->changes()) {
      changes.push_back(
          {{"ssrc", c.ssrc}, {"key", c.key}, {"after_packets", c.packet}, {"roc", c.roc}});
    }
    out["srtp_key_changes"] = changes;
  }
  out["other_pt_packets"] = r.stats.otherPayloadType();
  out["rtcp_packets"] = r.rtcp;
  out["malformed"] = r.malformed;
  out["streams"] = streams;
  out["duration_s"] = rounded(elapsed);
  out["stopped"] = stopped;
  out["reasons"] = reasons;
  std::string line = out.dump();
  std::cout << line << std::endl;
  if (!o.json.empty()) {
    std::ofstream file(o.json);
    file << line << "\n";
    if (!file) runtimeError("cannot write " + o.json);
  }
  return reasons.empty() ? kExitPass : kExitFail;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usageError("send or recv?");
  std::string_view mode = argv[1];
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::cout << kUsage;
      return kExitPass;
    }
  }
  Args args(argc, argv, 2);
  if (mode == "send") return runSend(parseSend(args));
  if (mode == "recv") return runRecv(parseRecv(args));
  usageError("unknown mode '" + std::string(mode) + "' (send or recv)");
}
