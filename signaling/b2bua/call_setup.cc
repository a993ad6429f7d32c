// A new INVITE: the route, the realm's limits, and leg B built as a new dialog that
// hides everything of leg A but the user parts and the display name.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/bodies.h"
#include "signaling/b2bua/capabilities.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/b2bua/peer_flow.h"

namespace sbc::b2bua {
namespace {

// Retry-After on a 503 for a full table: calls last minutes, so a client had better try
// another SBC (or wait) for a while rather than retry at once.
constexpr std::string_view kRetryAfterFull = "30";

}  // namespace

bool B2bua::Impl::mayLogReject() {
  uint64_t suppressed = 0;
  bool allowed = rejectLog_.allow(transport::LogLimiter::Clock::now(), suppressed);
  if (!allowed) ++counters_.rejectLogsSuppressed;
  if (suppressed > 0)
    spdlog::warn("event=log_suppressed kind=call_reject suppressed={}", suppressed);
  return allowed;
}

void B2bua::Impl::newCall(TransactionId server, const sip::Message& req,
                          const transport::Source& from) {
  auto realmIt = listenerRealm_.find(from.listener);
  if (realmIt == listenerRealm_.end()) {
    respond(server, req, 500, "No realm for listener");
    return;
  }
  RealmContext& inRealm = *realmIt->second;
  auto reject = [&](int code, std::string_view reason) {
    tally(&inRealm, &CallCounters::rejected);
    if (mayLogReject())
      spdlog::info("event=reject realm={} call_id_in=\"{}\" status={} reason=\"{}\"", inRealm.name,
                   req.callId(), code, reason);
    respond(server, req, code, reason);
  };
  if (req.first(sip::HeaderId::kMaxForwards) && req.maxForwards().value == 0)
    return reject(483, {});
  // A full table refuses before any work, with a hint to retry later (or elsewhere,
  // RFC 3261 §21.5.4); the reason names no figure.
  auto full = [&](uint64_t CallCounters::*field, std::string_view what) {
    tally(&inRealm, &CallCounters::rejected);
    tally(&inRealm, field);
    if (mayLogReject())
      spdlog::info("event=reject realm={} call_id_in=\"{}\" status=503 reason=\"{} full\"",
                   inRealm.name, req.callId(), what);
    respond(server, req, 503, "Service Unavailable",
            {{sip::HeaderId::kRetryAfter, std::string(kRetryAfterFull)}});
  };
  if (registry_.size() >= settings_.maxCalls) return full(&CallCounters::overCallTable, "calls");
  if (registry_.dialogs() + 2 > settings_.maxDialogs)
    return full(&CallCounters::overDialogTable, "dialogs");

  std::optional<topology::RouteDecision> decision = routes_.match(req, inRealm.name);
  if (!decision) return reject(404, "No Route");
  const topology::Route& route = *decision->route;
  if (route.action == topology::Route::Action::kReject) {
    return reject(route.rejectCode, route.rejectReason);
  }
  auto outIt = realms_.find(route.trunk.realm);
  if (outIt == realms_.end()) return reject(500, "Route to unknown realm");
  RealmContext& outRealm = outIt->second;
  uint32_t maxCalls = inRealm.config->limits.maxCalls;
  if (maxCalls && inRealm.activeCalls >= maxCalls)
    return full(&CallCounters::overRealmCalls, "realm calls");
  bool anchored = route.media == topology::Route::Media::kAnchor;
  if (anchored && !anchor_.available()) return reject(500, "Media Plane Unavailable");
  transport::Protocol trunkProto = route.trunk.transport == topology::Transport::kTcp
                                       ? transport::Protocol::kTcp
                                       : transport::Protocol::kUdp;
  const dialog::LocalAddress* outLocal = outRealm.local(trunkProto);
  const dialog::LocalAddress* inLocal = inRealm.local(from.remote.protocol);
  auto trunk = settings_.trunkAddresses.find(route.trunk.host);
  if (!outLocal || !inLocal) return reject(500, "Route misconfigured");
  if (trunk == settings_.trunkAddresses.end()) return reject(503, "Trunk Address Unknown");
  const net::IpAddress& trunkAddr = trunk->second;
  // The overload caps last: a call refused for any other reason spends no token.
  int trunkSlot = -1;
  if (!admitCall(server, req, inRealm, route, trunkSlot)) return;

  auto owned = std::make_unique<Call>();
  Call& call = *owned;
  call.id = nextCallId_++;
  call.started = timers_.now();
  call.aInvite = server;
  call.media.anchored = anchored;
  call.media.realms = {inRealm.config, outRealm.config};
  call.trunkSlot = trunkSlot;

  Leg& a = call.leg(Side::kA);
  a.realm = &inRealm;
  a.local = *inLocal;
  a.peer = transport::Destination{from.remote, from.listener, from.connection};
  a.preferPeer = true;
  a.pinned = pinnedRealm(inRealm);
  a.dialog = dialog::fromRequest(req, randomToken(12));

  Leg& b = call.leg(Side::kB);
  b.realm = &outRealm;
  b.local = *outLocal;
  b.peer = transport::Destination{
      transport::Endpoint{outLocal->protocol, trunkAddr, route.trunk.port}, outLocal->listener, 0};
  b.pinned = pinnedRealm(outRealm);

  // The outbound leg's identity: nothing of the inbound leg but the user parts and the
  // display name (subject to the route's rewrites).
  sip::Parsed<sip::NameAddr> fromA = req.from();
  // Users are %-escaped, IPv6 hosts bracketed, and a rewritten Request-URI host carries
  // no port of its own (the request still goes to the trunk): the route table knows how.
  std::string ruri = routes_.requestUri(*decision, req);
  b.dialog.callId = randomToken(24);
  b.dialog.localTag = randomToken(12);
  b.dialog.localUri =
      (fromA.value.displayName.empty() ? std::string()
                                       : std::string(fromA.value.displayName) + " ") +
      "<" + routes_.fromUri(*decision, req) + ">";
  b.dialog.remoteUri = "<" + routes_.toUri(*decision, req) + ">";
  b.dialog.remoteTarget = ruri;
  b.dialog.localCseq = 0;

  uint32_t mf = settings_.maxForwards;
  if (req.first(sip::HeaderId::kMaxForwards)) mf = std::min(mf, req.maxForwards().value - 1);
  sip::Message invite = dialog::makeRequest(b.dialog, "INVITE", b.local, txn_->newBranch(), mf);
  std::string error;
  int code = 488;
  if (!crossOver(call, Side::kB, req, invite, error, &code)) {
    tally(&inRealm, &CallCounters::rejected);
    if (mayLogReject())
      spdlog::info("event=reject realm={} status={} reason=\"SDP: {}\"", inRealm.name, code, error);
    anchor_.release(call.id, call.media);
    releaseTrunk(call);
    refuseSdp(nullptr, server, req, code, error, inRealm.advertised);
    return;
  }
  // 100rel is negotiated per leg by the B2BUA itself (RFC 3262); crossOver presented the
  // end-to-end tags the caller supports; the caller's other extensions stay on its leg.
  invite.removeHeader(sip::HeaderId::kRequire);
  bool rel = hasOptionTag(req, sip::HeaderId::kSupported, "100rel") ||
             hasOptionTag(req, sip::HeaderId::kRequire, "100rel");
  if (rel) addSupported(invite, "100rel");
  if (hasOptionTag(req, sip::HeaderId::kRequire, "100rel"))
    invite.addHeader(sip::HeaderId::kRequire, "100rel");
  b.realm->filters.apply(invite);
  call.initialOffer = sdpBody(invite) ? InitialOffer::kInInvite : InitialOffer::kLate;
  call.bInviteRequest = std::make_unique<sip::Message>(invite);

  registry_.registerDialog(call, Side::kA);
  registry_.registerDialog(call, Side::kB);
  registry_.openServer(call, server, Side::kA);
  registry_.add(std::move(owned));
  ++inRealm.activeCalls;
  tally(&inRealm, &CallCounters::started);

  call.bInvite = sendClient(call, Side::kB, std::move(invite), Purpose::kInitialInvite, server);
  if (call.bInvite == 0) {
    outcome(call, Outcome::kFailed);
    finishA(call, 503);
    endCall(call, "trunk unreachable");
    return;
  }
  registry_.setServerPeer(server, call.bInvite);
  armTimerC(call);
  spdlog::info(
      "event=call_start call={} realm_in={} realm_out={} route={} call_id_in=\"{}\" "
      "call_id_out={}",
      call.id, inRealm.name, outRealm.name, route.name, req.callId(), b.dialog.callId);
  uint64_t id = call.id;
  call.noAnswerTimer = timers_.schedule(settings_.noAnswerTimeout, [this, id] {
    Call* c = registry_.find(id);
    if (!c || c->state == CallState::kConfirmed) return;
    c->noAnswerTimer = 0;
    spdlog::info("event=no_answer call={}", id);
    requestCancel(*c);
    outcome(*c, Outcome::kFailed);
    finishA(*c, 480);
    endCall(*c, "no answer");
  });
}

}  // namespace sbc::b2bua
