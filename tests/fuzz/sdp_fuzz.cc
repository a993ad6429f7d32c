// libFuzzer target for the SDP parser: whatever parses must serialize to text that parses
// again into the same text, every getter must cope, and the B2BUA's edits must keep the
// description parseable.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "signaling/sdp/session.h"

namespace {

using sbc::sdp::Connection;
using sbc::sdp::Direction;
using sbc::sdp::MediaDescription;
using sbc::sdp::SessionDescription;

void check(bool ok) {
  if (!ok) std::abort();
}

// Reads everything a caller may read; the values only feed a checksum the compiler keeps.
size_t touch(const SessionDescription& sd) {
  size_t sum = sd.sessionName().size();
  if (auto o = sd.origin()) sum += o->sessionVersion.size();
  if (auto c = sd.connection()) sum += c->address.size();
  if (auto d = sd.direction()) sum += static_cast<size_t>(*d);
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    const MediaDescription& m = sd.media(i);
    sum += m.port() + m.type().size() + m.proto().size();
    sum += static_cast<size_t>(sd.effectiveDirection(i));
    if (auto c = sd.effectiveConnection(i)) sum += c->address.size();
    for (std::string_view f : m.formats()) {
      sum += f.size();
      if (auto p = m.fmtp(f)) sum += p->size();
    }
    for (const auto& r : m.rtpmaps()) {
      sum += r.clockRate;
      check(m.rtpmap(r.payloadType).has_value());
    }
    if (auto r = m.rtcp()) sum += r->port;
    for (const auto& c : m.cryptos()) {
      sum += c.tag;
    }
    sum += m.rtcpMux() ? 1 : 0;
    sum += m.attributes("candidate").size();
  }
  return sum;
}

// The parser's bounds apply to what we write too: a 64 KiB input without its final CRLF,
// or an edit that adds lines to a 1000-line input, yields text the parser refuses.
bool withinBounds(std::string_view out) {
  size_t lines = 0;
  for (char c : out) {
    lines += c == '\n' ? 1 : 0;
  }
  return out.size() <= SessionDescription::kMaxBytes && lines <= SessionDescription::kMaxLines;
}

// serialize(x) must parse, and serialize to itself. False when out of bounds.
bool roundTrip(const SessionDescription& sd, std::string& out) {
  out = sd.serialize();
  if (!withinBounds(out)) return false;
  auto again = SessionDescription::parse(out);
  check(again.ok());
  check(again.value().serialize() == out);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = SessionDescription::parse(text);
  if (!parsed.ok()) {
    check(!parsed.error().reason.empty());
    return 0;
  }
  SessionDescription sd = std::move(parsed).value();
  volatile size_t sink = touch(sd);
  (void)sink;
  std::string out;
  if (!roundTrip(sd, out)) return 0;
  // Untouched, the text comes back as it was; only a missing last terminator is added.
  if (!text.empty() && text.back() == '\n') {
    check(out == text);
  } else {
    check(out.size() - text.size() <= 2 && std::string_view(out).substr(0, text.size()) == text);
  }

  // The rewrites a relaying B2BUA does on an offer.
  check(sd.rewriteConnections(Connection{"IN", "IP4", "203.0.113.1"}) == nullptr);
  check(sd.bumpVersion());
  sd.stripIce();
  sd.setDirection(Direction::kSendRecv);
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    MediaDescription& m = sd.media(i);
    m.setPort(static_cast<uint16_t>(10000 + 2 * i));
    m.setDirection(Direction::kSendOnly);
    m.setRtcpMux(i % 2 == 0);
    check(m.setRtcp({static_cast<uint16_t>(10001 + 2 * i), "IN", "IP4", "203.0.113.1"}) == nullptr);
    check(m.setConnection(Connection{"IN", "IP6", "2001:db8::1"}) == nullptr);
    if (m.formats().size() > 1) check(m.removeFormat(m.formats().back()) == nullptr);
    check(m.setRtpmap({96, "opus", 48000, 2}) == nullptr);
  }
  if (!roundTrip(sd, out)) return 0;
  auto reparsed = SessionDescription::parse(out);
  check(reparsed.ok());
  const SessionDescription& r = reparsed.value();
  check(r.mediaCount() == sd.mediaCount());
  for (size_t i = 0; i < r.mediaCount(); ++i) {
    check(r.media(i).port() == 10000 + 2 * i);
    check(r.effectiveDirection(i) == Direction::kSendOnly);
    check(r.media(i).rtcp()->port == 10001 + 2 * i);
    check(r.media(i).rtcpMux() == (i % 2 == 0));
    check(!r.media(i).hasAttribute("candidate") && !r.media(i).hasAttribute("ice-ufrag"));
  }
  return 0;
}
