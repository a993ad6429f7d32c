// Relay benchmark driver: tools/bench/relay runs it (the comment at the top of that script
// describes the whole benchmark). Two modes, each ending with one key=value line:
//
//   sbc-bench-relay relay --layout FILE --pcap FILE [options]        -> "RELAY ..."
//     Our relay, sbc::dpdk::DpdkMediaPlane, with one worker lcore: realm "a" is net_pcap
//     replaying the pcap in memory (infinite_rx), realm "b" net_null (no RX). Creates one
//     session per layout line (relay_pcap.py writes the layout with the pcap) through the
//     MediaPlane API, runs --warmup s, then measures --duration s: packets the realm-b port
//     sent (rte_eth_stats opackets: the figure), the relay's own counters (relayed, drops
//     by reason), packets net_pcap delivered, and sessions whose stats show nothing relayed
//     in the window. The options are listed above relay() below. Local addresses of the
//     layout besides the media addresses become the interfaces' `extraAddresses` (100,000
//     sessions with RTP/RTCP port pairs need 4 per realm); the B-side peers become
//     `staticNeighbours` (net_null answers no ARP), or with --b-device pcap-arp realm b is a
//     net_pcap device that replays one ARP request per B-side peer (the relay learns their
//     MACs) and drops and counts what it sends, as net_null does.
//
//   sbc-bench-relay rtp-load --targets FILE --rate PPS [options]     -> "RTPLOAD ..."
//     The load generator of the rtpengine comparison, loopback only. A sender thread sends
//     G.711-sized RTP (12-byte header + 160 bytes, PCMA) round-robin over the calls of FILE
//     ("index ip port": where rtpengine expects each caller's RTP), paced by a token bucket
//     at --rate packets/s (a sender that falls behind offers less rather than bursting),
//     each call with its own SSRC and increasing sequence numbers and timestamps. What
//     rtpengine forwards arrives at --recv:--recv-ports (the callees of every call), counted
//     with --count kernel (default: the sockets are never read and have the smallest
//     buffer, so the kernel drops and counts every datagram, read with SO_MEMINFO: free for
//     the generator's CPU) or --count read (a thread reads them and counts per call, by SSRC,
//     to find calls that forwarded nothing; it costs the generator's core). After --warmup s
//     it measures --duration s: offered and forwarded packets/s, loss, the CPU of
//     --watch-pid (rtpengine), drops at the sockets bound to --watch-addr (rtpengine's, from
//     the start of the warm-up), and the busy share of each CPU.

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mediaplane/api/media_plane.h"

#include <rte_ethdev.h>

#include "dpdk/dpdk_media_plane.h"
#include "metrics/exporter.h"
#include "tools/bench/src/srtp_bench_keys.h"
#include "tools/sbcd/media_metrics.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "sbc-bench-relay: %s\n", what.c_str());
  std::exit(1);
}

// --- command line: --name value pairs ----------------------------------------------------

struct Args {
  std::map<std::string, std::string> kv;
  std::vector<std::string> flags;

  Args(int argc, char** argv, int first, const std::vector<std::string>& booleans) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) die("unexpected argument '" + a + "'");
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        kv[a.substr(2, eq - 2)] = a.substr(eq + 1);
      } else if (std::find(booleans.begin(), booleans.end(), a.substr(2)) != booleans.end()) {
        flags.push_back(a.substr(2));
      } else {
        if (i + 1 >= argc) die(a + " needs a value");
        kv[a.substr(2)] = argv[++i];
      }
    }
  }
  std::string str(const std::string& k, const std::string& def = {}) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  std::string need(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) die("--" + k + " is required");
    return it->second;
  }
  double num(const std::string& k, double def) const {
    auto it = kv.find(k);
    if (it == kv.end()) return def;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end)
      die("--" + k + " takes a number, not '" + it->second + "'");
    return v;
  }
  bool flag(const std::string& k) const {
    return std::find(flags.begin(), flags.end(), k) != flags.end();
  }
};

// "a..b" or "a,b,c" -> ports
std::vector<uint16_t> parsePorts(const std::string& text) {
  std::vector<uint16_t> out;
  auto dots = text.find("..");
  if (dots != std::string::npos) {
    int lo = std::stoi(text.substr(0, dots)), hi = std::stoi(text.substr(dots + 2));
    for (int p = lo; p <= hi; ++p)
      out.push_back(static_cast<uint16_t>(p));
  } else {
    std::stringstream ss(text);
    std::string p;
    while (std::getline(ss, p, ','))
      out.push_back(static_cast<uint16_t>(std::stoi(p)));
  }
  if (out.empty()) die("no ports in '" + text + "'");
  return out;
}

// --- CPU accounting from /proc -------------------------------------------------------------

// Busy and total jiffies per CPU (cpu0, cpu1, ...).
std::vector<std::pair<uint64_t, uint64_t>> cpuTimes() {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::ifstream f("/proc/stat");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || !isdigit(line[3])) continue;
    std::istringstream ss(line.substr(line.find(' ')));
    uint64_t v[10] = {};
    for (auto& x : v)
      ss >> x;
    uint64_t idle = v[3] + v[4], total = 0;
    for (int i = 0; i < 8; ++i)
      total += v[i];  // guest time is already in user
    out.emplace_back(total - idle, total);
  }
  return out;
}

// CPU time of a process, all its threads, in seconds (from /proc/PID/task/*/schedstat, in
// nanoseconds: /proc/PID/stat's clock ticks are too coarse for a 5 s window); nullopt if
// the process is gone.
std::optional<double> processCpuSeconds(long pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return std::nullopt;
  uint64_t ns = 0;
  while (dirent* e = readdir(d.get())) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/schedstat");
    uint64_t v = 0;
    if (f >> v) ns += v;
  }
  return double(ns) / 1e9;
}

// CPU time, in seconds, of this process's DPDK worker threads ("rte-worker-N" in DPDK
// 22.11, "lcore-worker-N" in later releases): the
// measured core's share of the window when other processes compete for it.
double workerCpuSeconds() {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir("/proc/self/task"), closedir);
  if (!d) return 0;
  uint64_t ns = 0;
  while (dirent* e = readdir(d.get())) {
    if (e->d_name[0] == '.') continue;
    std::string dir = std::string("/proc/self/task/") + e->d_name;
    std::ifstream c(dir + "/comm");
    std::string comm;
    if (!std::getline(c, comm) ||
        (comm.rfind("rte-worker", 0) != 0 && comm.rfind("lcore-worker", 0) != 0))
      continue;
    std::ifstream f(dir + "/schedstat");
    uint64_t v = 0;
    if (f >> v) ns += v;
  }
  return double(ns) / 1e9;
}

std::string cpuBusyText(const std::vector<std::pair<uint64_t, uint64_t>>& a,
                        const std::vector<std::pair<uint64_t, uint64_t>>& b) {
  std::string out;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double busy = double(b[i].first - a[i].first), total = double(b[i].second - a[i].second);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%scpu%zu_busy=%.2f", out.empty() ? "" : " ", i,
                  total > 0 ? busy / total : 0.0);
    out += buf;
  }
  return out;
}

// CPU the rest of the machine used in a window, in cores: everything busy minus `mine`
// (cores' worth of CPU time of the processes measured).
double othersCores(const std::vector<std::pair<uint64_t, uint64_t>>& a,
                   const std::vector<std::pair<uint64_t, uint64_t>>& b, double mine,
                   double window) {
  double busy = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    busy += double(b[i].first - a[i].first);
  busy /= double(sysconf(_SC_CLK_TCK)) * window;
  return std::max(0.0, busy - mine);
}

// ===========================================================================================
// rtp-load: the rtpengine load generator (loopback)

constexpr size_t kRtpBytes = 12 + 160;
constexpr uint32_t kSsrcBase = 0x5BC00000;

struct LoadShared {
  std::atomic<int> phase{0};  // 0 warm-up, 1 window, 2 after the window, 3 stop
  std::atomic<bool> stopSend{false};
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> sendErrors{0};
  std::atomic<uint64_t> foreign{0};   // received datagrams that are not ours
  std::atomic<int64_t> maxBehind{0};  // packets the sender was behind its schedule, at most
  std::atomic<uint64_t> dropped{0};   // packets not sent because the sender fell behind
};

int udpSocket(const std::string& ip, uint16_t port, int bufBytes, bool rcv) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
  // SO_*BUFFORCE (root) goes past net.core.[rw]mem_max; fall back to the plain option.
  int opt = rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  if (setsockopt(fd, SOL_SOCKET, opt, &bufBytes, sizeof bufBytes) != 0)
    setsockopt(fd, SOL_SOCKET, rcv ? SO_RCVBUF : SO_SNDBUF, &bufBytes, sizeof bufBytes);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) die("bad IPv4 address '" + ip + "'");
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    die("bind " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno));
  return fd;
}

void sender(LoadShared& sh, int fd, const std::vector<sockaddr_in>& dst, double rate) {
  constexpr int kBatch = 64;
  const size_t n = dst.size();
  std::vector<uint16_t> seq(n);
  std::vector<uint32_t> ts(n, 0);
  for (size_t i = 0; i < n; ++i)
    seq[i] = static_cast<uint16_t>(i * 7919);
  std::array<std::array<uint8_t, kRtpBytes>, kBatch> bufs;
  std::array<iovec, kBatch> iov;
  std::array<mmsghdr, kBatch> msgs;
  for (int k = 0; k < kBatch; ++k) {
    bufs[k].fill(0xD5);  // A-law silence
    bufs[k][0] = 0x80;   // RTP version 2
    bufs[k][1] = 8;      // PCMA
    iov[k] = {bufs[k].data(), kRtpBytes};
  }
  size_t next = 0;
  uint64_t sent = 0;
  // Token bucket: `rate` tokens a second, with a reserve of 5 ms (a VM's sleeps overshoot
  // by that much) but never more than 8 packets per target socket, so that catching up
  // cannot overflow one of rtpengine's sockets (it gives up a stream whose queue it finds
  // above 50 packets). A sender that falls behind beyond that offers less (and says so).
  const double burst =
      std::max<double>(kBatch, std::min<double>(rate / 200, 8.0 * static_cast<double>(n)));
  double tokens = 0;
  auto last = Clock::now();
  while (!sh.stopSend.load(std::memory_order_relaxed)) {
    auto now = Clock::now();
    double add = std::chrono::duration<double>(now - last).count() * rate;
    last = now;
    if (tokens + add > burst) {
      // More than the reserve is due: the sender is behind (by this many packets).
      auto behind = static_cast<int64_t>(tokens + add - burst);
      if (behind > sh.maxBehind.load(std::memory_order_relaxed))
        sh.maxBehind.store(behind, std::memory_order_relaxed);
      sh.dropped.fetch_add(static_cast<uint64_t>(behind), std::memory_order_relaxed);
      tokens = burst;
    } else {
      tokens += add;
    }
    int64_t due = static_cast<int64_t>(tokens);
    if (due <= 0) {
      // Ahead of schedule: sleep about 16 packets' worth (20 us .. 2 ms).
      double us = std::clamp(1e6 * 16 / rate, 20.0, 2000.0);
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(us)));
      continue;
    }
    int b = static_cast<int>(std::min<int64_t>(due, kBatch));
    for (int k = 0; k < b; ++k) {
      size_t i = next;
      next = next + 1 == n ? 0 : next + 1;
      uint8_t* p = bufs[k].data();
      uint16_t s = htons(seq[i]++);
      uint32_t t = htonl(ts[i]);
      ts[i] += 160;
      uint32_t ssrc = htonl(kSsrcBase + static_cast<uint32_t>(i));
      std::memcpy(p + 2, &s, 2);
      std::memcpy(p + 4, &t, 4);
      std::memcpy(p + 8, &ssrc, 4);
      msgs[k] = {};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = const_cast<sockaddr_in*>(&dst[i]);
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    int done = 0;
    while (done < b) {
      int r = sendmmsg(fd, msgs.data() + done, b - done, 0);
      if (r > 0) {
        done += r;
      } else if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
        std::this_thread::yield();
      } else {
        // ECONNREFUSED and the like (an ICMP error queued on the socket): count, skip one.
        sh.sendErrors.fetch_add(1, std::memory_order_relaxed);
        done += 1;
      }
    }
    sent += b;
    tokens -= b;
    sh.sent.store(sent, std::memory_order_relaxed);
  }
}

void receiver(LoadShared& sh, const std::vector<int>& fds, size_t calls,
              std::vector<uint32_t>& atStart, std::vector<uint32_t>& atEnd) {
  constexpr int kBatch = 64;
  std::vector<uint32_t> count(calls, 0);
  std::array<std::array<uint8_t, 2048>, kBatch> bufs;
  std::array<iovec, kBatch> iov;
  std::array<mmsghdr, kBatch> msgs;
  for (int k = 0; k < kBatch; ++k)
    iov[k] = {bufs[k].data(), bufs[k].size()};
  uint64_t received = 0;
  int seenPhase = 0;
  for (;;) {
    int ph = sh.phase.load(std::memory_order_acquire);
    if (ph != seenPhase) {
      if (ph >= 1 && seenPhase < 1) atStart = count;
      if (ph >= 2 && seenPhase < 2) atEnd = count;
      seenPhase = ph;
      if (ph == 3) break;
    }
    bool any = false;
    for (int fd : fds) {
      for (int k = 0; k < kBatch; ++k) {
        msgs[k] = {};
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      int r = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (r <= 0) continue;
      any = true;
      for (int k = 0; k < r; ++k) {
        uint32_t ssrc;
        if (msgs[k].msg_len < 12) {
          sh.foreign.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        std::memcpy(&ssrc, bufs[k].data() + 8, 4);
        uint32_t i = ntohl(ssrc) - kSsrcBase;
        if (i < calls) {
          ++count[i];
          ++received;
        } else {
          sh.foreign.fetch_add(1, std::memory_order_relaxed);
        }
      }
      sh.received.store(received, std::memory_order_relaxed);
    }
    if (!any) std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

// Datagrams the kernel dropped at full receive queues, summed over the UDP sockets bound
// to `ip` (the `drops` column of /proc/net/udp).
uint64_t udpDrops(const std::string& ip) {
  in_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) != 1) die("bad IPv4 address '" + ip + "'");
  char want[16];
  std::snprintf(want, sizeof want, "%08X", addr.s_addr);  // as the kernel prints it
  uint64_t total = 0;
  std::ifstream f("/proc/net/udp");
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string field, local;
    uint64_t drops = 0;
    if (!(ss >> field >> local)) continue;
    if (local.compare(0, 8, want) != 0) continue;
    for (int i = 0; i < 10; ++i)  // remote address .. pointer
      ss >> field;
    if (ss >> drops) total += drops;
  }
  return total;
}

int rtpLoad(const Args& a) {
  // Load the targets: "index ip port" per line.
  std::vector<sockaddr_in> dst;
  {
    std::ifstream f(a.need("targets"));
    if (!f) die("cannot read " + a.need("targets"));
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);
      long idx;
      std::string ip;
      int port;
      if (!(ss >> idx >> ip >> port)) die("bad targets line '" + line + "'");
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(port));
      if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) die("bad address in '" + line + "'");
      dst.push_back(sa);
    }
  }
  if (dst.empty()) die("no targets");
  for (const auto& d : dst) {
    if ((ntohl(d.sin_addr.s_addr) >> 24) != 127) die("rtp-load sends to loopback only");
  }
  const double rate = a.num("rate", 0);
  const double warmup = a.num("warmup", 2), duration = a.num("duration", 5);
  if (rate <= 0 || duration <= 0 || warmup < 0) die("need --rate > 0, --duration > 0");
  if (warmup + duration > 600) die("--warmup + --duration must stay under 600 s");
  const long watch = static_cast<long>(a.num("watch-pid", 0));
  const std::string watchAddr = a.str("watch-addr");
  const std::string count = a.str("count", "kernel");
  if (count != "kernel" && count != "read") die("--count takes kernel or read");
  const bool kernelCount = count == "kernel";
  const std::string recvIp = a.str("recv", "127.0.0.3");
  const auto recvPorts = parsePorts(a.str("recv-ports", "40000..40007"));
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int sfd = udpSocket(a.str("src", "127.0.0.2"), static_cast<uint16_t>(a.num("src-port", 20000)),
                      4 << 20, false);
  // kernel: the receiving sockets are never read and have the smallest receive buffer, so
  // the kernel drops (and counts, per socket) nearly every datagram on arrival: the count
  // costs the generator's CPU nothing. read: a thread reads them (recvmmsg) and counts per
  // call, which finds calls that stopped forwarding, but costs a share of the generator's
  // core (on 2 vCPUs it then tops out below rtpengine).
  std::vector<int> rfds;
  for (uint16_t p : recvPorts)
    rfds.push_back(
        udpSocket(recvIp, p, kernelCount ? 1 : static_cast<int>(a.num("rcvbuf", 16 << 20)), true));

  LoadShared sh;
  std::vector<uint32_t> atStart, atEnd;
  std::thread rx;
  if (!kernelCount)
    rx = std::thread(receiver, std::ref(sh), std::cref(rfds), dst.size(), std::ref(atStart),
                     std::ref(atEnd));
  std::thread tx(sender, std::ref(sh), sfd, std::cref(dst), rate);
  // kernel: datagrams dropped at each receiving socket, plus those still queued (at most a
  // couple: a datagram takes about 1 KB of the buffer), read with SO_MEMINFO, which is
  // instant (unlike /proc/net/udp with rtpengine's 20,000 sockets in it).
  auto received = [&]() -> uint64_t {
    if (!kernelCount) return sh.received.load();
    uint64_t n = 0;
    for (int fd : rfds) {
      uint32_t mem[SK_MEMINFO_VARS] = {};
      socklen_t len = sizeof mem;
      if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0) die("SO_MEMINFO failed");
      n += mem[SK_MEMINFO_DROPS] + mem[SK_MEMINFO_RMEM_ALLOC] / 1024;
    }
    return n;
  };
  auto watchDrops = [&] {
    uint64_t d = 0;
    std::stringstream ss(watchAddr);
    std::string ip;
    while (std::getline(ss, ip, ','))
      d += udpDrops(ip);
    return d;
  };

  // /proc/net/udp (rtpengine's socket drops) is slow to read: before the window starts.
  uint64_t wd0 = watchDrops();
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  auto c0 = cpuTimes();
  auto w0 = watch ? processCpuSeconds(watch) : std::nullopt;
  auto me0 = processCpuSeconds(getpid());
  int64_t behindWarm = sh.maxBehind.exchange(0);
  uint64_t unsent0 = sh.dropped.load();
  uint64_t s0 = sh.sent.load(), r0 = received();
  auto t0 = Clock::now();
  sh.phase.store(1, std::memory_order_release);

  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  sh.stopSend.store(true);
  double window = secondsSince(t0);
  uint64_t s1 = sh.sent.load();
  uint64_t unsent = sh.dropped.load() - unsent0;
  auto c1 = cpuTimes();
  auto w1 = watch ? processCpuSeconds(watch) : std::nullopt;
  auto me1 = processCpuSeconds(getpid());
  tx.join();
  // What was sent in the window may still be in flight: give it 300 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sh.phase.store(2, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  uint64_t r1 = received();
  uint64_t wd1 = watchDrops();
  sh.phase.store(3, std::memory_order_release);
  if (rx.joinable()) rx.join();
  close(sfd);
  for (int fd : rfds)
    close(fd);

  uint64_t sent = s1 - s0, recv = r1 - r0;
  std::string perCall = "dead_calls=n/a";
  if (atStart.size() == dst.size() && atEnd.size() == dst.size()) {
    size_t dead = 0;
    uint32_t minPer = UINT32_MAX, maxPer = 0;
    for (size_t i = 0; i < dst.size(); ++i) {
      uint32_t d = atEnd[i] - atStart[i];
      if (d == 0) ++dead;
      minPer = std::min(minPer, d);
      maxPer = std::max(maxPer, d);
    }
    perCall = "dead_calls=" + std::to_string(dead) + " min_per_call=" + std::to_string(minPer) +
              " max_per_call=" + std::to_string(maxPer);
  }
  double loss = sent ? 100.0 * (double(sent) - double(recv)) / double(sent) : 100.0;
  double watchCpu = -1;
  if (w0 && w1) watchCpu = (*w1 - *w0) / window;
  double selfCpu = me0 && me1 ? (*me1 - *me0) / window : 0;
  double others = othersCores(c0, c1, selfCpu + std::max(0.0, watchCpu), window);
  std::printf(
      "RTPLOAD calls=%zu count=%s target_pps=%.0f offered_pps=%.0f forwarded_pps=%.0f "
      "loss_pct=%.3f window_s=%.2f sent=%" PRIu64 " forwarded=%" PRIu64
      " %s watch_sock_drops=%" PRIu64 " behind_max=%" PRId64 " behind_warmup=%" PRId64
      " unsent=%" PRIu64 " send_errors=%" PRIu64 " foreign=%" PRIu64
      " watch_cpu=%.3f self_cpu=%.3f other_cpu=%.3f %s\n",
      dst.size(), count.c_str(), rate, double(sent) / window, double(recv) / window, loss, window,
      sent, recv, perCall.c_str(), wd1 - wd0, sh.maxBehind.load(), behindWarm, unsent,
      sh.sendErrors.load(), sh.foreign.load(), watchCpu, selfCpu, others,
      cpuBusyText(c0, c1).c_str());
  return 0;
}

// ===========================================================================================
// relay: our DPDK relay

namespace mp = sbc::mediaplane;
using sbc::dpdk::DpdkMediaPlane;
using sbc::dpdk::RelayConfig;

struct Layout {
  mp::SocketAddress aLocal, aRemote, bLocal, bRemote;
};

mp::SocketAddress parseEndpoint(const std::string& text) {
  auto colon = text.rfind(':');
  auto ip = colon == std::string::npos ? std::nullopt : mp::IpAddress::parse(text.substr(0, colon));
  if (!ip) die("bad endpoint '" + text + "' in the layout");
  return {*ip, static_cast<uint16_t>(std::stoi(text.substr(colon + 1)))};
}

std::vector<Layout> readLayout(const std::string& path, size_t limit) {
  std::ifstream f(path);
  if (!f) die("cannot read " + path);
  std::vector<Layout> out;
  std::string line;
  while (out.size() < limit && std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string id, al, ar, bl, br;
    if (!(ss >> id >> al >> ar >> bl >> br)) die("bad layout line '" + line + "'");
    out.push_back({parseEndpoint(al), parseEndpoint(ar), parseEndpoint(bl), parseEndpoint(br)});
  }
  return out;
}

// Frames in a pcap file (net_pcap holds each in an mbuf of the RX queue's pool).
size_t pcapFrames(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) die("cannot read " + path);
  f.seekg(24);
  size_t n = 0;
  uint32_t rec[4];
  while (f.read(reinterpret_cast<char*>(rec), sizeof rec)) {
    ++n;
    f.seekg(rec[2], std::ios::cur);
  }
  return n;
}

std::optional<std::array<uint8_t, 6>> parseMac(const std::string& text) {
  unsigned m[6];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
                  &tail) != 6)
    return std::nullopt;
  std::array<uint8_t, 6> out;
  for (int i = 0; i < 6; ++i)
    out[i] = static_cast<uint8_t>(m[i]);
  return out;
}

// A pcap of ARP requests from each B-side peer for the relay's B address: replayed once
// by a net_pcap realm-b device, it makes the relay learn the peers' MACs through ARP, as
// --b-device pcap-arp asks (the default, null, gives them as static neighbours instead).
// The device's TX drops and counts.
void writeArpPcap(const std::string& path, const std::vector<mp::IpAddress>& peers,
                  const std::array<uint8_t, 6>& peerMac, const mp::IpAddress& target) {
  std::ofstream f(path, std::ios::binary);
  if (!f) die("cannot write " + path);
  auto put = [&f](const void* p, size_t n) { f.write(static_cast<const char*>(p), n); };
  uint32_t gh[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 65535, 1};
  put(gh, sizeof gh);
  uint32_t t = 0;
  for (const auto& peer : peers) {
    uint8_t fr[42] = {};
    std::memset(fr, 0xff, 6);  // broadcast
    std::memcpy(fr + 6, peerMac.data(), 6);
    fr[12] = 0x08, fr[13] = 0x06;                       // ARP
    fr[14] = 0, fr[15] = 1, fr[16] = 0x08, fr[17] = 0;  // Ethernet, IPv4
    fr[18] = 6, fr[19] = 4, fr[20] = 0, fr[21] = 1;     // sizes, request
    std::memcpy(fr + 22, peerMac.data(), 6);            // sender MAC
    std::memcpy(fr + 28, peer.bytes.data(), 4);         // sender IP
    std::memcpy(fr + 38, target.bytes.data(), 4);       // target IP (target MAC zero)
    uint32_t rh[4] = {t++, 0, sizeof fr, sizeof fr};
    put(rh, sizeof rh);
    put(fr, sizeof fr);
  }
}

struct Totals {
  uint64_t relayed = 0, rx = 0;
  uint64_t drops[sbc::dpdk::kDropReasons] = {};
};

Totals totals(const DpdkMediaPlane& plane) {
  auto c = plane.counters();
  Totals t;
  t.relayed = c.relayed;
  t.rx = c.rxPackets;
  for (size_t r = 0; r < sbc::dpdk::kDropReasons; ++r)
    t.drops[r] = c.drops[r];
  return t;
}

// fromA packets per session (sessions 1..n), and how many stats() did not know.
std::vector<uint64_t> perSession(const DpdkMediaPlane& plane, size_t n, size_t& unknown) {
  std::vector<uint64_t> out(n, 0);
  unknown = 0;
  for (size_t i = 0; i < n; ++i) {
    auto s = plane.stats(i + 1);
    if (!s) {
      ++unknown;
      continue;
    }
    for (const auto& st : s->streams)
      out[i] += st.fromA.packets;
  }
  return out;
}

// Sleep for `seconds`, draining MediaPlane events (latching) every 100 ms.
void runFor(DpdkMediaPlane& plane, double seconds, std::map<std::string, uint64_t>& events) {
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (const auto& e : plane.pollEvents())
      ++events[e.kind == mp::MediaEvent::Kind::kLatched ? "latched" : "timeout"];
    auto left = std::chrono::duration<double>(end - Clock::now()).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::clamp(left, 0.0, 0.1)));
  }
}

// One GET /metrics on loopback, as Prometheus does it; the bytes received (0: failed).
size_t scrapeOnce(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  size_t got = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    const char request[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request, sizeof request - 1) == ssize_t(sizeof request - 1)) {
      char buf[16384];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
        got += size_t(n);
    }
  }
  close(fd);
  return got;
}

// The scrape cost: the relay's rate in windows with a 1-second scrape of a real metrics
// endpoint (sbcd's media families, through prometheus-cpp's HTTP server on the control
// CPU) against windows without, in pairs whose order alternates so that drift cancels.
// The median of the pairs' ratios is the figure: a VM's neighbours move single windows by
// more than the effect being measured.
void scrapeCost(DpdkMediaPlane& plane, uint16_t bPort, int pairs, double window,
                std::map<std::string, uint64_t>& events) {
  std::string error;
  auto exporter = sbc::metrics::Exporter::start(
      {"127.0.0.1", 0, "", "", "bench"},
      [&plane](const std::atomic<bool>&) -> std::optional<sbc::metrics::Snapshot> {
        sbc::metrics::Snapshot s;
        sbc::sbcd::sampleMedia(plane, s);
        return s;
      },
      error);
  if (!exporter) die("metrics endpoint: " + error);
  std::atomic<bool> scraping{false}, done{false};
  std::atomic<uint64_t> scrapes{0}, bytes{0}, failed{0};
  std::atomic<int64_t> scrapeUs{0};
  const uint16_t port = exporter->port();
  std::thread scraper([&] {
    auto next = Clock::now();
    while (!done.load()) {
      if (!scraping.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        next = Clock::now();
        continue;
      }
      if (Clock::now() >= next) {
        auto t = Clock::now();
        size_t n = scrapeOnce(port);
        scrapeUs += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
        n ? (++scrapes, bytes += n) : ++failed;
        next += std::chrono::seconds(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto measure = [&](bool on) {
    scraping = on;
    rte_eth_stats b0{}, b1{};
    rte_eth_stats_get(bPort, &b0);
    auto t0 = Clock::now();
    runFor(plane, window, events);
    rte_eth_stats_get(bPort, &b1);
    scraping = false;
    return double(b1.opackets - b0.opackets) / secondsSince(t0) / 1e6;
  };
  std::vector<double> ratios, offs, ons;
  for (int i = 0; i < pairs; ++i) {
    double off, on;
    if (i % 2 == 0) {
      off = measure(false);
      on = measure(true);
    } else {
      on = measure(true);
      off = measure(false);
    }
    offs.push_back(off);
    ons.push_back(on);
    ratios.push_back(on / off);
    std::printf("relay: scrape pair %d: without %.3f Mpps, with a 1 s scrape %.3f Mpps (%+.2f%%)\n",
                i + 1, off, on, (on / off - 1) * 100);
    std::fflush(stdout);
  }
  done = true;
  scraper.join();
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  // How sure: the mean of the pairs' ratios with a 95 % interval (normal approximation),
  // next to the median that is the figure.
  double mean = 0, var = 0;
  for (double r : ratios)
    mean += r / double(ratios.size());
  for (double r : ratios)
    var += (r - mean) * (r - mean) / double(std::max<size_t>(1, ratios.size() - 1));
  double half = 1.96 * std::sqrt(var / double(ratios.size()));
  uint64_t n = scrapes.load();
  std::printf(
      "SCRAPE pairs=%d window_s=%.1f mpps_without=%.3f mpps_with=%.3f ratio=%.4f "
      "cost_pct=%.2f mean_cost_pct=%.2f ci95_pct=%.2f scrapes=%" PRIu64 " failed_scrapes=%" PRIu64
      " scrape_bytes=%" PRIu64 " scrape_ms=%.2f\n",
      pairs, window, median(offs), median(ons), median(ratios), (1 - median(ratios)) * 100,
      (1 - mean) * 100, half * 100, n, failed.load(), n ? bytes.load() / n : 0,
      n ? double(scrapeUs.load()) / double(n) / 1000 : 0);
  std::fflush(stdout);
}

// Options (defaults in brackets):
//   --layout FILE --pcap FILE   from relay_pcap.py (the same run's files)
//   --sessions N                the first N sessions of the layout [all]
//   --warmup S [2]  --duration S [10]
//   --main-lcore [0] --worker-lcore [1]   (EAL -l main,worker; the worker relays)
//   --mem MB [2048]  --file-prefix NAME [sbc-bench-relay-PID]  --log-level [*:notice]
//   --a-address [10.1.0.1] --b-address [10.2.0.1] --prefix [16]
//   --a-mac [02:00:00:00:01:01] (the pcap's destination MAC) --b-mac [02:00:00:00:02:01]
//   --b-peer-mac [02:00:00:00:02:fe]  the B-side peers' MAC (static neighbour / ARP)
//   --b-device auto|null|pcap-arp [auto = null]: realm b is net_null (no RX) with the B-side
//       peers as static neighbours, or (pcap-arp) a net_pcap device that replays one ARP
//       request per B-side peer and drops (and counts) what it transmits, like net_null
//   --strict  every session kStrict (source checked against the signaled one)
//   --scrape-pairs N [0]  --scrape-window S [2]: after the measurement, N pairs of windows
//       without and with a 1-second scrape of a metrics endpoint (see scrapeCost)
//   --srtp-a SUITE / --srtp-b SUITE  that side of every session speaks SRTP with the
//       benchmark's keys (srtp_bench_keys.h): -a, the relay unprotects what the caller sends
//       (the pcap must be sbc-bench-srtp pcap --srtp); -b, it protects what it relays
//   --one-pass  net_pcap reads the file once (no infinite_rx): for SRTP the relay must
//       unprotect, which it accepts only once per packet; the RELAY line says how many
//       frames were left after the window (pcap_left; 0 = the file ran out: no figure)
//   --warmup-max S [--warmup]  with SRTP the relay creates each stream's contexts when its
//       first packet comes, and drops (srtp_error) or parks packets until then: the warm-up
//       goes on past --warmup, up to S, until no SRTP drop was counted for 0.5 s
int relay(const Args& a) {
  const auto sessions = static_cast<size_t>(a.num("sessions", 0));
  auto layout = readLayout(a.need("layout"), sessions ? sessions : SIZE_MAX);
  if (layout.empty()) die("empty layout");
  if (sessions && layout.size() != sessions) die("the layout has fewer sessions than --sessions");
  const double warmup = a.num("warmup", 2), duration = a.num("duration", 10);
  if (duration <= 0 || warmup < 0 || warmup + duration > 600) die("bad --warmup/--duration");
  const std::string pcap = a.need("pcap");
  const size_t frames = pcapFrames(pcap);
  const bool onePass = a.flag("one-pass");
  std::optional<mp::SrtpSuite> srtpA, srtpB;
  if (auto n = a.str("srtp-a"); !n.empty() && !(srtpA = mp::srtpSuiteFromName(n)))
    die("unknown SRTP suite '" + n + "'");
  if (auto n = a.str("srtp-b"); !n.empty() && !(srtpB = mp::srtpSuiteFromName(n)))
    die("unknown SRTP suite '" + n + "'");
  const double warmupMax = std::max(warmup, a.num("warmup-max", warmup));

  RelayConfig cfg;
  const auto mainLcore = static_cast<unsigned>(a.num("main-lcore", 0));
  const auto worker = static_cast<unsigned>(a.num("worker-lcore", 1));
  const std::string prefix = a.str("file-prefix", "sbc-bench-relay-" + std::to_string(getpid()));
  cfg.eal = {"-l",
             std::to_string(mainLcore) + "," + std::to_string(worker),
             "--main-lcore",
             std::to_string(mainLcore),
             "--no-huge",
             "-m",
             a.str("mem", "2048"),
             "--no-pci",
             "--file-prefix",
             prefix,
             "--log-level",
             a.str("log-level", "*:notice")};
  cfg.lcores = {worker};
  cfg.mediaTimeout = std::chrono::seconds(0);  // realm b never sends: no timeout events
  cfg.maxSessions = static_cast<uint32_t>(std::max<size_t>(131072, layout.size()));
  cfg.strictSource = a.flag("strict");
  // net_pcap (infinite_rx) keeps every frame of the file in an mbuf of the RX queue's pool,
  // and wants them all at queue set-up: the worker's pool holds them plus the usual.
  uint32_t pool = 8191;
  while (!onePass && pool < frames + 16384)
    pool = pool * 2 + 1;
  cfg.mbufsPerLcore = pool;

  RelayConfig::Interface ia, ib;
  ia.realm = "a";
  ia.device = "net_pcap0,rx_pcap=" + pcap + (onePass ? "" : ",infinite_rx=1");
  ib.realm = "b";
  auto aAddr = mp::IpAddress::parse(a.str("a-address", "10.1.0.1"));
  auto bAddr = mp::IpAddress::parse(a.str("b-address", "10.2.0.1"));
  auto aMac = parseMac(a.str("a-mac", "02:00:00:00:01:01"));
  auto bMac = parseMac(a.str("b-mac", "02:00:00:00:02:01"));
  auto peerMac = parseMac(a.str("b-peer-mac", "02:00:00:00:02:fe"));
  if (!aAddr || !bAddr || !aMac || !bMac || !peerMac) die("bad address or MAC option");
  ia.address = *aAddr;
  ib.address = *bAddr;
  ia.prefixLength = ib.prefixLength = static_cast<uint8_t>(a.num("prefix", 16));
  ia.mac = *aMac;
  ib.mac = *bMac;

  // Local addresses the layout uses besides the media addresses, and the B-side peers.
  std::vector<mp::IpAddress> aExtra, bExtra, bPeers;
  auto note = [](std::vector<mp::IpAddress>& v, const mp::IpAddress& ip) {
    if (std::find(v.begin(), v.end(), ip) == v.end()) v.push_back(ip);
  };
  for (const auto& l : layout) {
    if (l.aLocal.ip != ia.address) note(aExtra, l.aLocal.ip);
    if (l.bLocal.ip != ib.address) note(bExtra, l.bLocal.ip);
    note(bPeers, l.bRemote.ip);
  }
  ia.extraAddresses.insert(ia.extraAddresses.end(), aExtra.begin(), aExtra.end());
  ib.extraAddresses.insert(ib.extraAddresses.end(), bExtra.begin(), bExtra.end());

  std::string bMode = a.str("b-device", "auto");
  if (bMode == "auto") bMode = "null";
  std::string tmpArp;
  if (bMode == "null") {
    ib.device = "net_null0,no-rx=1";
    for (const auto& ip : bPeers) {
      auto& n = ib.staticNeighbours.emplace_back();
      n.ip = ip;
      n.mac = *peerMac;
    }
  } else if (bMode == "pcap-arp") {
    tmpArp = a.str("arp-pcap", pcap + ".arp.pcap");
    writeArpPcap(tmpArp, bPeers, *peerMac, ib.address);
    ib.device = "net_pcap1,rx_pcap=" + tmpArp;
  } else {
    die("--b-device takes auto, null or pcap-arp");
  }
  cfg.interfaces = {ia, ib};
  if (auto problem = sbc::dpdk::validateConfig(cfg); !problem.empty())
    die("RelayConfig: " + problem);

  std::printf("relay: %zu sessions, %zu pcap frames (pool %u mbufs); EAL:", layout.size(), frames,
              cfg.mbufsPerLcore);
  for (const auto& e : cfg.eal)
    std::printf(" %s", e.c_str());
  std::printf("\nrelay: realm a = %s, %s/%u (+%zu), realm b = %s, %s/%u (+%zu), worker lcore %u\n",
              ia.device.c_str(), ia.address.toString().c_str(), ia.prefixLength, aExtra.size(),
              ib.device.c_str(), ib.address.toString().c_str(), ib.prefixLength, bExtra.size(),
              worker);
  std::fflush(stdout);

  auto tStart = Clock::now();
  std::string err;
  auto plane = DpdkMediaPlane::start(cfg, err);
  if (!tmpArp.empty()) std::remove(tmpArp.c_str());
  if (!plane) die("the relay did not start: " + err);
  double startS = secondsSince(tStart);
  for (const auto& w : plane->warnings())
    std::printf("relay: warning: %s\n", w.c_str());
  std::optional<uint16_t> aPort, bPort;
  for (const auto& i : plane->interfaces())
    (i.realm == "a" ? aPort : bPort) = i.port;
  if (!aPort || !bPort) die("the relay started without both interfaces");

  // Sessions: one stream each, a_local <-> b_local, as the layout says.
  auto tCreate = Clock::now();
  size_t failed = 0;
  std::string firstError;
  for (size_t i = 0; i < layout.size(); ++i) {
    const auto& l = layout[i];
    mp::SessionSpec spec;
    spec.id = i + 1;
    spec.sources = cfg.strictSource ? mp::SourcePolicy::kStrict : mp::SourcePolicy::kLatch;
    mp::StreamPair sp;
    sp.a.realm = "a";
    sp.a.local = l.aLocal;
    sp.a.remote = l.aRemote;
    sp.a.remoteRtcpPort = static_cast<uint16_t>(l.aRemote.port + 1);
    sp.b.realm = "b";
    sp.b.local = l.bLocal;
    sp.b.remote = l.bRemote;
    sp.b.remoteRtcpPort = static_cast<uint16_t>(l.bRemote.port + 1);
    if (srtpA)
      sp.a.srtp = mp::SrtpKeys{*srtpA, sbc::bench::benchSrtpKey(*srtpA, i, 'A'),
                               sbc::bench::benchSrtpKey(*srtpA, i, 'a')};
    if (srtpB)
      sp.b.srtp = mp::SrtpKeys{*srtpB, sbc::bench::benchSrtpKey(*srtpB, i, 'B'),
                               sbc::bench::benchSrtpKey(*srtpB, i, 'b')};
    spec.streams.push_back(sp);
    auto e = plane->createSession(spec);
    if (!e.empty() && failed++ == 0) firstError = "session " + std::to_string(i + 1) + ": " + e;
  }
  double createS = secondsSince(tCreate);
  std::printf("relay: started in %.2f s; %zu sessions created in %.2f s (%zu failed)\n", startS,
              layout.size() - failed, createS, failed);
  if (failed) {
    std::printf("relay: first failure: %s\n", firstError.c_str());
    std::printf("RELAY sessions=%zu unsupported=create_failed failed_sessions=%zu\n", layout.size(),
                failed);
    return 3;
  }
  std::fflush(stdout);

  std::map<std::string, uint64_t> events;
  auto tWarm = Clock::now();
  runFor(*plane, warmup, events);
  // SRTP: on until the contexts are all there (no SRTP drop for 0.5 s), within --warmup-max.
  auto srtpDrops = [&] {
    auto t = totals(*plane);
    uint64_t d = 0;
    for (auto r :
         {mp::DropReason::kSrtpAuth, mp::DropReason::kSrtpReplay, mp::DropReason::kSrtpError})
      d += t.drops[static_cast<size_t>(r)];
    return d;
  };
  if (srtpA || srtpB) {
    for (uint64_t last = srtpDrops(); secondsSince(tWarm) + 0.5 <= warmupMax;) {
      runFor(*plane, 0.5, events);
      uint64_t now = srtpDrops();
      if (now == last) break;
      last = now;
    }
  }
  const double warmedS = secondsSince(tWarm);

  auto cpu0 = cpuTimes();
  auto me0 = processCpuSeconds(getpid());
  const double wk0 = workerCpuSeconds();
  rte_eth_stats b0{}, a0{};
  rte_eth_stats_get(*bPort, &b0);
  rte_eth_stats_get(*aPort, &a0);
  auto api0 = totals(*plane);
  auto t0 = Clock::now();
  size_t unknown = 0;
  auto per0 = perSession(*plane, layout.size(), unknown);
  double perSessionReadS = secondsSince(t0);

  runFor(*plane, duration, events);

  rte_eth_stats b1{}, a1{};
  rte_eth_stats_get(*bPort, &b1);
  rte_eth_stats_get(*aPort, &a1);
  auto api1 = totals(*plane);
  double window = secondsSince(t0);
  auto cpu1 = cpuTimes();
  auto me1 = processCpuSeconds(getpid());
  const double workerCpu = (workerCpuSeconds() - wk0) / window;
  double selfCpu = me0 && me1 ? (*me1 - *me0) / window : 0;
  auto per1 = perSession(*plane, layout.size(), unknown);

  size_t idle = 0;
  for (size_t i = 0; i < layout.size(); ++i)
    idle += per1[i] == per0[i];
  // The port's own count of what it sent, minus ARP (the ARP requests and replies the relay
  // sends are a handful): relayed packets per second.
  double mpps = double(b1.opackets - b0.opackets) / window / 1e6;
  double apiMpps = double(api1.relayed - api0.relayed) / window / 1e6;
  double rxMpps = double(a1.ipackets - a0.ipackets) / window / 1e6;
  std::string drops;
  for (size_t r = 0; r < sbc::dpdk::kDropReasons; ++r) {
    drops += " drop_" + std::string(mp::dropReasonName(static_cast<mp::DropReason>(r))) + "=" +
             std::to_string(api1.drops[r] - api0.drops[r]);
  }
  std::printf("relay: window %.2f s: realm b port sent %" PRIu64
              " packets (%.3f Mpps); relay counters: relayed %" PRIu64
              " (%.3f Mpps), received %" PRIu64 "; net_pcap delivered %" PRIu64
              " (%.3f Mpps); %zu of %zu sessions relayed nothing "
              "(per-session stats read in %.3f s, %zu unknown)\n",
              window, b1.opackets - b0.opackets, mpps, api1.relayed - api0.relayed, apiMpps,
              api1.rx - api0.rx, a1.ipackets - a0.ipackets, rxMpps, idle, layout.size(),
              perSessionReadS, unknown);
  std::printf(
      "RELAY sessions=%zu mpps=%.3f api_mpps=%.3f rx_mpps=%.3f window_s=%.2f "
      "idle_sessions=%zu create_s=%.2f start_s=%.2f warmup_s=%.2f srtp_a=%s srtp_b=%s "
      "pcap_frames=%zu pcap_left=%s b_device=%s latched=%" PRIu64 " timeouts=%" PRIu64
      "%s self_cpu=%.3f worker_cpu=%.3f other_cpu=%.3f %s\n",
      layout.size(), mpps, apiMpps, rxMpps, window, idle, createS, startS, warmedS,
      srtpA ? std::string(mp::srtpSuiteName(*srtpA)).c_str() : "none",
      srtpB ? std::string(mp::srtpSuiteName(*srtpB)).c_str() : "none", frames,
      onePass ? std::to_string(frames > a1.ipackets ? frames - a1.ipackets : 0).c_str() : "loop",
      bMode.c_str(), events["latched"], events["timeout"], drops.c_str(), selfCpu, workerCpu,
      othersCores(cpu0, cpu1, selfCpu, window), cpuBusyText(cpu0, cpu1).c_str());
  std::fflush(stdout);

  if (int pairs = int(a.num("scrape-pairs", 0)); pairs > 0)
    scrapeCost(*plane, *bPort, pairs, a.num("scrape-window", 2), events);

  auto tStop = Clock::now();
  plane->stop();
  plane.reset();
  std::printf("relay: stopped in %.2f s\n", secondsSince(tStop));
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: sbc-bench-relay relay --layout FILE --pcap FILE [--sessions N] "
               "[--warmup S] [--duration S] [...]\n"
               "       sbc-bench-relay rtp-load --targets FILE --rate PPS [--warmup S] "
               "[--duration S] [--watch-pid PID] [...]\n"
               "(the options are described in tools/bench/src/relay_bench.cc)\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "rtp-load") return rtpLoad(Args(argc, argv, 2, {}));
  if (mode == "relay") return relay(Args(argc, argv, 2, {"strict", "one-pass"}));
  usage();
  return 2;
}
