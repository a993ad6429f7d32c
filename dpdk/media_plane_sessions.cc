// A SessionSpec turned into stream-table entries: sides, keys, egress targets, latches.

#include "dpdk/media_plane_state.h"

namespace sbc::dpdk {

namespace {

// One side of a stream as the targets need it.
struct Side {
  uint8_t interface = 0;
  uint8_t localAddress = 0;  // index among the interface's media addresses
  rte_be32_t localIp = 0;
  uint16_t localPort = 0;  // host order
  rte_be32_t remoteIp = 0;
  uint16_t remotePort = 0;
  uint16_t remoteRtcpPort = 0;
  bool mux = false;
  uint32_t latchRtp = kNoSlot;
  uint32_t latchRtcp = kNoSlot;
};

StreamKey keyOf(const Side& s, uint16_t port) {
  StreamKey k;
  k.interface = s.interface;
  k.port = rte_cpu_to_be_16(port);
  k.address = s.localAddress;
  return k;
}

Egress rtpEgress(const Side& to, bool strict) {
  Egress e;
  e.interface = to.interface;
  e.srcIp = to.localIp;
  e.srcPort = rte_cpu_to_be_16(to.localPort);
  e.dstIp = to.remoteIp;
  e.dstPort = rte_cpu_to_be_16(to.remotePort);
  e.dstLatch = strict ? kNoSlot : to.latchRtp;
  return e;
}

// RTCP for a muxing side goes to its RTP port from ours; otherwise port + 1 on both ends.
Egress rtcpEgress(const Side& to, bool strict) {
  if (to.mux) return rtpEgress(to, strict);
  Egress e = rtpEgress(to, strict);
  e.srcPort = rte_cpu_to_be_16(static_cast<uint16_t>(to.localPort + 1));
  e.dstPort = rte_cpu_to_be_16(to.remoteRtcpPort);
  e.dstLatch = strict ? kNoSlot : to.latchRtcp;
  return e;
}

// Addresses a peer behind NAT signals (RFC 1918, shared address space RFC 6598, loopback,
// link-local, "this network"): its packets come from somewhere else. Host order.
bool isPublic(uint32_t ip) {
  auto in = [ip](uint32_t net, int bits) { return (ip ^ net) >> (32 - bits) == 0; };
  return !(in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) ||
           in(0x7f000000, 8) || in(0xa9fe0000, 16) || in(0x00000000, 8));
}

std::string sideName(size_t stream, bool a) {
  return "stream " + std::to_string(stream) + (a ? " side a" : " side b");
}

}  // namespace

std::optional<uint8_t> DpdkMediaPlane::State::interfaceOf(const std::string& realm) const {
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    if (config.interfaces[i].realm == realm) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

Error DpdkMediaPlane::State::checkSrtp(const MediaEndpoint& e, const std::string& who) {
  if (!e.srtp) return {};
  if (std::string error = srtp::initialize(); !error.empty())
    return who + ": SRTP is not available: " + error;
  std::string suite(mediaplane::srtpSuiteName(e.srtp->suite));
  if (e.srtp->suite >= mediaplane::SrtpSuite::kCount || !srtp::supported(e.srtp->suite))
    return who + ": SRTP suite " + suite + " is not supported by this libsrtp";
  size_t length = mediaplane::srtpMasterKeyLength(e.srtp->suite);
  if (e.srtp->receive.length != length || e.srtp->send.length != length)
    return who + ": SRTP keys for " + suite + " must be " + std::to_string(length) + " bytes";
  return {};
}

void DpdkMediaPlane::State::retireCrypto(SrtpCrypto* c) {
  if (c != nullptr) table->retire([c] { delete c; });
}

void DpdkMediaPlane::State::resetDirections(uint32_t slot) {
  // Only slots no lcore can reach (fresh, or reclaimed after a grace period) come here.
  for (uint32_t d = 2 * slot; d < 2 * slot + 2; ++d) {
    for (int i = 0; i < 2; ++i) {
      srtpSlots[d].crypto[i].store(nullptr, std::memory_order_relaxed);
      srtpSlots[d].owner[i].store(0, std::memory_order_relaxed);
    }
  }
  for (auto& array : directions) {
    for (uint32_t d = 2 * slot; d < 2 * slot + 2; ++d) {
      DirectionCounters& c = array[d];
      c.packets = 0;
      c.bytes = 0;
      for (auto& drop : c.drops)
        drop = 0;
      c.lost = 0;
      c.jitter16 = 0;
      c.lastSeenTsc = 0;
      c.rtp = RtpReceiver{};
    }
  }
}

Error DpdkMediaPlane::State::apply(const SessionSpec& spec, SessionRecord* old) {
  table->reclaim();
  const bool strict = config.strictSource || spec.sources == SourcePolicy::kStrict;
  // A public signaled address is the peer's own (nothing NATs it): only that IP may latch.
  auto checkFor = [&](rte_be32_t signaled) {
    if (strict) return SourceCheck::kStrict;
    switch (config.latching) {
      case mediaplane::Latching::kFirst:
        return SourceCheck::kLatchFirst;
      case mediaplane::Latching::kLearningAnyAddress:
        return SourceCheck::kLearn;
      case mediaplane::Latching::kLearning:
        break;
    }
    return isPublic(rte_be_to_cpu_32(signaled)) ? SourceCheck::kLearnSameIp : SourceCheck::kLearn;
  };

  // 1. Check every side against the interfaces.
  std::vector<std::array<Side, 2>> sides(spec.streams.size());
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    const MediaEndpoint* ends[2] = {&spec.streams[i].a, &spec.streams[i].b};
    for (int s = 0; s < 2; ++s) {
      const MediaEndpoint& e = *ends[s];
      std::string who = sideName(i, s == 0);
      std::optional<uint8_t> interface = interfaceOf(e.realm);
      if (!interface) return who + ": realm '" + e.realm + "' has no media interface";
      const RelayConfig::Interface& c = config.interfaces[*interface];
      if (e.local.ip != c.address && std::find(c.extraAddresses.begin(), c.extraAddresses.end(),
                                               e.local.ip) == c.extraAddresses.end()) {
        return who + ": local address " + e.local.ip.toString() + " is not the media address " +
               c.address.toString() + " of realm '" + e.realm + "'";
      }
      if (e.local.port == 0) return who + ": local port 0";
      if (!e.rtcpMux && e.local.port == 65535)
        return who + ": local port 65535 leaves no RTCP port";
      if (e.remote.ip.family != 4 && !e.remote.ip.isUnspecified())
        return who + ": IPv6 peers are not supported yet";
      if (Error error = checkSrtp(e, who); !error.empty()) return error;
      Side& side = sides[i][s];
      side.interface = *interface;
      side.localIp = v4(e.local.ip);
      side.localAddress =
          e.local.ip == c.address
              ? 0
              : static_cast<uint8_t>(
                    1 + (std::find(c.extraAddresses.begin(), c.extraAddresses.end(), e.local.ip) -
                         c.extraAddresses.begin()));
      side.localPort = e.local.port;
      side.remoteIp = v4(e.remote.ip);
      side.remotePort = e.remote.port;
      side.remoteRtcpPort = e.remoteRtcpPort != 0 ? e.remoteRtcpPort
                            : e.remote.port != 0  ? static_cast<uint16_t>(e.remote.port + 1)
                                                  : 0;
      side.mux = e.rtcpMux;
    }
  }

  // 2. The keys: unique within the session, not owned by another one.
  std::vector<StreamKey> newKeys;
  for (size_t i = 0; i < sides.size(); ++i) {
    for (int s = 0; s < 2; ++s) {
      const Side& side = sides[i][s];
      uint16_t ports[2] = {side.localPort, static_cast<uint16_t>(side.localPort + 1)};
      for (int k = 0; k < (side.mux ? 1 : 2); ++k) {
        StreamKey key = keyOf(side, ports[k]);
        std::string where = "port " + std::to_string(ports[k]) + " in realm '" +
                            config.interfaces[side.interface].realm + "'";
        if (std::find(newKeys.begin(), newKeys.end(), key) != newKeys.end())
          return sideName(i, s == 0) + ": " + where + " is used twice in session " +
                 std::to_string(spec.id);
        const RelayTarget* owner = table->find(key);
        if (owner != nullptr && owner->session != spec.id)
          return sideName(i, s == 0) + ": " + where + " belongs to session " +
                 std::to_string(owner->session);
        newKeys.push_back(key);
      }
    }
  }
  std::vector<StreamKey> oldKeys;
  if (old) {
    for (const StreamRecord& s : old->streams)
      oldKeys.insert(oldKeys.end(), s.keys.begin(), s.keys.end());
  }
  auto isOld = [&oldKeys](const StreamKey& k) {
    return std::find(oldKeys.begin(), oldKeys.end(), k) != oldKeys.end();
  };
  auto isNew = [&newKeys](const StreamKey& k) {
    return std::find(newKeys.begin(), newKeys.end(), k) != newKeys.end();
  };

  // 3. Which latches survive: same peer, same local end, same muxing.
  size_t oldCount = old ? old->streams.size() : 0;
  auto keepsLatch = [&](size_t i, int s) {
    if (i >= oldCount) return false;
    const MediaEndpoint& before = s == 0 ? old->streams[i].spec.a : old->streams[i].spec.b;
    const MediaEndpoint& after = s == 0 ? spec.streams[i].a : spec.streams[i].b;
    return before.realm == after.realm && before.local == after.local &&
           before.remote == after.remote && before.remoteRtcpPort == after.remoteRtcpPort &&
           before.rtcpMux == after.rtcpMux;
  };
  size_t streamsNeeded = spec.streams.size() > oldCount ? spec.streams.size() - oldCount : 0;
  size_t latchesNeeded = 0;
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    for (int s = 0; s < 2; ++s)
      latchesNeeded += keepsLatch(i, s) ? 0 : 2;
  }
  auto fits = [&] {
    return table->freeStreams() >= streamsNeeded && table->freeLatches() >= latchesNeeded;
  };
  if (!fits()) table->synchronize();  // retired slots come back after one grace period
  if (!fits()) {
    return "the stream table is full (" + std::to_string(streamCapacity) +
           " streams for max_sessions " + std::to_string(config.maxSessions) + ")";
  }

  // 4. Slots: streams keep theirs (and their counters); latches as decided above.
  SessionRecord record;
  record.strict = strict;
  uint64_t now = rte_rdtsc();
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    StreamRecord s;
    s.spec = spec.streams[i];
    s.sinceTsc = now;
    if (i < oldCount) {
      s.slot = old->streams[i].slot;
    } else {
      s.slot = *table->allocateStream();
      resetDirections(s.slot);
    }
    for (int side = 0; side < 2; ++side) {
      if (keepsLatch(i, side)) {
        s.latch[side][0] = old->streams[i].latch[side][0];
        s.latch[side][1] = old->streams[i].latch[side][1];
        s.reported[side] = old->streams[i].reported[side];
      } else {
        s.latch[side][0] = *table->allocateLatch();
        s.latch[side][1] = *table->allocateLatch();
      }
      sides[i][side].latchRtp = s.latch[side][0];
      sides[i][side].latchRtcp = s.latch[side][1];
    }
    record.streams.push_back(std::move(s));
  }

  // 4b. SRTP, per direction: unprotect with the sending side's receive key, protect with the
  // other side's send key. The same suite and key keep the running object (and its
  // contexts: hold/resume); new keys make a new one that carries the ROC over.
  std::vector<SrtpCrypto*> created;
  std::vector<SrtpCrypto*> replaced;
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    for (int side = 0; side < 2; ++side) {
      const MediaEndpoint& from = side == 0 ? spec.streams[i].a : spec.streams[i].b;
      const MediaEndpoint& to = side == 0 ? spec.streams[i].b : spec.streams[i].a;
      for (uint8_t op = 0; op < 2; ++op) {
        const std::optional<mediaplane::SrtpKeys>& keys = op == kOpUnprotect ? from.srtp : to.srtp;
        SrtpCrypto* before = i < oldCount ? old->streams[i].crypto[side][op] : nullptr;
        SrtpCrypto* now = nullptr;
        if (keys) {
          const mediaplane::SrtpMasterKey& key = op == kOpUnprotect ? keys->receive : keys->send;
          if (before != nullptr && before->suite == keys->suite && before->key == key) {
            now = before;
          } else {
            now = new SrtpCrypto();
            now->generation = ++srtpGeneration;
            now->suite = keys->suite;
            now->kinds[kKindRtp].lines = srtp::RtpStream::hotLines(keys->suite);
            now->key = key;
            now->op = op;
            if (before != nullptr && before->hasReported.load(std::memory_order_acquire)) {
              uint64_t r = before->reported.load(std::memory_order_relaxed);
              now->carry = true;
              now->carrySsrc = static_cast<uint32_t>(r >> 32);
              now->carryRoc = static_cast<uint32_t>(r);
            } else if (before != nullptr && before->carry) {
              // Re-keyed again before a packet used the last keys: what they would have
              // carried still holds.
              now->carry = true;
              now->carrySsrc = before->carrySsrc;
              now->carryRoc = before->carryRoc;
            }
            created.push_back(now);
          }
        }
        if (before != nullptr && before != now) replaced.push_back(before);
        record.streams[i].crypto[side][op] = now;
      }
    }
  }

  // 5. The targets, one per key.
  struct Pending {
    StreamKey key;
    std::unique_ptr<RelayTarget> target;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < sides.size(); ++i) {
    for (int s = 0; s < 2; ++s) {
      const Side& from = sides[i][s];
      const Side& to = sides[i][1 - s];
      auto base = [&] {
        auto t = std::make_unique<RelayTarget>();
        t->check = checkFor(from.remoteIp);
        t->direction = 2 * record.streams[i].slot + static_cast<uint32_t>(s);
        t->session = spec.id;
        t->expectIp = from.remoteIp;
        return t;
      };
      const MediaEndpoint& fromSpec = s == 0 ? spec.streams[i].a : spec.streams[i].b;
      const MediaEndpoint& toSpec = s == 0 ? spec.streams[i].b : spec.streams[i].a;
      const uint8_t srtp = static_cast<uint8_t>((fromSpec.srtp ? kSrtpUnprotect : 0) |
                                                (toSpec.srtp ? kSrtpProtect : 0));
      auto rtp = base();
      rtp->kind = from.mux ? PortKind::kMux : PortKind::kRtp;
      rtp->expectPort = rte_cpu_to_be_16(from.remotePort);
      rtp->srcLatch = strict ? kNoSlot : from.latchRtp;
      rtp->rtp = rtpEgress(to, strict);
      rtp->rtcp = rtcpEgress(to, strict);
      rtp->rtp.srtp = rtp->rtcp.srtp = srtp;
      record.streams[i].keys.push_back(keyOf(from, from.localPort));
      pending.push_back({keyOf(from, from.localPort), std::move(rtp)});
      if (!from.mux) {
        auto rtcp = base();
        rtcp->kind = PortKind::kRtcp;
        rtcp->expectPort = rte_cpu_to_be_16(from.remoteRtcpPort);
        rtcp->srcLatch = strict ? kNoSlot : from.latchRtcp;
        rtcp->rtp = rtcpEgress(to, strict);
        rtcp->rtp.srtp = srtp;
        rtcp->rtcp = rtcp->rtp;
        StreamKey key = keyOf(from, static_cast<uint16_t>(from.localPort + 1));
        record.streams[i].keys.push_back(key);
        pending.push_back({key, std::move(rtcp)});
      }
    }
  }

  // 6. Publish: the SRTP objects first (a target that names SRTP finds its object), keys
  // that are new next, then replacements (atomic per key), then the keys
  // that went away. Every port of every media address has its entry and step 1 checked the
  // addresses, so adding cannot fail; if it ever did, nothing would have changed.
  auto publishCrypto = [&](const StreamRecord& r) {
    for (int side = 0; side < 2; ++side) {
      for (int op = 0; op < 2; ++op)
        srtpSlots[2 * r.slot + side].crypto[op].store(r.crypto[side][op],
                                                      std::memory_order_release);
    }
  };
  for (const StreamRecord& r : record.streams)
    publishCrypto(r);
  std::vector<StreamKey> added;
  for (Pending& p : pending) {
    if (isOld(p.key)) continue;
    if (!table->publish(p.key, std::move(p.target))) {
      for (const StreamKey& k : added)
        table->remove(k);
      for (size_t i = 0; i < record.streams.size(); ++i) {
        if (i < oldCount) {
          publishCrypto(old->streams[i]);
        } else {
          record.streams[i].crypto[0][0] = record.streams[i].crypto[0][1] = nullptr;
          record.streams[i].crypto[1][0] = record.streams[i].crypto[1][1] = nullptr;
          publishCrypto(record.streams[i]);
        }
      }
      for (SrtpCrypto* c : created)
        retireCrypto(c);
      for (size_t i = 0; i < record.streams.size(); ++i) {
        if (i >= oldCount) table->retireStream(record.streams[i].slot);
        for (int side = 0; side < 2; ++side) {
          if (keepsLatch(i, side)) continue;
          table->retireLatch(record.streams[i].latch[side][0]);
          table->retireLatch(record.streams[i].latch[side][1]);
        }
      }
      return "internal error: the stream table has no entry for local port " +
             std::to_string(rte_be_to_cpu_16(p.key.port));
    }
    added.push_back(p.key);
  }
  for (Pending& p : pending) {
    if (p.target) table->publish(p.key, std::move(p.target));
  }
  for (const StreamKey& k : oldKeys) {
    if (!isNew(k)) table->remove(k);
  }
  if (old) {
    for (size_t i = 0; i < oldCount; ++i) {
      const StreamRecord& s = old->streams[i];
      if (i >= spec.streams.size()) {
        for (int side = 0; side < 2; ++side) {
          for (int op = 0; op < 2; ++op) {
            srtpSlots[2 * s.slot + side].crypto[op].store(nullptr, std::memory_order_release);
            retireCrypto(s.crypto[side][op]);
          }
        }
        table->retireStream(s.slot);
      }
      for (int side = 0; side < 2; ++side) {
        if (i < spec.streams.size() && keepsLatch(i, side)) continue;
        table->retireLatch(s.latch[side][0]);
        table->retireLatch(s.latch[side][1]);
      }
    }
  }
  for (SrtpCrypto* c : replaced)
    retireCrypto(c);
  sessions[spec.id] = std::move(record);
  return {};
}

void DpdkMediaPlane::State::removeStream(StreamRecord& s) {
  for (const StreamKey& k : s.keys)
    table->remove(k);
  for (int side = 0; side < 2; ++side) {
    for (int op = 0; op < 2; ++op) {
      srtpSlots[2 * s.slot + side].crypto[op].store(nullptr, std::memory_order_release);
      retireCrypto(s.crypto[side][op]);
      s.crypto[side][op] = nullptr;
    }
  }
  table->retireStream(s.slot);
  for (auto& side : s.latch) {
    table->retireLatch(side[0]);
    table->retireLatch(side[1]);
  }
}

}  // namespace sbc::dpdk
