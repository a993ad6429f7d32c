#include "signaling/b2bua/sdp_origin.h"

#include <random>

#include "mediaplane/api/address.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/sdp/session.h"

namespace sbc::b2bua {
namespace {

// FNV-1a over the description without its o= line: a change anywhere else is a new
// version.
uint64_t contentHash(std::string_view body) {
  uint64_t h = 1469598103934665603ULL;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl + 1;
    std::string_view line = body.substr(pos, end - pos);
    if (line.substr(0, 2) != "o=") {
      for (char c : line)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    pos = end;
  }
  return h;
}

}  // namespace

std::optional<std::string> SdpOrigin::rewrite(std::string_view body, std::string_view address,
                                              std::string& error) {
  sdp::ParseResult parsed = sdp::SessionDescription::parse(body);
  if (!parsed.ok()) {
    error = parsed.error().toString();
    return std::nullopt;
  }
  if (const char* err = apply(parsed.value(), body, address)) {
    error = err;
    return std::nullopt;
  }
  return parsed.value().serialize();
}

const std::string& SdpOrigin::cname() {
  if (cname_.empty()) cname_ = randomToken(16);
  return cname_;
}

const char* SdpOrigin::apply(sdp::SessionDescription& sd, std::string_view original,
                             std::string_view address) {
  if (sessionId_.empty()) {
    static std::mt19937_64 rng{std::random_device{}()};
    uint64_t id = rng() % 9000000000ULL + 1000000000ULL;
    sessionId_ = std::to_string(id);
    version_ = id;
  }
  uint64_t content = contentHash(original);
  if (lastContent_ != 0 && content != lastContent_) ++version_;
  lastContent_ = content;
  std::string version = std::to_string(version_);
  std::string host(net::stripBrackets(address));
  sdp::Origin o;
  o.username = "-";
  o.sessionId = sessionId_;
  o.sessionVersion = version;
  o.netType = "IN";
  o.addrType = host.find(':') != std::string::npos ? "IP6" : "IP4";
  o.address = host;
  return sd.setOrigin(o);
}

}  // namespace sbc::b2bua
