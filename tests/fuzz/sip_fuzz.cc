// libFuzzer target for the SIP message layer. Any input: parse it as a datagram and as
// a byte stream, read every typed header, and hold the model to its promises:
//  - an accepted message serializes back to exactly the bytes it was parsed from;
//  - an edited message serializes to something that parses again, and is stable.
// A broken promise aborts, which the fuzzer reports as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <vector>

#include "signaling/sip/multipart.h"
#include "signaling/sip/stream_framer.h"
#include "signaling/sip/validator.h"

namespace {

using namespace sbc::sip;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "broken promise: %s\n", what);
    std::abort();
  }
}

void readEverything(const Message& m) {
  (void)m.cseq();
  (void)m.from();
  (void)m.to();
  (void)m.topVia();
  (void)m.maxForwards();
  (void)m.contentLength();
  (void)m.contentType();
  (void)m.requestUriParsed();
  Via via;
  NameAddr addr;
  m.forEachValue(HeaderId::kVia, [&](std::string_view v) { return parseVia(v, via); });
  m.forEachValue(HeaderId::kContact,
                 [&](std::string_view v) { return parseNameAddr(v, AddressForm::kContact, addr); });
  m.forEachValue(HeaderId::kRecordRoute, [&](std::string_view v) {
    return parseNameAddr(v, AddressForm::kNameAddrOnly, addr);
  });
  for (const HeaderField& f : m.fields())
    (void)m.header(m.name(f));
}

void checkEdits(Message m) {
  m.setHeader(HeaderId::kMaxForwards, "69");
  m.addHeader(HeaderId::kVia, "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKfuzz",
              Message::Where::kTop);
  m.removeHeader(HeaderId::kUserAgent);
  m.setHeader("X-Fuzz", "1");
  if (m.isRequest()) m.setRequestUri("sip:fuzz@203.0.113.2");
  m.setBody("v=0\r\n", "application/sdp");
  std::string once = m.serialize();
  Message again;
  require(parseMessage(once, Framing::kDatagram, Limits{1 << 20, 1 << 12, 1 << 20}, again).ok(),
          "edited message parses again");
  require(again.serialize() == once, "edited message round-trips");
  require(again.topVia().value.branch == "z9hG4bKfuzz", "added Via is on top");
  require(again.body() == "v=0\r\n", "new body survives");
}

// A multipart body (the B2BUA takes SIP-I apart): within bounds, and what parses rebuilds
// into a body that parses back into the same parts.
void checkMultipart(const Message& m) {
  Parsed<MediaType> ct = m.contentType();
  std::string_view boundary;
  if (!ct || multipartBoundary(ct.value, boundary)) return;
  std::vector<BodyPart> parts;
  MultipartLimits limits;
  if (parseMultipart(m.body(), boundary, limits, parts)) return;
  require(!parts.empty() && parts.size() <= limits.maxParts, "multipart parts within bounds");
  constexpr std::string_view kOwn = "fuzz-boundary";
  for (const BodyPart& p : parts) {
    require(p.body.empty() || (p.body.data() >= m.body().data() &&
                               p.body.data() + p.body.size() <= m.body().data() + m.body().size()),
            "a part lies inside the body");
    if (p.body.find(kOwn) != std::string_view::npos) return;
  }
  std::string rebuilt = buildMultipart(parts, kOwn);
  std::vector<BodyPart> again;
  require(parseMultipart(rebuilt, kOwn, limits, again) == nullptr, "rebuilt multipart parses");
  require(again.size() == parts.size(), "rebuilt multipart keeps its parts");
  for (size_t i = 0; i < parts.size(); ++i) {
    require(again[i].contentType == parts[i].contentType &&
                again[i].contentDisposition == parts[i].contentDisposition &&
                again[i].body == parts[i].body,
            "rebuilt part is the same");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Limits limits;
  ValidationPolicy policy;

  Message m;
  Verdict v = check(input, Framing::kDatagram, limits, policy, m);
  readEverything(m);
  if (v.accepted()) {
    checkMultipart(m);
    require(m.serialize() == m.raw(), "untouched message serializes byte for byte");
    checkEdits(m);
  }

  // The same bytes as a stream delivered in two reads, split where the first byte says.
  StreamFramer framer(limits);
  size_t split = size ? data[0] % (size + 1) : 0;
  framer.append(input.substr(0, split));
  bool secondHalf = false;
  for (int guard = 0; guard < 100000; ++guard) {
    StreamFramer::Result r = framer.next();
    if (r == StreamFramer::Result::kMessage) {
      Message s;
      Verdict sv = check(framer.message(), Framing::kStream, limits, policy, s);
      if (sv.accepted()) require(s.serialize() == framer.message(), "stream message round-trips");
      continue;
    }
    if (r == StreamFramer::Result::kKeepAlive) continue;
    if (r == StreamFramer::Result::kNeedMore && !secondHalf) {
      framer.append(input.substr(split));
      secondHalf = true;
      continue;
    }
    break;
  }
  return 0;
}
