#include "signaling/b2bua/media_anchor.h"

#include <spdlog/spdlog.h>

namespace sbc::b2bua {

MediaAnchor::MediaAnchor(mediaplane::MediaPlane* plane, const Settings& settings)
    : plane_(plane), strict_(settings.strictMediaSource) {
  for (const topology::Realm& r : settings.realms) {
    if (!r.media) continue;
    ports_.emplace(r.name, mediaplane::PortAllocator(r.media->portMin, r.media->portMax,
                                                     settings.portQuarantine));
    if (auto ip = mediaplane::IpAddress::parse(r.media->address)) addresses_.emplace(r.name, *ip);
  }
}

size_t MediaAnchor::freePorts(const std::string& realm) const {
  auto it = ports_.find(realm);
  return it == ports_.end() ? 0 : it->second.free();
}

size_t MediaAnchor::restingPorts(const std::string& realm) const {
  auto it = ports_.find(realm);
  return it == ports_.end() ? 0 : it->second.resting();
}

// What a peer is told when the SBC has no media resources: the log says which realm and
// why; the peer learns neither the other realm's name nor any table size.
constexpr const char* kNoMediaResources = "no media resources available";

int MediaAnchor::anchor(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
                        std::string& error) {
  const topology::Realm* toRealm = call.realms[to];
  auto toAddress = addresses_.find(toRealm->name);
  if (toAddress == addresses_.end()) {
    spdlog::warn("event=media_unavailable realm={} reason=\"no media address\"", toRealm->name);
    error = kNoMediaResources;
    return 503;
  }
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    sdp::MediaDescription& md = sd.media(i);
    if (i >= call.streams.size()) call.streams.emplace_back();
    AnchoredStream& s = call.streams[i];
    uint16_t port = md.port();
    if (port == 0) {
      // A rejected or removed stream (RFC 3264 §6, §8.2): nothing to relay on this line.
      s.enabled = false;
      continue;
    }
    if (s.local[0] == 0) {
      // A new m-line: one port pair on each side's realm.
      for (size_t side = 0; side < 2; ++side) {
        auto alloc = ports_.find(call.realms[side]->name);
        std::optional<uint16_t> p = alloc == ports_.end() ? std::nullopt : alloc->second.allocate();
        if (!p) {
          spdlog::warn("event=media_unavailable realm={} reason=\"no free port pair\"",
                       call.realms[side]->name);
          error = kNoMediaResources;
          return 503;
        }
        s.local[side] = *p;
      }
    }
    std::optional<sdp::Connection> c = sd.effectiveConnection(i);
    std::optional<mediaplane::IpAddress> ip =
        c ? mediaplane::IpAddress::parse(std::string(c->address)) : std::nullopt;
    if (!ip) {
      error = "m-line " + std::to_string(i) + " has no usable connection address";
      return 488;
    }
    s.enabled = true;
    s.remote[from] = mediaplane::SocketAddress{*ip, port};
    std::optional<sdp::Rtcp> rtcp = md.rtcp();
    s.remoteRtcp[from] = rtcp ? rtcp->port : static_cast<uint16_t>(port + 1);
    s.mux[from] = md.rtcpMux();

    md.setPort(s.local[to]);
    if (rtcp) {
      // a=rtcp names the SBC's RTCP port (and address, when the peer gave one).
      std::string address = toAddress->second.toString();
      sdp::Rtcp ours;
      ours.port = static_cast<uint16_t>(s.local[to] + 1);
      if (!rtcp->address.empty()) {
        ours.netType = "IN";
        ours.addrType = toAddress->second.family == 6 ? "IP6" : "IP4";
        ours.address = address;
      }
      if (const char* err = md.setRtcp(ours)) {
        error = err;
        return 488;
      }
    }
  }
  std::string address = toAddress->second.toString();
  sdp::Connection ours;
  ours.addrType = toAddress->second.family == 6 ? "IP6" : "IP4";
  ours.address = address;
  if (const char* err = sd.rewriteConnections(ours)) {
    error = err;
    return 488;
  }
  sd.stripIce();  // the SBC is the only candidate each side may use
  return 0;
}

void MediaAnchor::told(CallMedia& call, size_t to) {
  for (AnchoredStream& s : call.streams) {
    if (s.local[to] != 0) s.told[to] = true;
  }
}

mediaplane::Error MediaAnchor::commit(uint64_t callId, CallMedia& call) {
  if (!plane_) return "no media plane";
  mediaplane::SessionSpec spec;
  spec.id = callId;
  spec.sources = strict_ ? mediaplane::SourcePolicy::kStrict : mediaplane::SourcePolicy::kLatch;
  for (const AnchoredStream& s : call.streams) {
    mediaplane::StreamPair pair;
    std::array<mediaplane::MediaEndpoint*, 2> ends{&pair.a, &pair.b};
    for (size_t side = 0; side < 2; ++side) {
      mediaplane::MediaEndpoint& e = *ends[side];
      e.realm = call.realms[side]->name;
      e.local = mediaplane::SocketAddress{addresses_[e.realm], s.local[side]};
      // A disabled line keeps its ports (so indexes stay put) but has no peers.
      e.remote = s.enabled ? s.remote[side] : mediaplane::SocketAddress{};
      e.remoteRtcpPort = s.remoteRtcp[side];
      e.rtcpMux = s.mux[side];
      if (s.enabled) e.srtp = s.srtp[side].active;
    }
    spec.streams.push_back(std::move(pair));
  }
  mediaplane::Error err = call.created ? plane_->updateSession(spec) : plane_->createSession(spec);
  if (err.empty()) call.created = true;
  return err;
}

void MediaAnchor::release(uint64_t callId, CallMedia& call) {
  if (plane_ && call.created) plane_->deleteSession(callId);
  call.created = false;
  for (AnchoredStream& s : call.streams) {
    for (size_t side = 0; side < 2; ++side) {
      if (s.local[side] == 0 || !call.realms[side]) continue;
      auto it = ports_.find(call.realms[side]->name);
      if (it != ports_.end()) {
        if (s.told[side]) {
          it->second.release(s.local[side]);
        } else {
          it->second.releaseNow(s.local[side]);
        }
      }
      s.local[side] = 0;
    }
  }
  call.streams.clear();
}

}  // namespace sbc::b2bua
