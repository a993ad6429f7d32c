#include "signaling/dialog/dialog.h"

#include <algorithm>

namespace sbc::dialog {
namespace {

// A From/To value without its tag parameter, as a name-addr.
std::string withoutTag(const sip::NameAddr& a) {
  std::string out;
  if (!a.displayName.empty()) {
    out.append(a.displayName);
    out += ' ';
  }
  out += '<';
  out.append(a.uri.text);
  out += '>';
  a.params.forEach([&](const sip::Param& p) {
    if (sip::iequals(p.name, "tag")) return;
    out += ';';
    out.append(p.name);
    if (p.hasValue) {
      out += '=';
      out.append(p.value);
    }
  });
  return out;
}

std::string contactUri(const sip::Message& m) {
  sip::NameAddr c;
  std::string uri;
  m.forEachValue(sip::HeaderId::kContact, [&](std::string_view item) -> const char* {
    if (uri.empty() && !sip::parseNameAddr(item, sip::AddressForm::kContact, c) && !c.star)
      uri = c.uri.text;
    return nullptr;
  });
  return uri;
}

std::vector<std::string> recordRoutes(const sip::Message& m) {
  std::vector<std::string> routes;
  m.forEachValue(sip::HeaderId::kRecordRoute, [&](std::string_view item) -> const char* {
    routes.emplace_back(item);
    return nullptr;
  });
  return routes;
}

}  // namespace

std::string LocalAddress::via(std::string_view branch) const {
  std::string v = "SIP/2.0/";
  v.append(transport::protocolName(protocol));
  v += ' ' + host + ':' + std::to_string(port) + ";branch=";
  v.append(branch);
  v += ";rport";
  return v;
}

std::string LocalAddress::contact() const {
  std::string c = "<sip:" + host + ':' + std::to_string(port);
  if (protocol == transport::Protocol::kTcp) c += ";transport=tcp";
  return c + '>';
}

Dialog fromRequest(const sip::Message& request, std::string localTag) {
  Dialog d;
  d.callId = std::string(request.callId());
  d.localTag = std::move(localTag);
  sip::Parsed<sip::NameAddr> from = request.from();
  sip::Parsed<sip::NameAddr> to = request.to();
  d.remoteTag = std::string(from.value.tag());
  d.remoteUri = withoutTag(from.value);
  d.localUri = withoutTag(to.value);
  d.remoteCseq = request.cseq().value.number;
  d.haveRemoteCseq = true;
  d.remoteTarget = contactUri(request);
  d.routeSet = recordRoutes(request);  // UAS: in the order received
  return d;
}

void applyResponse(Dialog& d, const sip::Message& response) {
  d.remoteTag = std::string(response.to().value.tag());
  std::string target = contactUri(response);
  if (!target.empty()) d.remoteTarget = std::move(target);
  if (d.state != Dialog::State::kConfirmed) {
    // The route set is fixed by the response that creates (or confirms) the dialog.
    d.routeSet = recordRoutes(response);
    std::reverse(d.routeSet.begin(), d.routeSet.end());  // UAC: reversed
  }
  if (response.statusCode() >= 200 && response.statusCode() < 300)
    d.state = Dialog::State::kConfirmed;
}

bool acceptRequest(Dialog& d, const sip::Message& request) {
  sip::Method m = request.methodId();
  if (m != sip::Method::kAck && m != sip::Method::kCancel) {
    uint32_t cseq = request.cseq().value.number;
    if (d.haveRemoteCseq && cseq <= d.remoteCseq) return false;
    d.remoteCseq = cseq;
    d.haveRemoteCseq = true;
  }
  if (m == sip::Method::kInvite || m == sip::Method::kUpdate) {
    std::string target = contactUri(request);
    if (!target.empty()) d.remoteTarget = std::move(target);
  }
  return true;
}

std::string_view nextHop(const Dialog& d) {
  if (!d.routeSet.empty()) return d.routeSet.front();
  return d.remoteTarget;
}

std::string uriOf(std::string_view nameAddr) {
  sip::NameAddr a;
  if (sip::parseNameAddr(nameAddr, sip::AddressForm::kNameAddrOrSpec, a))
    return std::string(nameAddr);
  return std::string(a.uri.text);
}

sip::Message makeRequest(Dialog& d, std::string_view method, const LocalAddress& local,
                         std::string_view branch, uint32_t maxForwards, uint32_t cseq) {
  // Loose routing (§12.2.1.1): with a route set whose first entry has ;lr, the Request-URI
  // is the remote target and every route goes in Route. (Strict routers are not served.)
  std::string target = d.remoteTarget.empty() ? uriOf(d.remoteUri) : d.remoteTarget;
  sip::Message r = sip::Message::request(method, target);
  r.addHeader(sip::HeaderId::kVia, local.via(branch));
  r.addHeader(sip::HeaderId::kMaxForwards, std::to_string(maxForwards));
  for (const std::string& route : d.routeSet)
    r.addHeader(sip::HeaderId::kRoute, route);
  r.addHeader(sip::HeaderId::kFrom, d.localUri + ";tag=" + d.localTag);
  r.addHeader(sip::HeaderId::kTo,
              d.remoteTag.empty() ? d.remoteUri : d.remoteUri + ";tag=" + d.remoteTag);
  r.addHeader(sip::HeaderId::kCallId, d.callId);
  if (cseq == 0) cseq = ++d.localCseq;
  r.addHeader(sip::HeaderId::kCSeq, std::to_string(cseq) + " " + std::string(method));
  sip::Method m = sip::methodFromName(method);
  if (m == sip::Method::kInvite || m == sip::Method::kUpdate)
    r.addHeader(sip::HeaderId::kContact, local.contact());
  return r;
}

}  // namespace sbc::dialog
