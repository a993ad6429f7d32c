#include "signaling/b2bua/message_util.h"

#include "mediaplane/api/address.h"
#include "signaling/sip/random_token.h"

namespace sbc::b2bua {

std::string randomToken(size_t n) {
  // The OS CSPRNG: a tag or Call-ID predicted from an observed one would let a third
  // party address other users' dialogs (issue 14, defect 1).
  return sip::randomToken(n);
}

bool hasOptionTag(const sip::Message& m, sip::HeaderId id, std::string_view tag) {
  bool found = false;
  m.forEachValue(id, [&](std::string_view item) -> const char* {
    found |= sip::iequals(item, tag);
    return nullptr;
  });
  return found;
}

bool isSdp(const sip::Message& m) {
  sip::Parsed<sip::MediaType> ct = m.contentType();
  return ct && ct.value.matches("application", "sdp");
}

std::optional<transport::Endpoint> endpointOf(std::string_view uriText,
                                              transport::Protocol fallback) {
  sip::Uri uri;
  std::string_view text = uriText;
  sip::NameAddr na;
  if (!text.empty() && (text.front() == '<' || text.find('<') != std::string_view::npos)) {
    if (sip::parseNameAddr(text, sip::AddressForm::kNameAddrOrSpec, na)) return std::nullopt;
    uri = na.uri;
  } else if (sip::parseUri(text, uri)) {
    return std::nullopt;
  }
  if (!uri.isSip() ||
      (uri.hostType != sip::HostType::kIPv4 && uri.hostType != sip::HostType::kIPv6)) {
    return std::nullopt;
  }
  std::optional<net::IpAddress> addr = net::IpAddress::parseHost(uri.host);
  if (!addr) return std::nullopt;
  transport::Protocol p = fallback;
  if (auto t = uri.params.get("transport"))
    p = sip::iequals(*t, "tcp") ? transport::Protocol::kTcp : transport::Protocol::kUdp;
  return transport::Endpoint{p, *addr, uri.hasPort ? uri.port : static_cast<uint16_t>(5060)};
}

}  // namespace sbc::b2bua
