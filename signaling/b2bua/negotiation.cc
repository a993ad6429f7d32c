// SDP crossing from one leg to the other: anchored to the SBC when the call anchors media
// (MediaAnchor), and with the leg's own o= (SdpOrigin); other bodies as bodies.cc allows.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/bodies.h"
#include "signaling/b2bua/capabilities.h"
#include "signaling/b2bua/codec_policy.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/b2bua/sdp_privacy.h"

namespace sbc::b2bua {

// RFC 3264 roles as the B2BUA sees them: requests offer (ACK and a PRACK that answers
// aside); a response answers when the leg it goes to made the pending offer.
SdpRole B2bua::Impl::sdpRole(const Call& call, Side to, const sip::Message& src) const {
  bool answers = call.media.offerFrom == index(to);  // `to` offered, the SDP comes back
  if (src.isRequest()) {
    sip::Method m = src.methodId();
    if (m == sip::Method::kAck) return SdpRole::kFinalAnswer;
    if (m == sip::Method::kPrack && answers) return SdpRole::kFinalAnswer;
    return SdpRole::kOffer;  // INVITE, UPDATE; a PRACK with an offer of its own
  }
  if (answers) return src.statusCode() >= 200 ? SdpRole::kFinalAnswer : SdpRole::kAnswer;
  return SdpRole::kOffer;  // a 2xx or reliable 1xx to an INVITE without SDP (late offer)
}

bool B2bua::Impl::srtpAnswerUsable(Call& call, Side to, const sip::Message& resp,
                                   std::string& error) {
  if (!call.media.anchored || call.media.offerFrom != index(to)) return true;
  std::optional<std::string_view> body = sdpBody(resp);
  if (!body) return true;
  sdp::ParseResult parsed = sdp::SessionDescription::parse(*body);
  if (!parsed.ok()) return true;  // sdpFor says what is wrong with it
  std::vector<SrtpAnswerLine> plan;
  return planSrtpAnswer(call.media, index(other(to)), index(to), parsed.value(), plan, error);
}

// The SDP `body` (from the other leg) as leg `to` must see it: anchored to the SBC's
// media address when the call anchors media, and with the leg's own o=. nullopt with
// `error` and `code` (488 invalid SDP, 503 no media resources) when it cannot be.
std::optional<std::string> B2bua::Impl::sdpFor(Call& call, Side to, std::string_view body,
                                               SdpRole role, std::string& error, int& code) {
  Leg& leg = call.leg(to);
  sdp::ParseResult parsed = sdp::SessionDescription::parse(body);
  if (!parsed.ok()) {
    error = "Invalid SDP: " + parsed.error().toString();
    code = 488;
    return std::nullopt;
  }
  sdp::SessionDescription& sd = parsed.value();
  // Each anchored m= line takes a port pair on both realms: without a cap, a few INVITEs
  // with hundreds of lines would empty a realm's range. Checked before any port is taken.
  if (sd.mediaCount() > settings_.maxMediaLines) {
    error = "Too many media streams: " + std::to_string(sd.mediaCount()) + " m= lines, at most " +
            std::to_string(settings_.maxMediaLines);
    code = 488;
    return std::nullopt;
  }
  // The realms' codec rules on offers, anchored or not: a refusal changes nothing.
  if (role == SdpRole::kOffer) {
    static const topology::RealmCodecs kNoRules;
    auto codecsOf = [](const topology::Realm* r) -> const topology::RealmCodecs& {
      return r && r->media ? r->media->codecs : kNoRules;
    };
    if (!applyCodecPolicy(sd, codecsOf(call.leg(other(to)).realm->config),
                          codecsOf(leg.realm->config), error)) {
      code = 488;
      return std::nullopt;
    }
  }
  if (call.media.anchored) {
    size_t from = index(other(to));
    // SRTP first: a refused offer or an unusable answer changes nothing of the call. A
    // final answer closes the exchange, usable or not.
    std::vector<SrtpOfferLine> offerPlan;
    std::vector<SrtpAnswerLine> answerPlan;
    bool srtpOk = role == SdpRole::kOffer
                      ? planSrtpOffer(call.media, from, index(to), sd, offerPlan, error)
                      : planSrtpAnswer(call.media, from, index(to), sd, answerPlan, error);
    if (role == SdpRole::kFinalAnswer) call.media.offerFrom.reset();
    if (!srtpOk) {
      code = 488;
      return std::nullopt;
    }
    if (int refused = anchor_.anchor(call.media, from, index(to), sd, error)) {
      if (refused == 488) error = "Invalid SDP: " + error;
      code = refused;
      return std::nullopt;
    }
    if (role == SdpRole::kOffer) {
      applySrtpOffer(call.media, from, index(to), sd, offerPlan);
    } else {
      applySrtpAnswer(call.media, from, index(to), sd, answerPlan);
    }
    mediaplane::Error err = anchor_.commit(call.id, call.media);
    if (!err.empty()) {
      // The relay's words may name its tables and their sizes: they stay in the log.
      spdlog::warn("event=media_unavailable call={} reason=\"media plane: {}\"", call.id, err);
      error = "no media resources available";
      code = 503;
      return std::nullopt;
    }
  }
  // What the description says of its sender stays behind unless the realm keeps it.
  const topology::Realm* realm = leg.realm->config;
  if (!realm || realm->sdpIdentity == topology::SdpIdentity::kHide)
    hideSdpIdentity(sd, leg.origin.cname());
  // o= names the address the leg's media goes to: the realm's media address when anchored.
  std::string_view originAddress = call.media.anchored && realm && realm->media
                                       ? std::string_view(realm->media->address)
                                       : std::string_view(leg.realm->advertised);
  if (const char* err = leg.origin.apply(sd, body, originAddress)) {
    error = std::string("Invalid SDP: ") + err;
    code = 488;
    return std::nullopt;
  }
  if (call.media.anchored) anchor_.told(call.media, index(to));
  return sd.serialize();
}

// Copies what may cross from `src` into `dst` (a message for leg `to`) and puts the body
// in (SDP through sdpFor). False with `error` (and `code`) when the SDP cannot cross.
bool B2bua::Impl::crossOver(Call& call, Side to, const sip::Message& src, sip::Message& dst,
                            std::string& error, int* code) {
  Leg& leg = call.leg(to);
  topology::copyAllowedHeaders(src, dst, *leg.realm->config);
  presentCapabilities(src, dst);
  int failure = 488;
  bool ok = crossBody(call, to, src, dst, error, failure);
  if (code) *code = failure;
  return ok;
}

// Refuses a request whose SDP could not cross, with a Warning saying why.
void B2bua::Impl::refuseSdp(Call* call, TransactionId server, const sip::Message& req, int code,
                            const std::string& error, const std::string& host) {
  std::string warning = "399 " + host + " \"" + error + "\"";
  if (call) {
    respondServer(*call, server, code, {}, {{sip::HeaderId::kWarning, warning}});
  } else {
    respond(server, req, code, {}, {{sip::HeaderId::kWarning, warning}});
  }
}

}  // namespace sbc::b2bua
