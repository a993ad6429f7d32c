#include "signaling/b2bua/b2bua.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "signaling/b2bua/call.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

using transaction::TransactionId;

namespace {

constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK, NOTIFY, REFER";
// Option tags the B2BUA negotiates per leg itself.
constexpr std::string_view kSupported = "100rel, timer";

std::string randomToken(size_t n) {
  static std::mt19937_64 rng{std::random_device{}()};
  // Lower case only: some peers (SIPp 3.6) look for "CSeq" anywhere in a message, and a
  // random tag that spells it breaks their parsing.
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(n, 'x');
  for (char& c : s)
    c = kChars[rng() % (sizeof(kChars) - 1)];
  return s;
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

std::string hostLiteral(const boost::asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

// Where the requests of a leg go: a URI's host must be an IP literal (the SBC does no DNS
// on the call path); otherwise the leg's known peer address is used.
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
  std::string host(uri.host);
  if (uri.hostType == sip::HostType::kIPv6) host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  transport::Protocol p = fallback;
  if (auto t = uri.params.get("transport"))
    p = sip::iequals(*t, "tcp") ? transport::Protocol::kTcp : transport::Protocol::kUdp;
  return transport::Endpoint{p, addr, uri.hasPort ? uri.port : static_cast<uint16_t>(5060)};
}

}  // namespace

const dialog::LocalAddress* RealmContext::local(transport::Protocol p) const {
  const auto& l = p == transport::Protocol::kTcp ? tcp : udp;
  if (l) return &*l;
  const auto& other = p == transport::Protocol::kTcp ? udp : tcp;
  return other ? &*other : nullptr;
}

class B2bua::Impl {
 public:
  Impl(timer::TimerService& timers, Settings settings,
       const std::vector<transport::ListenerInfo>& listeners, mediaplane::MediaPlane* media,
       CallObserver* observer)
      : timers_(timers),
        observer_(observer),
        settings_(std::move(settings)),
        routes_(settings_.routes, settings_.realms),
        anchor_(media, settings_) {
    for (const topology::Realm& r : settings_.realms) {
      RealmContext ctx;
      ctx.config = &r;
      ctx.name = r.name;
      ctx.filters = topology::FilterChain::forRealm(r);
      realms_.emplace(r.name, std::move(ctx));
    }
    for (const transport::ListenerInfo& l : listeners) {
      auto it = realms_.find(l.realm);
      if (it == realms_.end()) continue;
      RealmContext& ctx = it->second;
      std::string advertised = ctx.config->advertisedAddress.empty()
                                   ? hostLiteral(l.address)
                                   : ctx.config->advertisedAddress;
      if (advertised.find(':') != std::string::npos && advertised.front() != '[')
        advertised = "[" + advertised + "]";
      if (ctx.advertised.empty()) ctx.advertised = advertised;
      dialog::LocalAddress local{l.id, l.protocol, advertised, l.port};
      (l.protocol == transport::Protocol::kTcp ? ctx.tcp : ctx.udp) = local;
      listenerRealm_[l.id] = &ctx;
    }
  }

  void attach(transaction::TransactionLayer& t) {
    txn_ = &t;
    if (anchor_.available()) scheduleMediaPoll();
  }

  // ---- entry points -------------------------------------------------------------------

  void onRequest(TransactionId server, const sip::Message& req, const transport::Source& from) {
    if (req.to().value.hasTag()) {
      inDialog(server, req, from);
      return;
    }
    switch (req.methodId()) {
      case sip::Method::kInvite:
        newCall(server, req, from);
        return;
      case sip::Method::kOptions:
        answerOptions(server, req);
        return;
      case sip::Method::kBye:
      case sip::Method::kInfo:
      case sip::Method::kUpdate:
      case sip::Method::kPrack:
        respond(server, req, 481, {});
        return;
      case sip::Method::kUnknown:
        respond(server, req, 501, {}, {{sip::HeaderId::kAllow, std::string(kAllow)}});
        return;
      default:  // REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, MESSAGE, REFER out of dialog
        respond(server, req, 405, {}, {{sip::HeaderId::kAllow, std::string(kAllow)}});
        return;
    }
  }

  void onAck(const sip::Message& ack, const transport::Source& from) {
    auto ref = findDialog(ack.callId(), ack.to().value.tag());
    if (!ref) return;  // an ACK for a call that is gone: nothing to do
    Call& call = *ref->first;
    Side side = ref->second;
    Leg& leg = call.leg(side);
    if (side == Side::kA)
      leg.peer = transport::Destination{from.remote, from.listener, from.connection};
    if (leg.ok.timer != 0 && ack.cseq().value.number == leg.ok.cseq) stopRetransmission(leg.ok);
    // Late offer: the answer travels in this ACK, and the other leg's 2xx waits for it.
    Leg& otherLeg = call.leg(other(side));
    if (std::optional<uint32_t> cseq = otherLeg.negotiation.ackOwesAnswer) {
      otherLeg.negotiation.ackOwesAnswer.reset();
      sendAck(call, other(side), *cseq, &ack);
    }
  }

  void onCancel(TransactionId invite, const sip::Message&) {
    Call* call = callOfServer(invite);
    if (!call || call->aInvite != invite) return;
    spdlog::info("event=cancel call={}", call->id);
    outcome(*call, Outcome::kCancelled);
    requestCancel(*call);
    // If the far side never answers the CANCEL, the caller still gets its 487.
    uint64_t id = call->id;
    call->cancelGuardTimer = timers_.schedule(64 * txn_->timers().t1, [this, id] {
      if (Call* c = find(id); c && c->aInvite) {
        c->cancelGuardTimer = 0;
        finishA(*c, 487);
        endCall(*c, "cancel not answered");
      }
    });
  }

  void onResponse(TransactionId client, const sip::Message& resp) {
    auto ctxIt = clients_.find(client);
    if (ctxIt == clients_.end()) {
      if (resp.cseq().value.method == "INVITE" && resp.statusCode() / 100 == 2) stray2xx(resp);
      return;
    }
    ClientCtx ctx = ctxIt->second;
    bool final = resp.statusCode() >= 200;
    if (final) closeClient(client);
    Call* call = find(ctx.call);
    if (!call) return;
    switch (ctx.purpose) {
      case Purpose::kInitialInvite:
        initialInviteResponse(*call, resp);
        break;
      case Purpose::kRelay:
        relayResponse(*call, ctx, resp);
        break;
      case Purpose::kBye:
      case Purpose::kCancel:
        break;
    }
  }

  void onClientFailure(TransactionId client, transaction::ClientFailure why) {
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    ClientCtx ctx = it->second;
    closeClient(client);
    Call* call = find(ctx.call);
    if (!call) return;
    int code = why == transaction::ClientFailure::kTimeout ? 408 : 503;
    spdlog::info("event=leg_failure call={} leg={} why={}", call->id, sideName(ctx.side),
                 why == transaction::ClientFailure::kTimeout ? "timeout" : "transport");
    if (ctx.purpose == Purpose::kInitialInvite) {
      call->bInviteRequest.reset();
      outcome(*call, Outcome::kFailed);
      finishA(*call, cancelRequested(call->state) ? 487 : code);
      endCall(*call, "no answer from the far side");
    } else if (ctx.purpose == Purpose::kRelay) {
      if (ctx.method == sip::Method::kInvite || ctx.method == sip::Method::kUpdate) {
        call->leg(ctx.side).negotiation.pendingClientOffer = 0;
      }
      if (ctx.peer) respondServer(*call, ctx.peer, code, {});
    }
  }

  void onStrayResponse(const sip::Message& resp, const transport::Source&) {
    if (resp.cseq().value.method == "INVITE" && resp.statusCode() / 100 == 2) stray2xx(resp);
  }

  void onServerFailure(TransactionId server) {
    auto it = servers_.find(server);
    if (it == servers_.end()) return;
    uint64_t callId = it->second.call;
    servers_.erase(it);
    Call* call = find(callId);
    if (!call) return;
    if (call->aInvite == server) {
      call->aInvite = 0;
      spdlog::info("event=caller_unreachable call={}", call->id);
      if (call->state == CallState::kConfirmed) {
        sendBye(*call, Side::kB);
      } else {
        requestCancel(*call);
      }
      endCall(*call, "caller unreachable");
    }
  }

  void terminateAll() {
    std::vector<uint64_t> ids;
    for (auto& [id, c] : calls_)
      ids.push_back(id);
    for (uint64_t id : ids) {
      Call* c = find(id);
      if (!c) continue;
      if (c->state == CallState::kConfirmed) {
        sendBye(*c, Side::kA);
        sendBye(*c, Side::kB);
      } else {
        requestCancel(*c);
        finishA(*c, 503);
      }
      endCall(*c, "shutdown");
    }
  }

  size_t activeCalls() const { return calls_.size(); }
  const CallCounters& counters() const { return counters_; }
  std::vector<const RealmContext*> realms() const {
    std::vector<const RealmContext*> out;
    for (const topology::Realm& r : settings_.realms)
      out.push_back(&realms_.at(r.name));
    return out;
  }
  const RealmContext* realm(std::string_view name) const {
    auto it = realms_.find(std::string(name));
    return it == realms_.end() ? nullptr : &it->second;
  }

 private:
  enum class Purpose : uint8_t { kInitialInvite, kRelay, kBye, kCancel };
  struct ServerCtx {
    uint64_t call = 0;
    Side side = Side::kA;
    TransactionId peer = 0;  // the client transaction it waits on, if any
  };
  struct ClientCtx {
    uint64_t call = 0;
    Side side = Side::kA;  // the leg it was sent on
    Purpose purpose = Purpose::kRelay;
    TransactionId peer = 0;  // the server transaction waiting for its answer, if any
    sip::Method method = sip::Method::kUnknown;
    bool offer = false;  // it carried SDP
  };
  using DialogRef = std::pair<Call*, Side>;

  // ---- bookkeeping --------------------------------------------------------------------

  Call* find(uint64_t id) {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : it->second.get();
  }

  Call* callOfServer(TransactionId server) {
    auto it = servers_.find(server);
    return it == servers_.end() ? nullptr : find(it->second.call);
  }

  static std::string dialogKey(std::string_view callId, std::string_view localTag) {
    std::string k(callId);
    k += '\x01';
    k.append(localTag);
    return k;
  }

  std::optional<DialogRef> findDialog(std::string_view callId, std::string_view localTag) {
    auto it = dialogs_.find(dialogKey(callId, localTag));
    if (it == dialogs_.end()) return std::nullopt;
    Call* c = find(it->second.first);
    if (!c) return std::nullopt;
    return DialogRef{c, it->second.second};
  }

  void registerDialog(Call& call, Side side) {
    const dialog::Dialog& d = call.leg(side).dialog;
    dialogs_[dialogKey(d.callId, d.localTag)] = {call.id, side};
  }

  void openServer(Call& call, TransactionId server, Side side, TransactionId peer = 0) {
    servers_[server] = ServerCtx{call.id, side, peer};
    call.servers.push_back(server);
  }

  TransactionId sendClient(Call& call, Side side, sip::Message&& request, Purpose purpose,
                           TransactionId peer) {
    sip::Method method = request.methodId();
    bool offer = !request.body().empty() && isSdp(request);
    std::optional<transport::Destination> to = destinationFor(call.leg(side), request);
    if (!to) {
      spdlog::warn("event=no_destination call={} leg={} uri={}", call.id, sideName(side),
                   request.requestUri());
      return 0;
    }
    TransactionId id = txn_->sendRequest(std::move(request), *to);
    clients_[id] = ClientCtx{call.id, side, purpose, peer, method, offer};
    call.clients.push_back(id);
    return id;
  }

  void closeClient(TransactionId id) { clients_.erase(id); }

  // Sends a response on a server transaction and forgets it when final.
  void respondServer(Call& call, TransactionId server, int code, std::string_view reason,
                     const std::vector<std::pair<sip::HeaderId, std::string>>& extra = {}) {
    const sip::Message* req = txn_->request(server);
    if (!req) return;
    auto it = servers_.find(server);
    Side side = it != servers_.end() ? it->second.side : Side::kA;
    sip::Message r = sip::makeResponse(*req, code, reason, call.leg(side).dialog.localTag);
    for (const auto& [id, value] : extra)
      r.addHeader(id, value);
    sendResponse(call, side, server, std::move(r));
  }

  void sendResponse(Call& call, Side side, TransactionId server, sip::Message&& r) {
    call.leg(side).realm->filters.apply(r);
    bool final = r.statusCode() >= 200;
    txn_->respond(server, std::move(r));
    if (final) servers_.erase(server);
  }

  // Answers a request that belongs to no call.
  void respond(TransactionId server, const sip::Message& req, int code, std::string_view reason,
               const std::vector<std::pair<sip::HeaderId, std::string>>& extra = {}) {
    sip::Message r = sip::makeResponse(req, code, reason, randomToken(10));
    for (const auto& [id, value] : extra)
      r.addHeader(id, value);
    txn_->respond(server, std::move(r));
  }

  std::optional<transport::Destination> destinationFor(const Leg& leg,
                                                       const sip::Message& request) {
    // Endpoints behind NAT are reached where they were seen, unless a route set says
    // otherwise; trunks at their Contact (or route), else where the route sent us.
    if (leg.preferPeer && leg.dialog.routeSet.empty()) return leg.peer;
    std::string_view hop = leg.dialog.routeSet.empty()
                               ? request.requestUri()
                               : std::string_view(leg.dialog.routeSet.front());
    std::optional<transport::Endpoint> ep = endpointOf(hop, leg.local.protocol);
    if (!ep) return leg.peer;
    const dialog::LocalAddress* local = leg.realm->local(ep->protocol);
    if (!local) return leg.peer;
    ep->protocol = local->protocol;
    return transport::Destination{*ep, local->listener, 0};
  }

  // The SDP `body` (from the other leg) as leg `to` must see it: anchored to the SBC's
  // media address when the call anchors media, and with the leg's own o=. nullopt with
  // `error` and `code` (488 invalid SDP, 503 no media resources) when it cannot be.
  std::optional<std::string> sdpFor(Call& call, Side to, std::string_view body, std::string& error,
                                    int& code) {
    Leg& leg = call.leg(to);
    sdp::ParseResult parsed = sdp::SessionDescription::parse(body);
    if (!parsed.ok()) {
      error = parsed.error().toString();
      code = 488;
      return std::nullopt;
    }
    sdp::SessionDescription& sd = parsed.value();
    if (call.media.anchored) {
      if (!anchor_.anchor(call.media, index(other(to)), index(to), sd, error)) {
        code = 503;
        return std::nullopt;
      }
      mediaplane::Error err = anchor_.commit(call.id, call.media);
      if (!err.empty()) {
        error = "media plane: " + err;
        code = 503;
        return std::nullopt;
      }
    }
    // o= names the address the leg's media goes to: the realm's media address when anchored.
    const topology::Realm* realm = leg.realm->config;
    std::string_view originAddress = call.media.anchored && realm && realm->media
                                         ? std::string_view(realm->media->address)
                                         : std::string_view(leg.realm->advertised);
    if (const char* err = leg.origin.apply(sd, body, originAddress)) {
      error = err;
      code = 488;
      return std::nullopt;
    }
    return sd.serialize();
  }

  // Copies what may cross from `src` into `dst` (a message for leg `to`) and puts the body
  // in (SDP through sdpFor). False with `error` (and `code`) when the SDP cannot cross.
  bool crossOver(Call& call, Side to, const sip::Message& src, sip::Message& dst,
                 std::string& error, int* code = nullptr) {
    Leg& leg = call.leg(to);
    topology::copyAllowedHeaders(src, dst, *leg.realm->config);
    if (src.body().empty()) return true;
    if (isSdp(src)) {
      int failure = 488;
      std::optional<std::string> body = sdpFor(call, to, src.body(), error, failure);
      if (code) *code = failure;
      if (!body) return false;
      dst.setBody(*body, "application/sdp");
    } else {
      dst.setBody(src.body(), src.header(sip::HeaderId::kContentType));
    }
    return true;
  }

  // Refuses a request whose SDP could not cross, with a Warning saying why.
  void refuseSdp(Call* call, TransactionId server, const sip::Message& req, int code,
                 const std::string& error, const std::string& host) {
    std::string warning =
        "399 " + host + " \"" + (code == 488 ? "Invalid SDP: " : "") + error + "\"";
    if (call) {
      respondServer(*call, server, code, {}, {{sip::HeaderId::kWarning, warning}});
    } else {
      respond(server, req, code, {}, {{sip::HeaderId::kWarning, warning}});
    }
  }

  // ---- new calls ----------------------------------------------------------------------

  void newCall(TransactionId server, const sip::Message& req, const transport::Source& from) {
    auto realmIt = listenerRealm_.find(from.listener);
    if (realmIt == listenerRealm_.end()) {
      respond(server, req, 500, "No realm for listener");
      return;
    }
    RealmContext& inRealm = *realmIt->second;
    auto reject = [&](int code, std::string_view reason) {
      tally(&inRealm, &CallCounters::rejected);
      spdlog::info("event=reject realm={} call_id_in=\"{}\" status={} reason=\"{}\"", inRealm.name,
                   req.callId(), code, reason);
      respond(server, req, code, reason);
    };
    if (req.first(sip::HeaderId::kMaxForwards) && req.maxForwards().value == 0)
      return reject(483, {});

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
    if (maxCalls && inRealm.activeCalls >= maxCalls) return reject(503, "Call Limit Reached");
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
    const boost::asio::ip::address& trunkAddr = trunk->second;

    auto owned = std::make_unique<Call>();
    Call& call = *owned;
    call.id = nextCallId_++;
    call.started = timers_.now();
    call.aInvite = server;
    call.media.anchored = anchored;
    call.media.realms = {inRealm.config, outRealm.config};

    Leg& a = call.leg(Side::kA);
    a.realm = &inRealm;
    a.local = *inLocal;
    a.peer = transport::Destination{from.remote, from.listener, from.connection};
    a.preferPeer = true;
    a.dialog = dialog::fromRequest(req, randomToken(12));

    Leg& b = call.leg(Side::kB);
    b.realm = &outRealm;
    b.local = *outLocal;
    b.peer =
        transport::Destination{transport::Endpoint{outLocal->protocol, trunkAddr, route.trunk.port},
                               outLocal->listener, 0};

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
    invite.addHeader(sip::HeaderId::kAllow, std::string(kAllow));
    std::string error;
    int code = 488;
    if (!crossOver(call, Side::kB, req, invite, error, &code)) {
      tally(&inRealm, &CallCounters::rejected);
      spdlog::info("event=reject realm={} status={} reason=\"SDP: {}\"", inRealm.name, code, error);
      anchor_.release(call.id, call.media);
      refuseSdp(nullptr, server, req, code, error, inRealm.advertised);
      return;
    }
    // 100rel is negotiated per leg by the B2BUA itself (RFC 3262), as are the other tags
    // it can relay; the caller's other extensions stay on the caller's leg.
    invite.removeHeader(sip::HeaderId::kSupported);
    invite.removeHeader(sip::HeaderId::kRequire);
    bool rel = hasOptionTag(req, sip::HeaderId::kSupported, "100rel") ||
               hasOptionTag(req, sip::HeaderId::kRequire, "100rel");
    std::string supported = rel ? std::string(kSupported) : "timer";
    invite.addHeader(sip::HeaderId::kSupported, supported);
    if (hasOptionTag(req, sip::HeaderId::kRequire, "100rel"))
      invite.addHeader(sip::HeaderId::kRequire, "100rel");
    b.realm->filters.apply(invite);
    call.initialOffer =
        !invite.body().empty() && isSdp(invite) ? InitialOffer::kInInvite : InitialOffer::kLate;
    call.bInviteRequest = std::make_unique<sip::Message>(invite);

    registerDialog(call, Side::kA);
    registerDialog(call, Side::kB);
    openServer(call, server, Side::kA);
    calls_.emplace(call.id, std::move(owned));
    ++inRealm.activeCalls;
    tally(&inRealm, &CallCounters::started);

    call.bInvite = sendClient(call, Side::kB, std::move(invite), Purpose::kInitialInvite, server);
    if (call.bInvite == 0) {
      outcome(call, Outcome::kFailed);
      finishA(call, 503);
      endCall(call, "trunk unreachable");
      return;
    }
    servers_[server].peer = call.bInvite;
    spdlog::info(
        "event=call_start call={} realm_in={} realm_out={} route={} call_id_in=\"{}\" "
        "call_id_out={}",
        call.id, inRealm.name, outRealm.name, route.name, req.callId(), b.dialog.callId);
    uint64_t id = call.id;
    call.noAnswerTimer = timers_.schedule(settings_.noAnswerTimeout, [this, id] {
      Call* c = find(id);
      if (!c || c->state == CallState::kConfirmed) return;
      c->noAnswerTimer = 0;
      spdlog::info("event=no_answer call={}", id);
      requestCancel(*c);
      outcome(*c, Outcome::kFailed);
      finishA(*c, 480);
      endCall(*c, "no answer");
    });
  }

  void answerOptions(TransactionId server, const sip::Message& req) {
    // A keepalive to the SBC itself (RFC 3261 §11): answered here, even at Max-Forwards 0.
    sip::Message r = sip::makeResponse(req, 200, {}, randomToken(10));
    r.addHeader(sip::HeaderId::kAllow, std::string(kAllow));
    r.addHeader(sip::HeaderId::kAccept, "application/sdp");
    r.addHeader(sip::HeaderId::kSupported, std::string(kSupported));
    txn_->respond(server, std::move(r));
  }

  // ---- the initial INVITE's responses --------------------------------------------------

  void initialInviteResponse(Call& call, const sip::Message& resp) {
    int code = resp.statusCode();
    Leg& a = call.leg(Side::kA);
    Leg& b = call.leg(Side::kB);
    if (code < 200) {
      bool early = code != 100 && resp.to().value.hasTag();
      CallAction action =
          transition(call, early ? CallEvent::kEarlyProvisional : CallEvent::kProvisional);
      if (action == CallAction::kSendCancel) sendCancel(call);
      if (action != CallAction::kRelayProvisional) return;  // nothing to relay
      dialog::applyResponse(b.dialog, resp);
      relayProvisional(call, resp);
      return;
    }

    call.bInvite = 0;
    call.bInviteRequest.reset();
    for (ReliableProvisional& p : call.reliable)
      stopRetransmission(p.resend);
    if (code < 300) {
      CallAction action = transition(call, CallEvent::kAnswered);
      if (action == CallAction::kNone) return;  // a second fork: stray2xx handles it
      dialog::applyResponse(b.dialog, resp);
      timers_.cancel(call.noAnswerTimer);
      call.noAnswerTimer = 0;
      if (action == CallAction::kAckAndBye) {
        // The callee answered while the CANCEL was on its way: end its dialog.
        sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
        sendBye(call, Side::kB);
        finishA(call, 487);
        endCall(call, "answered after cancel");
        return;
      }
      a.dialog.state = dialog::Dialog::State::kConfirmed;
      // Our offer went out with the INVITE: ACK the callee now. A late offer waits for the
      // caller's ACK, which carries the answer.
      if (call.initialOffer == InitialOffer::kInInvite) {
        sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
      } else {
        b.negotiation.ackOwesAnswer = resp.cseq().value.number;
      }
      outcome(call, Outcome::kAnswered);
      relayResponseTo(call, resp, Side::kA, call.aInvite);
      call.aInvite = 0;
      call.answered = timers_.now();
      std::chrono::duration<double> setup = call.answered - call.started;
      if (observer_) observer_->callAnswered(setup);
      spdlog::info("event=answered call={} setup_ms={}", call.id,
                   std::chrono::duration_cast<std::chrono::milliseconds>(setup).count());
      return;
    }

    // A failure: mapped, relayed with a standard reason phrase, and the call is over.
    int mapped = code;
    if (auto m = settings_.responseMap.find(code); m != settings_.responseMap.end())
      mapped = m->second;
    bool cancelled = cancelRequested(call.state);
    if (cancelled) mapped = 487;
    if (code == 486 || code == 600)
      outcome(call, Outcome::kBusy);
    else if (!cancelled)
      outcome(call, Outcome::kFailed);
    spdlog::info("event=call_failed call={} status={} relayed={}", call.id, code, mapped);
    if (call.aInvite) {
      sip::Message r =
          sip::makeResponse(*txn_->request(call.aInvite), mapped, {}, a.dialog.localTag);
      topology::copyAllowedHeaders(resp, r, *a.realm->config);
      sendResponse(call, Side::kA, call.aInvite, std::move(r));
      call.aInvite = 0;
    }
    endCall(call, "failed");
  }

  void relayProvisional(Call& call, const sip::Message& resp) {
    if (!call.aInvite) return;
    Leg& a = call.leg(Side::kA);
    const sip::Message* req = txn_->request(call.aInvite);
    if (!req) return;
    sip::Message r = sip::makeResponse(*req, resp.statusCode(), {}, a.dialog.localTag);
    r.addHeader(sip::HeaderId::kContact, a.local.contact());
    std::string error;
    if (!crossOver(call, Side::kA, resp, r, error)) {
      spdlog::info("event=bad_sdp call={} leg=B status={} error=\"{}\"", call.id, resp.statusCode(),
                   error);
      r.setBody("");
    }
    bool reliable =
        hasOptionTag(resp, sip::HeaderId::kRequire, "100rel") && resp.first(sip::HeaderId::kRSeq);
    if (reliable) {
      // Relayed reliably with an RSeq of the caller's leg; the caller's PRACK is mapped
      // back to the callee's RSeq (RFC 3262, per leg).
      ReliableProvisional rp;
      rp.aRseq = call.nextRseq++;
      uint64_t bRseq = 0;
      sip::parseNumber(sip::trimLws(resp.header(sip::HeaderId::kRSeq)), 0xffffffff, bRseq);
      rp.bRseq = static_cast<uint32_t>(bRseq);
      rp.bCseq = resp.cseq().value.number;
      rp.bTag = std::string(resp.to().value.tag());
      r.removeHeader(sip::HeaderId::kRequire);
      r.removeHeader(sip::HeaderId::kRSeq);
      r.addHeader(sip::HeaderId::kRequire, "100rel");
      r.addHeader(sip::HeaderId::kRSeq, std::to_string(rp.aRseq));
      a.realm->filters.apply(r);
      const transport::Source* src = txn_->source(call.aInvite);
      if (src) {
        rp.resend.message = std::make_unique<sip::Message>(r);
        rp.resend.to = transport::responseDestination(*req, *src);
        rp.resend.cseq = rp.aRseq;
      }
      call.reliable.push_back(std::move(rp));
      txn_->respond(call.aInvite, std::move(r));
      if (src && !transport::isReliable(src->remote.protocol)) {
        startRetransmission(call, call.reliable.back().resend);
      }
      return;
    }
    sendResponse(call, Side::kA, call.aInvite, std::move(r));
  }

  // A response from the other leg relayed on server transaction `server` of leg `to`; a
  // 2xx to an INVITE is then retransmitted by us until the ACK (RFC 3261 §13.3.1.4).
  void relayResponseTo(Call& call, const sip::Message& resp, Side to, TransactionId server) {
    const sip::Message* req = txn_->request(server);
    const transport::Source* src = txn_->source(server);
    if (!req || !src) return;
    Leg& leg = call.leg(to);
    sip::Message r = sip::makeResponse(*req, resp.statusCode(), {}, leg.dialog.localTag);
    sip::Method m = req->methodId();
    if (m == sip::Method::kInvite || m == sip::Method::kUpdate)
      r.addHeader(sip::HeaderId::kContact, leg.local.contact());
    std::string error;
    if (!crossOver(call, to, resp, r, error)) {
      spdlog::info("event=bad_sdp call={} status={} error=\"{}\"", call.id, resp.statusCode(),
                   error);
      r.setBody("");
    }
    leg.realm->filters.apply(r);
    if (m == sip::Method::kInvite && resp.statusCode() / 100 == 2) {
      stopRetransmission(leg.ok);
      leg.ok.message = std::make_unique<sip::Message>(r);
      leg.ok.to = transport::responseDestination(*req, *src);
      leg.ok.cseq = req->cseq().value.number;
      txn_->respond(server, std::move(r));
      servers_.erase(server);
      startRetransmission(call, leg.ok);
      return;
    }
    txn_->respond(server, std::move(r));
    if (resp.statusCode() >= 200) servers_.erase(server);
  }

  void finishA(Call& call, int code) {
    if (!call.aInvite) return;
    respondServer(call, call.aInvite, code, {});
    call.aInvite = 0;
  }

  void sendCancel(Call& call) {
    if (!call.bInviteRequest) return;
    const sip::Message& inv = *call.bInviteRequest;
    // CANCEL (§9.1): the INVITE's Request-URI, top Via, Call-ID, From, To, CSeq number and
    // Route, so that it matches the INVITE's transaction.
    sip::Message c = sip::Message::request("CANCEL", inv.requestUri());
    c.addHeader(sip::HeaderId::kVia, inv.header(sip::HeaderId::kVia));
    c.addHeader(sip::HeaderId::kMaxForwards, std::to_string(settings_.maxForwards));
    for (const sip::HeaderField& f : inv.fields()) {
      if (!f.removed && f.id == sip::HeaderId::kRoute)
        c.addHeader(sip::HeaderId::kRoute, inv.value(f));
    }
    c.addHeader(sip::HeaderId::kFrom, inv.header(sip::HeaderId::kFrom));
    c.addHeader(sip::HeaderId::kTo, inv.header(sip::HeaderId::kTo));
    c.addHeader(sip::HeaderId::kCallId, inv.callId());
    c.addHeader(sip::HeaderId::kCSeq, std::to_string(inv.cseq().value.number) + " CANCEL");
    c.setBody("");
    sendClient(call, Side::kB, std::move(c), Purpose::kCancel, 0);
  }

  // The ACK for a 2xx to an INVITE we sent on `side` (§13.2.2.4): a new transaction-less
  // request in the dialog, carrying the answer from `answerFrom` when the offer was late.
  void sendAck(Call& call, Side side, uint32_t cseq, const sip::Message* answerFrom) {
    Leg& leg = call.leg(side);
    sip::Message ack = dialog::makeRequest(leg.dialog, "ACK", leg.local, txn_->newBranch(),
                                           settings_.maxForwards, cseq);
    std::string error;
    int code = 0;
    if (answerFrom && !answerFrom->body().empty() && isSdp(*answerFrom)) {
      if (auto body = sdpFor(call, side, answerFrom->body(), error, code)) {
        ack.setBody(*body, "application/sdp");
      } else {
        spdlog::info("event=bad_sdp call={} in=ACK error=\"{}\"", call.id, error);
      }
    }
    if (ack.body().empty()) ack.setBody("");
    std::optional<transport::Destination> to = destinationFor(leg, ack);
    if (to) txn_->sendStateless(ack, *to);
  }

  void sendBye(Call& call, Side side) {
    Leg& leg = call.leg(side);
    if (leg.dialog.remoteTag.empty()) return;
    sip::Message bye =
        dialog::makeRequest(leg.dialog, "BYE", leg.local, txn_->newBranch(), settings_.maxForwards);
    bye.setBody("");
    leg.realm->filters.apply(bye);
    sendClient(call, side, std::move(bye), Purpose::kBye, 0);
  }

  // A 2xx to an INVITE of ours that no transaction claims: a retransmission (ACK again) or
  // another fork's answer after the call was answered (ACK it, then BYE it).
  void stray2xx(const sip::Message& resp) {
    auto ref = findDialog(resp.callId(), resp.from().value.tag());
    if (!ref) return;
    Call& call = *ref->first;
    Side side = ref->second;
    Leg& leg = call.leg(side);
    std::string_view tag = resp.to().value.tag();
    if (tag == leg.dialog.remoteTag) {
      if (!leg.negotiation.ackOwesAnswer) sendAck(call, side, resp.cseq().value.number, nullptr);
      return;
    }
    spdlog::info("event=extra_fork_answered call={} tag={}", call.id, tag);
    dialog::Dialog fork = leg.dialog;
    fork.state = dialog::Dialog::State::kEarly;
    dialog::applyResponse(fork, resp);
    sip::Message ack = dialog::makeRequest(fork, "ACK", leg.local, txn_->newBranch(),
                                           settings_.maxForwards, resp.cseq().value.number);
    ack.setBody("");
    if (auto to = destinationFor(leg, ack)) txn_->sendStateless(ack, *to);
    sip::Message bye =
        dialog::makeRequest(fork, "BYE", leg.local, txn_->newBranch(), settings_.maxForwards);
    bye.setBody("");
    if (auto to = destinationFor(leg, bye)) txn_->sendRequest(std::move(bye), *to);
  }

  // ---- in-dialog requests -------------------------------------------------------------

  void inDialog(TransactionId server, const sip::Message& req, const transport::Source& from) {
    auto ref = findDialog(req.callId(), req.to().value.tag());
    if (!ref) {
      respond(server, req, 481, {});
      return;
    }
    Call& call = *ref->first;
    Side side = ref->second;
    Leg& leg = call.leg(side);
    if (!dialog::acceptRequest(leg.dialog, req)) {
      sip::Message r = sip::makeResponse(req, 500, "CSeq Out of Order");
      txn_->respond(server, std::move(r));
      return;
    }
    if (side == Side::kA)
      leg.peer = transport::Destination{from.remote, from.listener, from.connection};
    openServer(call, server, side);

    sip::Method method = req.methodId();
    if (method == sip::Method::kBye) {
      spdlog::info("event=bye call={} from={}", call.id, sideName(side));
      respondServer(call, server, 200, {});
      Side far = other(side);
      if (call.state == CallState::kConfirmed) {
        sendBye(call, far);
      } else if (far == Side::kB) {
        // The caller hung up an early dialog: cancel the outbound INVITE.
        requestCancel(call);
        finishA(call, 487);
      } else {
        finishA(call, 480);  // the callee ended its early dialog
      }
      endCall(call, "bye");
      return;
    }
    if (req.first(sip::HeaderId::kMaxForwards) && req.maxForwards().value == 0) {
      respondServer(call, server, 483, {});
      return;
    }
    if (method == sip::Method::kPrack && side == Side::kA) {
      prack(call, server, req);
      return;
    }
    if (method == sip::Method::kInvite || method == sip::Method::kUpdate) {
      // Glare (RFC 3261 §14.2, RFC 3311 §5.2): our own offer on this leg is pending.
      if (leg.negotiation.pendingClientOffer != 0) {
        respondServer(call, server, 491, {});
        return;
      }
      if (method == sip::Method::kInvite && leg.negotiation.pendingServerInvite != 0) {
        respondServer(call, server, 500, "Pending Re-INVITE", {{sip::HeaderId::kRetryAfter, "2"}});
        return;
      }
    }
    relayRequest(call, server, req, side);
  }

  void relayRequest(Call& call, TransactionId server, const sip::Message& req, Side from) {
    Side to = other(from);
    Leg& target = call.leg(to);
    if (target.dialog.remoteTag.empty()) {
      respondServer(call, server, 481, {});
      return;
    }
    std::string method(req.method());
    uint32_t mf = settings_.maxForwards;
    if (req.first(sip::HeaderId::kMaxForwards)) mf = std::min(mf, req.maxForwards().value - 1);
    sip::Message out =
        dialog::makeRequest(target.dialog, method, target.local, txn_->newBranch(), mf);
    std::string error;
    int code = 488;
    if (!crossOver(call, to, req, out, error, &code)) {
      refuseSdp(&call, server, req, code, error, call.leg(from).realm->advertised);
      return;
    }
    out.removeHeader(sip::HeaderId::kRequire);
    out.removeHeader(sip::HeaderId::kRSeq);
    out.removeHeader(sip::HeaderId::kRAck);
    if (out.body().empty()) out.setBody("");
    target.realm->filters.apply(out);
    sip::Method m = req.methodId();
    TransactionId client = sendClient(call, to, std::move(out), Purpose::kRelay, server);
    if (client == 0) {
      respondServer(call, server, 503, {});
      return;
    }
    servers_[server].peer = client;
    if (m == sip::Method::kInvite || m == sip::Method::kUpdate)
      target.negotiation.pendingClientOffer = client;
    if (m == sip::Method::kInvite) call.leg(from).negotiation.pendingServerInvite = server;
  }

  void relayResponse(Call& call, const ClientCtx& ctx, const sip::Message& resp) {
    int code = resp.statusCode();
    Leg& sent = call.leg(ctx.side);  // the leg the request went out on
    Side back = other(ctx.side);
    if (code >= 200 && (ctx.method == sip::Method::kInvite || ctx.method == sip::Method::kUpdate)) {
      sent.negotiation.pendingClientOffer = 0;
      if (code < 300 && resp.first(sip::HeaderId::kContact)) {
        std::string target = dialog::uriOf(resp.header(sip::HeaderId::kContact));
        if (!target.empty()) sent.dialog.remoteTarget = target;
      }
    }
    if (ctx.method == sip::Method::kInvite && code >= 200)
      call.leg(back).negotiation.pendingServerInvite = 0;
    if (ctx.method == sip::Method::kInvite && code / 100 == 2) {
      if (ctx.offer) {
        sendAck(call, ctx.side, resp.cseq().value.number, nullptr);
      } else {
        sent.negotiation.ackOwesAnswer = resp.cseq().value.number;
      }
    }
    if (!ctx.peer || code == 100) return;
    if (!txn_->request(ctx.peer)) return;
    relayResponseTo(call, resp, back, ctx.peer);
  }

  void prack(Call& call, TransactionId server, const sip::Message& req) {
    // RAck: response-num CSeq-num Method, of the caller's leg.
    std::string_view rack = sip::trimLws(req.header(sip::HeaderId::kRAck));
    uint64_t rseq = 0;
    sip::parseNumber(rack.substr(0, rack.find(' ')), 0xffffffff, rseq);
    auto it = std::find_if(call.reliable.begin(), call.reliable.end(),
                           [&](const ReliableProvisional& p) { return p.aRseq == rseq; });
    if (it == call.reliable.end()) {
      respondServer(call, server, 481, {});
      return;
    }
    stopRetransmission(it->resend);
    Leg& b = call.leg(Side::kB);
    dialog::Dialog early = b.dialog;
    early.remoteTag = it->bTag;
    sip::Message out =
        dialog::makeRequest(early, "PRACK", b.local, txn_->newBranch(), settings_.maxForwards);
    b.dialog.localCseq = early.localCseq;
    std::string error;
    if (!crossOver(call, Side::kB, req, out, error)) {
      respondServer(call, server, 488, {});
      return;
    }
    out.addHeader(sip::HeaderId::kRAck,
                  std::to_string(it->bRseq) + " " + std::to_string(it->bCseq) + " INVITE");
    if (out.body().empty()) out.setBody("");
    b.realm->filters.apply(out);
    TransactionId client = sendClient(call, Side::kB, std::move(out), Purpose::kRelay, server);
    if (client == 0) {
      respondServer(call, server, 503, {});
      return;
    }
    servers_[server].peer = client;
  }

  // ---- retransmissions of our 2xx and reliable provisionals ---------------------------

  void startRetransmission(Call& call, Retransmission& r) {
    if (transport::isReliable(r.to.remote.protocol)) {  // TCP delivers it
      r.message.reset();
      return;
    }
    r.interval = txn_->timers().t1;
    r.deadline = timers_.now() + 64 * txn_->timers().t1;
    armRetransmission(call.id, &r);
  }

  void armRetransmission(uint64_t callId, Retransmission* r) {
    r->timer = timers_.schedule(r->interval, [this, callId, r] {
      if (!find(callId)) return;
      r->timer = 0;
      if (timers_.now() >= r->deadline) {
        // No ACK (or PRACK) within 64*T1: the peer is gone (RFC 3261 §13.3.1.4).
        Call* call = find(callId);
        spdlog::info("event=ack_timeout call={}", callId);
        if (call && call->state == CallState::kConfirmed) {
          sendBye(*call, Side::kA);
          sendBye(*call, Side::kB);
          endCall(*call, "no ACK");
        }
        return;
      }
      txn_->sendStateless(*r->message, r->to);
      txn_->countRetransmission(r->to.listener);
      r->interval = std::min(r->interval * 2, txn_->timers().t2);
      armRetransmission(callId, r);
    });
  }

  void stopRetransmission(Retransmission& r) {
    timers_.cancel(r.timer);
    r.timer = 0;
    r.message.reset();
  }

  // ---- media events -----------------------------------------------------------------

  void scheduleMediaPoll() {
    timers_.schedule(timer::Duration(1000), [this] {
      for (const mediaplane::MediaEvent& e : anchor_.poll())
        onMediaEvent(e);
      scheduleMediaPoll();
    });
  }

  void onMediaEvent(const mediaplane::MediaEvent& e) {
    Call* call = find(e.session);
    if (!call) return;
    if (e.kind == mediaplane::MediaEvent::Kind::kLatched) {
      spdlog::info("event=media_latched call={} stream={} from={} source={}", call->id, e.stream,
                   e.fromA ? "A" : "B", e.source.toString());
      return;
    }
    // No media either way for the configured time: the endpoints are gone.
    spdlog::info("event=media_timeout call={} stream={}", call->id, e.stream);
    if (call->state == CallState::kConfirmed) {
      sendBye(*call, Side::kA);
      sendBye(*call, Side::kB);
      endCall(*call, "media timeout");
    }
  }

  // What the relay did for a call, summed over its streams, when the call ends.
  void logMediaStats(const Call& call) {
    std::optional<mediaplane::SessionStats> st = anchor_.stats(call.id);
    if (!st) return;
    mediaplane::DirectionStats a, b;
    auto add = [](mediaplane::DirectionStats& sum, const mediaplane::DirectionStats& d) {
      sum.packets += d.packets;
      sum.bytes += d.bytes;
      sum.lost += d.lost;
      for (size_t i = 0; i < static_cast<size_t>(mediaplane::DropReason::kCount); ++i)
        sum.drops[i] += d.drops[i];
      sum.jitterMs = std::max(sum.jitterMs, d.jitterMs);
    };
    for (const mediaplane::StreamStats& s : st->streams) {
      add(a, s.fromA);
      add(b, s.fromB);
      observeStream(s.fromA);
      observeStream(s.fromB);
    }
    std::string drops;
    for (size_t i = 0; i < static_cast<size_t>(mediaplane::DropReason::kCount); ++i) {
      std::string name(mediaplane::dropReasonName(static_cast<mediaplane::DropReason>(i)));
      drops += " from_a_drops_" + name + "=" + std::to_string(a.drops[i]);
      drops += " from_b_drops_" + name + "=" + std::to_string(b.drops[i]);
    }
    spdlog::info(
        "event=media_session_end call={} from_a_packets={} from_b_packets={} from_a_bytes={} "
        "from_b_bytes={} "
        "from_a_lost={} from_b_lost={} from_a_jitter_ms={:.2f} from_b_jitter_ms={:.2f}{}",
        call.id, a.packets, b.packets, a.bytes, b.bytes, a.lost, b.lost, a.jitterMs, b.jitterMs,
        drops);
  }

  // The quality a stream's direction ended with; directions that carried nothing say
  // nothing about the network.
  void observeStream(const mediaplane::DirectionStats& d) {
    if (d.packets == 0) return;
    if (!observer_) return;
    observer_->streamEnded(double(d.lost) / double(d.packets + d.lost),
                           CallObserver::Seconds(d.jitterMs / 1000.0));
  }

  // Every count goes twice: in the totals and in the caller's realm.
  void tally(RealmContext* realm, uint64_t CallCounters::*field) {
    ++(counters_.*field);
    if (realm) ++(realm->calls.*field);
  }
  // A call's result counts once, the first one seen (see Outcome).
  void outcome(Call& call, Outcome o) {
    if (call.outcome) return;
    call.outcome = o;
    static constexpr uint64_t CallCounters::*kField[] = {
        &CallCounters::answered, &CallCounters::busy, &CallCounters::cancelled,
        &CallCounters::failed};
    tally(call.leg(Side::kA).realm, kField[static_cast<size_t>(o)]);
  }

  // The only writer of a call's state: runs the machine (call_state.h) and returns what
  // the B2BUA must do; kNone when the event is refused in the call's state.
  CallAction transition(Call& call, CallEvent event) {
    CallTransition t = nextState(call.state, event);
    if (!t.accepted) {
      spdlog::debug("event=call_event_refused call={} state={} input={}", call.id,
                    callStateName(call.state), callEventName(event));
      return CallAction::kNone;
    }
    call.state = t.next;
    return t.action;
  }

  // The caller (or the SBC) no longer wants the call answered: CANCEL leg B now, or after
  // its first provisional (RFC 3261 §9.1).
  void requestCancel(Call& call) {
    if (transition(call, CallEvent::kCancel) == CallAction::kSendCancel) sendCancel(call);
  }

  // ---- teardown -----------------------------------------------------------------------

  void endCall(Call& call, std::string_view why) {
    if (transition(call, CallEvent::kEnd) != CallAction::kTearDown) return;
    timers_.cancel(call.noAnswerTimer);
    timers_.cancel(call.cancelGuardTimer);
    for (Leg& leg : call.legs) {
      stopRetransmission(leg.ok);
      dialogs_.erase(dialogKey(leg.dialog.callId, leg.dialog.localTag));
    }
    for (ReliableProvisional& p : call.reliable)
      stopRetransmission(p.resend);
    if (call.media.created) logMediaStats(call);
    anchor_.release(call.id, call.media);
    // Requests still waiting on this call get a final answer; our own transactions run
    // to completion in the transaction layer but nobody listens any more.
    for (TransactionId s : call.servers) {
      if (servers_.count(s) && txn_->request(s)) {
        sip::Message r = sip::makeResponse(*txn_->request(s), 481, {},
                                           call.leg(servers_[s].side).dialog.localTag);
        txn_->respond(s, std::move(r));
      }
      servers_.erase(s);
    }
    for (TransactionId c : call.clients)
      clients_.erase(c);
    if (call.leg(Side::kA).realm && call.leg(Side::kA).realm->activeCalls > 0)
      --call.leg(Side::kA).realm->activeCalls;
    if (call.answered != timer::TimePoint{} && observer_)
      observer_->answeredCallEnded(timers_.now() - call.answered);
    spdlog::info("event=call_end call={} reason=\"{}\" duration_ms={}", call.id, why,
                 std::chrono::duration_cast<std::chrono::milliseconds>(timers_.now() - call.started)
                     .count());
    uint64_t id = call.id;
    calls_.erase(id);  // `call` is gone from here on
  }

  timer::TimerService& timers_;
  CallObserver* observer_;
  const Settings settings_;
  topology::RouteTable routes_;
  MediaAnchor anchor_;
  transaction::TransactionLayer* txn_ = nullptr;
  std::unordered_map<std::string, RealmContext> realms_;
  std::unordered_map<transport::ListenerId, RealmContext*> listenerRealm_;
  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  std::unordered_map<std::string, std::pair<uint64_t, Side>> dialogs_;
  std::unordered_map<TransactionId, ServerCtx> servers_;
  std::unordered_map<TransactionId, ClientCtx> clients_;
  uint64_t nextCallId_ = 1;
  CallCounters counters_;
};

B2bua::B2bua(timer::TimerService& timers, Settings settings,
             const std::vector<transport::ListenerInfo>& listeners, mediaplane::MediaPlane* media,
             CallObserver* observer)
    : impl_(std::make_unique<Impl>(timers, std::move(settings), listeners, media, observer)) {}
B2bua::~B2bua() = default;
void B2bua::attach(transaction::TransactionLayer& t) {
  impl_->attach(t);
}
void B2bua::onRequest(TransactionId s, const sip::Message& r, const transport::Source& f) {
  impl_->onRequest(s, r, f);
}
void B2bua::onAck(const sip::Message& a, const transport::Source& f) {
  impl_->onAck(a, f);
}
void B2bua::onCancel(TransactionId i, const sip::Message& c) {
  impl_->onCancel(i, c);
}
void B2bua::onResponse(TransactionId c, const sip::Message& r) {
  impl_->onResponse(c, r);
}
void B2bua::onClientFailure(TransactionId c, transaction::ClientFailure w) {
  impl_->onClientFailure(c, w);
}
void B2bua::onStrayResponse(const sip::Message& r, const transport::Source& f) {
  impl_->onStrayResponse(r, f);
}
void B2bua::onServerFailure(TransactionId s) {
  impl_->onServerFailure(s);
}
void B2bua::terminateAll() {
  impl_->terminateAll();
}
size_t B2bua::activeCalls() const {
  return impl_->activeCalls();
}
const CallCounters& B2bua::counters() const {
  return impl_->counters();
}
std::vector<const RealmContext*> B2bua::realms() const {
  return impl_->realms();
}
const RealmContext* B2bua::realm(std::string_view name) const {
  return impl_->realm(name);
}

}  // namespace sbc::b2bua
