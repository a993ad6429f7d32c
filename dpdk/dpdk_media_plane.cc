#include "dpdk/dpdk_media_plane.h"

#include "dpdk/media_plane_state.h"

namespace sbc::dpdk {

namespace {

// Neighbour cache timing (seconds): like a host's ARP cache, with requests rate-limited.
constexpr uint64_t kNeighbourLifetimeS = 300;
constexpr uint64_t kNeighbourRefreshS = 240;
constexpr uint64_t kNeighbourRetryS = 1;
constexpr unsigned kInboxSize = 1024;
constexpr unsigned kPoolCache = 256;

}  // namespace

// --------------------------------------------------------------------------------------
// State: everything start() brings up, in the order stop() takes it down (the struct is in
// media_plane_state.h).

bool DpdkMediaPlane::State::bringUp(std::string& error) {
  static std::atomic<unsigned> instances{0};
  const std::string tag = std::to_string(instances++);
  const size_t workers = config.lcores.size();

  for (unsigned lcore : config.lcores) {
    if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore)) {
      error = "lcore " + std::to_string(lcore) + " is not enabled in the EAL (-l/--lcores)";
      return false;
    }
    if (lcore == rte_get_main_lcore()) {
      error = "lcore " + std::to_string(lcore) +
              " is the main lcore: it stays the control thread, give workers other lcores";
      return false;
    }
    if (rte_eal_get_lcore_state(lcore) != WAIT) {
      error = "lcore " + std::to_string(lcore) + " is busy with other work";
      return false;
    }
  }

  tscHz = rte_get_tsc_hz();
  tsc0 = rte_rdtsc();
  ns0 = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count());

  // Two streams per session on average (audio and video); latch words twice over, so that
  // an update can take fresh ones before the old are reclaimed. Keys need no room of their
  // own: every local port of every media address has its entry.
  streamCapacity = config.maxSessions * 2;
  StreamTable::Capacity capacity;
  capacity.streams = streamCapacity;
  capacity.latches = streamCapacity * 8;
  capacity.readers = static_cast<unsigned>(workers);
  for (const RelayConfig::Interface& c : config.interfaces)
    capacity.addresses.push_back(static_cast<uint8_t>(1 + c.extraAddresses.size()));
  table = StreamTable::create(capacity, error);
  if (!table) return false;

  // One mempool per worker lcore on its socket, sized for every queue it fills.
  const size_t nInterfaces = config.interfaces.size();
  uint32_t needed =
      static_cast<uint32_t>(nInterfaces * (config.rxDescriptors + config.txDescriptors) +
                            kBurst * (nInterfaces + 2) + 2 * kPoolCache + 1024);
  uint32_t poolSize = std::max(config.mbufsPerLcore, needed);
  std::vector<unsigned> sockets;
  for (size_t w = 0; w < workers; ++w) {
    unsigned socket = rte_lcore_to_socket_id(config.lcores[w]);
    std::string name = "sbc_mb" + tag + "_" + std::to_string(w);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), poolSize, kPoolCache, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool == nullptr) {
      pool = rte_pktmbuf_pool_create(name.c_str(), poolSize, kPoolCache, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    }
    if (pool == nullptr) {
      error = "cannot create a pool of " + std::to_string(poolSize) + " mbufs for lcore " +
              std::to_string(config.lcores[w]) + ": " + rte_strerror(rte_errno) +
              " (give the EAL more memory with -m, or lower mbufs_per_lcore)";
      return false;
    }
    pools.push_back(pool);
    sockets.push_back(socket);
  }

  // The interfaces, each in three stages.
  interfaces = std::make_unique<InterfaceContext[]>(nInterfaces);
  for (size_t i = 0; i < nInterfaces; ++i) {
    const RelayConfig::Interface& c = config.interfaces[i];
    std::optional<Port> port = Port::attach(c.device, error);
    if (!port) return false;
    for (const Port& other : ports) {
      if (other.id() == port->id()) {
        error = "interfaces '" + config.interfaces[&other - ports.data()].realm + "' and '" +
                c.realm + "' are the same port " + port->name();
        return false;
      }
    }
    ports.push_back(*port);
    Port& p = ports.back();
    if (!p.configure(static_cast<uint16_t>(workers), c.mac, warnings, error) ||
        !p.setupQueues(pools, sockets, config.rxDescriptors, config.txDescriptors, error) ||
        !p.start(config.linkWait, warnings, error)) {
      return false;
    }
    InterfaceContext& in = interfaces[i];
    in.port = p.id();
    in.index = static_cast<uint8_t>(i);
    in.ip = v4(c.address);
    in.addresses[0] = in.ip;
    for (const mediaplane::IpAddress& extra : c.extraAddresses)
      in.addresses[in.addressCount++] = v4(extra);
    in.mask = rte_cpu_to_be_32(prefixMask(c.prefixLength));
    in.gateway = c.gateway ? v4(*c.gateway) : 0;
    in.mac = p.mac();
    in.ipChecksumOffload = p.ipChecksumOffload();
  }

  shared.interfaces = interfaces.get();
  shared.interfaceCount = static_cast<uint8_t>(nInterfaces);
  shared.ports = table->ports();
  shared.rcu = table->rcu();
  shared.latches = table->latches();
  shared.stop = &stopFlag;
  shared.drainTsc = (tscHz + 999999) / 1000000 * kDrainMicroseconds;
  shared.tscPer8kHzTick = std::max<uint64_t>(1, tscHz / 8000);
  // Latch ticks of 2^shift TSC cycles, a quarter to half a second: a stamp in the latch word
  // is then rewritten a few times a second per stream, and 11 bits of it span 512 s.
  shared.latchTickShift =
      static_cast<uint8_t>(std::max(1, static_cast<int>(std::bit_width(tscHz)) - 2));
  if (config.latchHandover.count() > 0) {
    uint64_t tick = uint64_t{1} << shared.latchTickShift;
    uint64_t handover = static_cast<uint64_t>(config.latchHandover.count()) * tscHz / 1000;
    // +1: a stamp is a whole tick, so one more guarantees at least the configured silence.
    shared.handoverTicks = static_cast<uint32_t>((handover + tick - 1) / tick + 1);
  }
  // 15 s: three RTCP intervals of the peer, or two at their randomized longest.
  uint32_t rtcpTicks = static_cast<uint32_t>((15 * tscHz >> shared.latchTickShift) + 1);
  shared.rtcpHandoverTicks = std::max(shared.handoverTicks, rtcpTicks);
  shared.neighbourTiming = NeighbourTable::Timing{
      kNeighbourLifetimeS * tscHz, kNeighbourRefreshS * tscHz, kNeighbourRetryS * tscHz};

  for (size_t w = 0; w < workers; ++w) {
    auto lc = std::make_unique<LcoreContext>(shared.neighbourTiming);
    lc->lcore = config.lcores[w];
    lc->queue = static_cast<uint16_t>(w);
    lc->rcuThread = static_cast<unsigned>(w);
    lc->shared = &shared;
    lc->pool = pools[w];
    directions.push_back(HotArray<DirectionCounters>::create(size_t{streamCapacity} * 2,
                                                             static_cast<int>(sockets[w])));
    if (directions.back().data() == nullptr) {
      error = "cannot allocate the stream counters of lcore " + std::to_string(lc->lcore) + " (" +
              std::to_string(size_t{streamCapacity} * 2 * sizeof(DirectionCounters) >> 20) +
              " MiB for max_sessions " + std::to_string(config.maxSessions) + ")";
      return false;
    }
    lc->directions = directions.back().data();
    std::string name = "sbc_nb" + tag + "_" + std::to_string(w);
    lc->inbox = rte_ring_create_elem(name.c_str(), sizeof(NeighbourUpdate), kInboxSize,
                                     static_cast<int>(sockets[w]), RING_F_SC_DEQ);
    if (lc->inbox == nullptr) {
      error = "cannot create the neighbour inbox of lcore " + std::to_string(lc->lcore) + ": " +
              rte_strerror(rte_errno);
      return false;
    }
    for (size_t i = 0; i < nInterfaces; ++i) {
      for (const RelayConfig::Interface::StaticNeighbour& n :
           config.interfaces[i].staticNeighbours) {
        rte_ether_addr mac;
        std::memcpy(mac.addr_bytes, n.mac.data(), RTE_ETHER_ADDR_LEN);
        if (!lc->neighbours.pin(static_cast<uint8_t>(i), v4(n.ip), mac)) {
          error = "interface '" + config.interfaces[i].realm + "': too many static neighbours " +
                  "near " + n.ip.toString();
          return false;
        }
      }
    }
    lcores.push_back(std::move(lc));
  }
  for (auto& lc : lcores) {
    for (auto& other : lcores) {
      if (other != lc) lc->peers[lc->peerCount++] = other->inbox;
    }
  }

  // SRTP: per direction its objects and owners; per worker its rings; the service thread.
  srtpSlots = HotArray<SrtpSlot>::create(size_t{streamCapacity} * 2, SOCKET_ID_ANY);
  if (srtpSlots.data() == nullptr) {
    error = "cannot allocate the SRTP slots";
    return false;
  }
  std::vector<SrtpChannel> channels;
  for (size_t w = 0; w < workers; ++w) {
    SrtpChannel& ch = lcores[w]->srtp;
    std::string suffix = tag + "_" + std::to_string(w);
    int socket = static_cast<int>(sockets[w]);
    ch.toService = rte_ring_create_elem(("sbc_st" + suffix).c_str(), sizeof(SrtpMessage),
                                        kSrtpRingSize, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ch.fromService = rte_ring_create_elem(("sbc_sf" + suffix).c_str(), sizeof(SrtpMessage),
                                          kSrtpRingSize, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ch.handoff =
        rte_ring_create(("sbc_ho" + suffix).c_str(), kHandoffRingSize, socket, RING_F_SC_DEQ);
    handoffs.push_back(ch.handoff);
    channels.push_back(ch);
    if (ch.toService == nullptr || ch.fromService == nullptr || ch.handoff == nullptr) {
      error = "cannot create the SRTP rings of lcore " + std::to_string(lcores[w]->lcore) + ": " +
              rte_strerror(rte_errno);
      return false;
    }
  }
  // SRTP's RTP fast path: a libipsec-mb batch per lcore, or libsrtp for RTP on every one.
  bool fastRtp = config.srtpBatch;
  std::string batchError;
  for (auto& lc : lcores) {
    if (!fastRtp) break;
    lc->rtpBatch = srtp::RtpBatch::create(batchError);
    fastRtp = lc->rtpBatch != nullptr;
  }
  if (!fastRtp && config.srtpBatch) {
    for (auto& lc : lcores)
      lc->rtpBatch.reset();
    warnings.push_back("SRTP: " + batchError +
                       "; RTP is protected by libsrtp, one packet at a time");
  }
  shared.srtp = srtpSlots.data();
  shared.handoff = handoffs.data();
  srtpService = std::make_unique<SrtpService>(channels, fastRtp);
  srtpService->start();

  for (auto& lc : lcores) {
    if (int rc = rte_eal_remote_launch(lcoreMain, lc.get(), lc->lcore); rc != 0) {
      error = "cannot launch lcore " + std::to_string(lc->lcore) + ": " + rte_strerror(-rc);
      return false;
    }
    ++launched;
  }
  running = true;
  return true;
}

void DpdkMediaPlane::State::tearDown() {
  stopFlag.store(true);
  for (size_t w = 0; w < launched; ++w)
    rte_eal_wait_lcore(lcores[w]->lcore);
  launched = 0;
  running = false;
  // Then the service thread, which frees the contexts still in the rings.
  if (srtpService) srtpService->stop();
  srtpService.reset();
  for (auto& lc : lcores) {
    if (lc->srtp.handoff != nullptr) {
      void* m;
      while (rte_ring_dequeue(lc->srtp.handoff, &m) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    rte_ring_free(lc->srtp.handoff);
    rte_ring_free(lc->srtp.toService);
    rte_ring_free(lc->srtp.fromService);
    lc->srtp = {};
  }
  handoffs.clear();
  for (auto it = ports.rbegin(); it != ports.rend(); ++it)
    it->close();
  ports.clear();
  table.reset();  // runs what was retired: SRTP objects among them
  for (auto& [id, session] : sessions) {
    for (StreamRecord& stream : session.streams) {
      for (auto& side : stream.crypto) {
        for (SrtpCrypto*& c : side) {
          delete c;
          c = nullptr;
        }
      }
    }
  }
  srtpSlots = {};
  for (auto& lc : lcores)
    rte_ring_free(lc->inbox);
  lcores.clear();
  directions.clear();
  for (rte_mempool* pool : pools)
    rte_mempool_free(pool);
  pools.clear();
  sessions.clear();
  if (ownsEal) cleanupEal();
  ownsEal = false;
}

// --------------------------------------------------------------------------------------
// DpdkMediaPlane

DpdkMediaPlane::DpdkMediaPlane(std::unique_ptr<State> state) : state_(std::move(state)) {}

DpdkMediaPlane::~DpdkMediaPlane() {
  stop();
}

std::unique_ptr<DpdkMediaPlane> DpdkMediaPlane::start(const RelayConfig& config,
                                                      std::string& error) {
  error = validateConfig(config);
  if (!error.empty()) return nullptr;
  auto state = std::make_unique<State>();
  state->config = config;
  // Arguments, or no EAL yet: this relay brings the EAL up and takes it down. No arguments
  // and an EAL already up: the application's, shared.
  if (!config.eal.empty() || !ealInitialized()) {
    if (!initEal(config.eal, error)) return nullptr;
    state->ownsEal = true;
  }
  if (!state->bringUp(error)) {
    state->tearDown();
    return nullptr;
  }
  return std::unique_ptr<DpdkMediaPlane>(new DpdkMediaPlane(std::move(state)));
}

void DpdkMediaPlane::stop() {
  if (state_->running) state_->tearDown();
}

Error DpdkMediaPlane::createSession(const SessionSpec& spec) {
  State& s = *state_;
  if (!s.running) return "the media plane is stopped";
  if (s.sessions.count(spec.id) != 0) return "session " + std::to_string(spec.id) + " exists";
  if (s.sessions.size() >= s.config.maxSessions)
    return "max_sessions (" + std::to_string(s.config.maxSessions) + ") reached";
  return s.apply(spec, nullptr);
}

Error DpdkMediaPlane::updateSession(const SessionSpec& spec) {
  State& s = *state_;
  if (!s.running) return "the media plane is stopped";
  auto it = s.sessions.find(spec.id);
  if (it == s.sessions.end()) return "no session " + std::to_string(spec.id);
  State::SessionRecord old = it->second;
  return s.apply(spec, &old);
}

void DpdkMediaPlane::deleteSession(uint64_t id) {
  State& s = *state_;
  if (!s.running) return;
  s.table->reclaim();
  auto it = s.sessions.find(id);
  if (it == s.sessions.end()) return;
  for (State::StreamRecord& stream : it->second.streams)
    s.removeStream(stream);
  s.sessions.erase(it);
}

}  // namespace sbc::dpdk
