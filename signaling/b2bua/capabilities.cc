#include "signaling/b2bua/capabilities.h"

#include <string>

#include "signaling/b2bua/message_util.h"

namespace sbc::b2bua {
namespace {

bool wantsAllow(const sip::Message& m) {
  sip::Method method = m.isRequest() ? m.methodId() : sip::methodFromName(m.cseq().value.method);
  bool capabilityMethod = method == sip::Method::kInvite || method == sip::Method::kUpdate ||
                          method == sip::Method::kOptions;
  if (m.isRequest()) return capabilityMethod;
  int code = m.statusCode();
  if (code == 405) return true;
  if (code / 100 == 2) return capabilityMethod;
  return code > 100 && code < 200 && method == sip::Method::kInvite;
}

bool wantsSupported(const sip::Message& m) {
  if (m.isRequest())
    return m.methodId() != sip::Method::kAck && m.methodId() != sip::Method::kCancel;
  return m.statusCode() > 100 && m.statusCode() < 300;
}

}  // namespace

void presentCapabilities(const sip::Message& far, sip::Message& out) {
  out.removeHeader(sip::HeaderId::kAllow);
  out.removeHeader(sip::HeaderId::kSupported);
  if (wantsAllow(out)) out.addHeader(sip::HeaderId::kAllow, kAllow);
  if (!wantsSupported(out)) return;
  std::string supported;
  for (std::string_view tag : kEndToEndOptions) {
    if (!hasOptionTag(far, sip::HeaderId::kSupported, tag)) continue;
    if (!supported.empty()) supported += ", ";
    supported += tag;
  }
  if (!supported.empty()) out.addHeader(sip::HeaderId::kSupported, supported);
}

void addSupported(sip::Message& out, std::string_view tag) {
  std::string value(tag);
  std::string_view others = out.header(sip::HeaderId::kSupported);
  if (!others.empty()) value.append(", ").append(others);
  out.setHeader(sip::HeaderId::kSupported, value);
}

}  // namespace sbc::b2bua
