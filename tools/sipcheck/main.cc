// sbc-sipcheck: runs one SIP message through the SBC's parser and validator and prints
// what the SBC makes of it, as one JSON object. Exit 0: valid, 1: rejected or dropped,
// 2: usage error. With --transport tcp the input is a byte stream that may hold several
// messages: one JSON object per line, exit 0 only if all are valid.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "signaling/sdp/session.h"
#include "signaling/sip/stream_framer.h"
#include "signaling/sip/validator.h"

namespace {

using Json = nlohmann::ordered_json;
using namespace sbc::sip;

constexpr const char* kUsage =
    "usage: sbc-sipcheck [options] FILE|-\n"
    "  Parses and validates one SIP message and prints a JSON verdict.\n"
    "  --transport udp|tcp   framing rules: datagram (default) or stream\n"
    "  --max-size N          message size limit in bytes (default 65535)\n"
    "  --max-headers N       header line limit (default 128)\n"
    "  --max-body N          body size limit in bytes (default 32768)\n"
    "  --pretty              indent the JSON\n"
    "exit status: 0 valid, 1 rejected or dropped, 2 usage error\n";

Json str(std::string_view s) {
  return Json(std::string(s));
}

Json describe(const Message& m, const Verdict& v) {
  // A failed parse may stop before the start line was understood.
  bool parsedStartLine =
      !m.version().empty() && (m.isRequest() ? !m.method().empty() : m.statusCode() != 0);
  Json j;
  j["valid"] = v.accepted();
  j["kind"] = m.isRequest() ? "request" : "response";
  if (!parsedStartLine) {
    j["kind"] = nullptr;
  } else if (m.isRequest()) {
    j["method"] = str(m.method());
    j["request_uri"] = str(m.requestUri());
  } else {
    j["status"] = m.statusCode();
    j["reason_phrase"] = str(m.reasonPhrase());
  }
  j["version"] = parsedStartLine ? str(m.version()) : Json(nullptr);

  j["call_id"] = m.first(HeaderId::kCallId) ? str(m.callId()) : Json(nullptr);
  auto tagOf = [](const Parsed<NameAddr>& a) -> Json {
    if (!a || !a.value.hasTag()) return nullptr;
    return str(a.value.tag());
  };
  j["from_tag"] = tagOf(m.from());
  j["to_tag"] = tagOf(m.to());

  Parsed<CSeq> cseq = m.cseq();
  j["cseq"] = cseq ? Json{{"number", cseq.value.number}, {"method", str(cseq.value.method)}}
                   : Json(nullptr);

  Json vias = Json::array();
  Via via;
  m.forEachValue(HeaderId::kVia, [&](std::string_view item) -> const char* {
    if (parseVia(item, via)) {
      vias.push_back(Json{{"sent_by", nullptr}, {"branch", nullptr}, {"raw", str(item)}});
    } else {
      vias.push_back(Json{{"transport", str(via.transport)},
                          {"sent_by", str(via.sentBy)},
                          {"branch", via.hasBranch ? str(via.branch) : Json(nullptr)}});
    }
    return nullptr;
  });
  j["via"] = vias;

  Parsed<uint32_t> mf = m.maxForwards();
  j["max_forwards"] = mf ? Json(mf.value) : Json(nullptr);
  Parsed<uint32_t> cl = m.contentLength();
  j["content_length"] = cl ? Json(cl.value) : Json(nullptr);
  j["body_length"] = m.body().size();
  j["headers"] = [&] {
    size_t n = 0;
    for (const HeaderField& f : m.fields())
      n += !f.removed;
    return n;
  }();

  // An SDP body gets a summary of its media lines, or the reason it is not valid SDP.
  Parsed<MediaType> ct = m.contentType();
  if (ct && ct.value.matches("application", "sdp") && !m.body().empty()) {
    sbc::sdp::ParseResult sdp = sbc::sdp::SessionDescription::parse(m.body());
    if (!sdp.ok()) {
      j["sdp"] = Json{{"valid", false}, {"error", sdp.error().toString()}};
    } else {
      Json media = Json::array();
      for (const sbc::sdp::MediaDescription& md : sdp.value().media()) {
        Json formats = Json::array();
        for (std::string_view f : md.formats())
          formats.push_back(str(f));
        media.push_back(Json{{"type", str(md.type())},
                             {"port", md.port()},
                             {"proto", str(md.proto())},
                             {"formats", formats}});
      }
      j["sdp"] = Json{{"valid", true}, {"media", media}};
    }
  }

  j["action"] = std::string(actionName(v.action));
  if (!v.accepted()) {
    j["error"] = v.reason;
    j["response"] = v.action == Verdict::Action::kReject ? Json(v.status) : Json(nullptr);
    if (!v.unsupported.empty()) j["unsupported"] = v.unsupported;
  }
  return j;
}

bool parseSize(const char* s, size_t& out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (!s[0] || *end || v == 0) return false;
  out = static_cast<size_t>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Limits limits;
  bool stream = false;
  bool pretty = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto needValue = [&]() -> const char* {
      if (i + 1 >= argc) return nullptr;
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--transport") {
      const char* v = needValue();
      if (!v || (std::string_view(v) != "udp" && std::string_view(v) != "tcp")) {
        std::cerr << "sbc-sipcheck: --transport takes udp or tcp\n" << kUsage;
        return 2;
      }
      stream = std::string_view(v) == "tcp";
    } else if (a == "--max-size" || a == "--max-headers" || a == "--max-body") {
      const char* v = needValue();
      size_t n = 0;
      if (!v || !parseSize(v, n)) {
        std::cerr << "sbc-sipcheck: " << a << " takes a positive number\n" << kUsage;
        return 2;
      }
      (a == "--max-size"      ? limits.maxMessageBytes
       : a == "--max-headers" ? limits.maxHeaders
                              : limits.maxBodyBytes) = n;
    } else if (a == "--pretty") {
      pretty = true;
    } else if (a.size() > 1 && a[0] == '-') {
      std::cerr << "sbc-sipcheck: unknown option " << a << "\n" << kUsage;
      return 2;
    } else if (path) {
      std::cerr << "sbc-sipcheck: one input at a time\n" << kUsage;
      return 2;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    std::cerr << kUsage;
    return 2;
  }

  std::string input;
  if (std::string_view(path) == "-") {
    input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      std::cerr << "sbc-sipcheck: cannot read " << path << "\n";
      return 2;
    }
    input.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }

  ValidationPolicy policy;
  auto print = [&](const Json& j) {
    std::cout << j.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace) << "\n";
  };

  Message msg;
  if (!stream) {
    Verdict v = check(input, Framing::kDatagram, limits, policy, msg);
    print(describe(msg, v));
    return v.accepted() ? 0 : 1;
  }

  StreamFramer framer(limits);
  framer.append(input);
  bool allValid = true;
  size_t messages = 0;
  while (true) {
    StreamFramer::Result r = framer.next();
    if (r == StreamFramer::Result::kKeepAlive) continue;
    if (r == StreamFramer::Result::kMessage) {
      ++messages;
      Verdict v = check(framer.message(), Framing::kStream, limits, policy, msg);
      allValid &= v.accepted();
      print(describe(msg, v));
      continue;
    }
    if (r == StreamFramer::Result::kError) {
      Json j{{"valid", false},
             {"action", "close"},
             {"error", framer.error().reason()},
             {"response", framer.error().code()}};
      print(j);
      return 1;
    }
    // kNeedMore at the end of input: leftover bytes are an incomplete message.
    if (framer.buffered() > 0) {
      Json j{{"valid", false},
             {"action", "drop"},
             {"error",
              "stream ended inside a message (" + std::to_string(framer.buffered()) + " bytes)"},
             {"response", nullptr}};
      print(j);
      return 1;
    }
    break;
  }
  if (messages == 0) {
    print(Json{{"valid", false},
               {"action", "drop"},
               {"error", "no message in the stream"},
               {"response", nullptr}});
    return 1;
  }
  return allValid ? 0 : 1;
}
