#include "signaling/sip/validator.h"

namespace sbc::sip {
namespace {

Verdict reject(uint16_t status, std::string reason) {
  Verdict v;
  v.action = Verdict::Action::kReject;
  v.status = status;
  v.reason = std::move(reason);
  return v;
}

std::string headerError(HeaderId id, const char* err) {
  return "invalid " + std::string(headerInfo(id).name) + " header: " + err;
}

bool isUnroutable(std::string_view host) {
  return host == "255.255.255.255" || host == "0.0.0.0";
}

// The checks shared by requests and responses: every failure here is a 400 for a
// request, and a drop for a response. Returns an empty reason when all pass.
std::string checkCommon(const Message& m) {
  static constexpr HeaderId kMandatory[] = {HeaderId::kTo, HeaderId::kFrom, HeaderId::kCallId,
                                            HeaderId::kCSeq, HeaderId::kVia};
  std::string missing;
  for (HeaderId id : kMandatory) {
    if (!m.first(id)) missing += (missing.empty() ? "" : ", ") + std::string(headerInfo(id).name);
  }
  if (!missing.empty()) return "missing mandatory header(s): " + missing;

  for (size_t i = 1; i < kHeaderIdCount; ++i) {
    auto id = static_cast<HeaderId>(i);
    if (headerInfo(id).single && m.count(id) > 1) {
      return "more than one " + std::string(headerInfo(id).name) + " header";
    }
  }

  std::string_view callId = m.callId();
  if (!isCallId(callId)) return "invalid Call-ID header";

  Parsed<CSeq> cseq = m.cseq();
  if (!cseq) return headerError(HeaderId::kCSeq, cseq.error);

  for (HeaderId id : {HeaderId::kFrom, HeaderId::kTo}) {
    Parsed<NameAddr> a = m.address(id);
    if (!a) return headerError(id, a.error);
  }

  Via via;
  std::string_view unroutable;
  const char* err = m.forEachValue(HeaderId::kVia, [&](std::string_view item) -> const char* {
    if (const char* e = parseVia(item, via)) return e;
    if (isUnroutable(via.host)) unroutable = via.host;
    return nullptr;
  });
  if (err) return headerError(HeaderId::kVia, err);
  if (!unroutable.empty())
    return "Via sent-by " + std::string(unroutable) + " is not a unicast address";

  if (m.first(HeaderId::kMaxForwards)) {
    Parsed<uint32_t> mf = m.maxForwards();
    if (!mf) return headerError(HeaderId::kMaxForwards, mf.error);
  }

  NameAddr addr;
  static constexpr std::pair<HeaderId, AddressForm> kAddressLists[] = {
      {HeaderId::kContact, AddressForm::kContact},
      {HeaderId::kRoute, AddressForm::kNameAddrOnly},
      {HeaderId::kRecordRoute, AddressForm::kNameAddrOnly},
  };
  for (const auto& entry : kAddressLists) {
    AddressForm form = entry.second;  // clang 14 cannot capture a structured binding
    err = m.forEachValue(entry.first,
                         [&](std::string_view item) { return parseNameAddr(item, form, addr); });
    if (err) return headerError(entry.first, err);
  }

  if (m.first(HeaderId::kContentType)) {
    Parsed<MediaType> ct = m.contentType();
    if (!ct) return headerError(HeaderId::kContentType, ct.error);
  } else if (!m.body().empty()) {
    return "body without a Content-Type header";
  }

  for (HeaderId id : {HeaderId::kRequire, HeaderId::kProxyRequire, HeaderId::kSupported}) {
    err = m.forEachValue(id, [](std::string_view tag) -> const char* {
      return allOf(tag, kToken) ? nullptr : "option tag is not a token";
    });
    if (err) return headerError(id, err);
  }

  // Method and the heads of encoding / language-range are tokens ("*" is one too); the
  // accept-params after them are not checked here.
  for (HeaderId id : {HeaderId::kAllow, HeaderId::kAcceptEncoding, HeaderId::kAcceptLanguage}) {
    err = m.forEachValue(id, [id](std::string_view item) -> const char* {
      if (id != HeaderId::kAllow) item = trimLws(item.substr(0, item.find(';')));
      return allOf(item, kToken) && !item.empty() ? nullptr : "element is not a token";
    });
    if (err) return headerError(id, err);
  }

  MediaType range;
  err = m.forEachValue(HeaderId::kAccept,
                       [&](std::string_view item) { return parseMediaType(item, true, range); });
  if (err) return headerError(HeaderId::kAccept, err);

  if (const HeaderField* date = m.first(HeaderId::kDate)) {
    if (!isSipDate(m.value(*date))) return "invalid Date header (RFC 1123 form in GMT required)";
  }
  return {};
}

bool isSessionMethod(Method m) {
  return m == Method::kInvite || m == Method::kAck || m == Method::kPrack || m == Method::kUpdate;
}

Verdict validateRequest(const Message& m, const ValidationPolicy& policy) {
  if (m.version() != "SIP/2.0") {
    return reject(505, "SIP version " + std::string(m.version()) + " not supported");
  }
  if (std::string why = checkCommon(m); !why.empty()) return reject(400, std::move(why));

  Parsed<CSeq> cseq = m.cseq();
  if (cseq.value.method != m.method()) {
    // RFC 4475 §3.1.2.18 prefers 501 when the method is one this element does not know.
    if (m.methodId() == Method::kUnknown) {
      return reject(501, "method " + std::string(m.method()) + " not implemented (and CSeq names " +
                             std::string(cseq.value.method) + ")");
    }
    return reject(400, "CSeq method does not match the request method");
  }

  Parsed<Via> top = m.topVia();
  if (top.value.hasBranch && top.value.branch == kMagicCookie) {
    return reject(400, "Via branch is only the magic cookie z9hG4bK");
  }

  Parsed<Uri> ruri = m.requestUriParsed();
  if (!ruri) {
    // An absoluteURI whose scheme we do not serve is 416; a broken SIP URI is 400.
    bool unsupportedScheme = ruri.value.kind == UriScheme::kOther && !ruri.value.scheme.empty();
    if (unsupportedScheme) {
      return reject(416, "unsupported URI scheme '" + std::string(ruri.value.scheme) + "'");
    }
    return reject(400, std::string("invalid Request-URI: ") + ruri.error);
  }
  if (ruri.value.kind == UriScheme::kOther) {
    return reject(416, "unsupported URI scheme '" + std::string(ruri.value.scheme) + "'");
  }
  if (ruri.value.hasHeaders) return reject(400, "Request-URI must not contain headers");

  if (m.methodId() == Method::kRegister) {
    // The address-of-record of a registration is a SIP or SIPS URI (RFC 3261 §10.2).
    if (!m.to().value.uri.isSip()) return reject(400, "REGISTER To is not a SIP or SIPS URI");
  }

  if (m.methodId() != Method::kAck && m.methodId() != Method::kCancel) {
    Verdict v;
    m.forEachValue(HeaderId::kRequire, [&](std::string_view tag) -> const char* {
      for (const std::string& s : policy.supportedOptions) {
        if (iequals(s, tag)) return nullptr;
      }
      v.unsupported.emplace_back(tag);
      return nullptr;
    });
    if (!v.unsupported.empty()) {
      v.action = Verdict::Action::kReject;
      v.status = 420;
      v.reason = "unsupported extension(s) in Require";
      return v;
    }
  }

  if (isSessionMethod(m.methodId()) && !m.body().empty()) {
    MediaType ct = m.contentType().value;
    bool accepted = false;
    for (const std::string& t : policy.sessionBodyTypes) {
      size_t slash = t.find('/');
      accepted |= iequals(ct.type, std::string_view(t).substr(0, slash)) &&
                  iequals(ct.subtype, std::string_view(t).substr(slash + 1));
    }
    if (!accepted) {
      return reject(
          415, "unsupported body type " + std::string(ct.type) + "/" + std::string(ct.subtype));
    }
  }

  if (m.methodId() == Method::kInvite && m.first(HeaderId::kAccept)) {
    // The answer to an INVITE carries SDP: the caller must accept it (RFC 3261 §21.4.7).
    bool sdp = false;
    MediaType range;
    m.forEachValue(HeaderId::kAccept, [&](std::string_view item) -> const char* {
      if (!parseMediaType(item, true, range)) sdp |= range.matches("application", "sdp");
      return nullptr;
    });
    if (!sdp) return reject(406, "Accept does not allow application/sdp");
  }

  if (policy.forwarding && m.first(HeaderId::kMaxForwards) && m.maxForwards().value == 0) {
    return reject(483, "Max-Forwards is 0");
  }
  return Verdict{};
}

Verdict validateResponse(const Message& m) {
  Verdict v;
  v.action = Verdict::Action::kDrop;
  if (m.version() != "SIP/2.0") {
    v.reason = "SIP version " + std::string(m.version()) + " not supported";
    return v;
  }
  if (std::string why = checkCommon(m); !why.empty()) {
    v.reason = std::move(why);
    return v;
  }
  return Verdict{};
}

}  // namespace

Verdict validate(const Message& m, const ValidationPolicy& policy) {
  return m.isRequest() ? validateRequest(m, policy) : validateResponse(m);
}

Verdict check(std::string_view bytes, Framing framing, const Limits& limits,
              const ValidationPolicy& policy, Message& out) {
  Status st = parseMessage(bytes, framing, limits, out);
  if (!st.ok()) {
    Verdict v;
    // A response that cannot be parsed is never answered; neither is a request whose
    // start line was not even readable as one, but the transport decides that.
    bool response = out.isResponse();
    v.action = response ? Verdict::Action::kDrop : Verdict::Action::kReject;
    v.status = response ? 0 : st.code();
    v.reason = st.reason();
    return v;
  }
  return validate(out, policy);
}

std::string_view actionName(Verdict::Action a) {
  switch (a) {
    case Verdict::Action::kAccept:
      return "accept";
    case Verdict::Action::kReject:
      return "reject";
    case Verdict::Action::kDrop:
      return "drop";
  }
  return "?";
}

}  // namespace sbc::sip
