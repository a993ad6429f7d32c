// sbcd: the SBC daemon. Loads the configuration, binds every realm's listeners and runs
// the signaling stack (transport -> transactions -> B2BUA) on one thread until SIGTERM or
// SIGINT, then ends the calls it holds and exits 0.
//
//   sbcd --config FILE [--log-level LEVEL]
//   sbcd --check-config FILE
//   sbcd --version

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "dpdk/dpdk_media_plane.h"
#include "metrics/exporter.h"
#include "sbc/version.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/timer/asio_timer_driver.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "signaling/transport/asio_transport.h"
#include "tools/sbcd/b2bua_settings.h"
#include "tools/sbcd/metrics_source.h"
#include "tools/sbcd/overload.h"
#include "tools/sbcd/relay_config.h"
#include "tools/sbcd/runtime.h"

namespace {

constexpr const char* kUsage =
    "usage: sbcd --config FILE [--log-level trace|debug|info|warn|error]\n"
    "       sbcd --check-config FILE\n"
    "       sbcd --version\n"
    "Runs the SBC in the foreground, logging to stderr; SIGTERM or SIGINT stops it.\n";

constexpr std::string_view kVersion = SBC_VERSION;  // project(sbc VERSION ...) in CMake

// Every error of the configuration, each on its own line, for the operator.
bool loadOrExplain(const std::string& path, sbc::config::Config& out) {
  sbc::config::LoadResult r = sbc::config::loadConfigFile(path);
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %zu error(s)\n", path.c_str(), r.errors.size());
    for (const auto& e : r.errors)
      std::fprintf(stderr, "%s: %s\n", path.c_str(), e.toString().c_str());
    return false;
  }
  out = std::move(*r.config);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string configPath;
  std::string checkPath;
  std::string level;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--config" || a == "-c") {
      const char* v = value();
      if (!v) return std::fprintf(stderr, "sbcd: --config needs a file\n%s", kUsage), 2;
      configPath = v;
    } else if (a == "--check-config") {
      const char* v = value();
      if (!v) return std::fprintf(stderr, "sbcd: --check-config needs a file\n%s", kUsage), 2;
      checkPath = v;
    } else if (a == "--log-level") {
      const char* v = value();
      if (!v) return std::fprintf(stderr, "sbcd: --log-level needs a level\n%s", kUsage), 2;
      level = v;
    } else if (a == "--version") {
      std::printf("sbcd %s\n", kVersion.data());
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "sbcd: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }

  sbc::config::Config config;
  if (!checkPath.empty()) {
    if (!loadOrExplain(checkPath, config)) return 1;
    std::printf("%s: ok (%zu realms, %zu routes)\n", checkPath.c_str(), config.realms.size(),
                config.routes.size());
    return 0;
  }
  if (configPath.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!loadOrExplain(configPath, config)) return 1;

  auto logger = spdlog::stderr_logger_st("sbcd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_default_logger(logger);
  std::string levelName = level.empty() ? config.log.level : level;
  spdlog::level::level_enum lvl = spdlog::level::from_str(levelName);
  if (lvl == spdlog::level::off && levelName != "off") {
    std::fprintf(stderr, "sbcd: unknown log level '%s'\n", levelName.c_str());
    return 2;
  }
  spdlog::set_level(lvl);

  // The media relay first: the EAL must come up before the process starts other threads,
  // and this thread stays the control thread (signaling) while workers relay packets.
  std::unique_ptr<sbc::dpdk::DpdkMediaPlane> media;
  if (config.mediaPlane.enabled) {
    sbc::dpdk::RelayConfig relay;
    std::string error = sbc::sbcd::relayConfigFrom(config, relay);
    if (error.empty()) media = sbc::dpdk::DpdkMediaPlane::start(relay, error);
    if (!media) {
      spdlog::error("event=media_plane_failed error=\"{}\"", error);
      return 1;
    }
    for (const std::string& w : media->warnings())
      spdlog::warn("event=media_plane_warning note=\"{}\"", w);
    for (const auto& i : media->interfaces()) {
      spdlog::info("event=media_interface realm={} device=\"{}\" port={} link={} speed_mbps={}",
                   i.realm, i.device, i.port, i.linkUp ? "up" : "down", i.linkSpeedMbps);
    }
  }

  boost::asio::io_context io;
  sbc::timer::TimerWheel wheel;
  sbc::timer::AsioTimerDriver driver(io, wheel);

  // Every TCP connection the caps allow must fit in the descriptor limit.
  uint64_t fdNeeded = sbc::sbcd::descriptorsNeeded(config.realms), fdLimit = 0;
  if (std::string w = sbc::sbcd::fitDescriptorLimit(fdNeeded, &fdLimit); !w.empty())
    spdlog::warn("event=descriptor_limit_too_low needed={} limit={} note=\"{}\"", fdNeeded, fdLimit,
                 w);

  sbc::sip::Limits limits;
  sbc::transport::AsioTransport transport(io, wheel, limits);
  for (const sbc::topology::Realm& realm : config.realms) {
    for (const sbc::topology::Listen& l : realm.listen) {
      std::string error;
      std::optional<sbc::transport::ListenerId> id;
      if (l.transport == sbc::topology::Transport::kTcp) {
        sbc::transport::TcpLimits tcp;
        tcp.maxConnections = realm.limits.tcpMaxConnections;
        tcp.maxConnectionsPerSource = realm.limits.tcpMaxConnectionsPerSource;
        tcp.maxOutbound = realm.limits.tcpMaxOutboundConnections;
        tcp.maxQueuedBytes = realm.limits.tcpMaxQueuedBytes;
        tcp.idleTimeout =
            std::chrono::duration_cast<sbc::timer::Duration>(realm.limits.tcpIdleTimeout);
        tcp.headerTimeout =
            std::chrono::duration_cast<sbc::timer::Duration>(realm.limits.tcpHeaderTimeout);
        id = transport.listenTcp(l.address, l.port, realm.name, tcp, error);
      } else {
        id = transport.listenUdp(l.address, l.port, realm.name, error);
      }
      if (!id) {
        spdlog::error("event=listen_failed realm={} error=\"{}\"", realm.name, error);
        return 1;
      }
      const auto* info = transport.listener(*id);
      spdlog::info("event=listening realm={} transport={} address={} port={}", realm.name,
                   sbc::transport::protocolName(info->protocol), info->address.toString(),
                   info->port);
    }
  }

  // Trunk host names are resolved once, here: the B2BUA's call path does no DNS.
  sbc::sbcd::TrunkAddresses trunks = sbc::sbcd::resolveTrunks(config.routes);
  sbc::sbcd::CallMetrics callMetrics;
  sbc::b2bua::B2bua b2bua(wheel, sbc::sbcd::b2buaSettings(config, std::move(trunks)),
                          transport.listeners(), media.get(), &callMetrics);
  sbc::transaction::TimerConfig timers;
  timers.t1 = config.sip.t1;
  timers.t2 = config.sip.t2;
  timers.t4 = config.sip.t4;
  sbc::transaction::Limits transactionLimits;
  transactionLimits.maxServerTransactions = config.sip.maxServerTransactions;
  transactionLimits.maxClientTransactions = config.sip.maxClientTransactions;
  sbc::transaction::TransactionLayer transactions(transport, wheel, timers, b2bua,
                                                  transactionLimits);
  b2bua.attach(transactions);
  // Overload control: the per-source gate sits in front of the transaction layer, the
  // call caps in the B2BUA's set-up, fed by the loop-lag probe (tools/sbcd/overload.h).
  sbc::admission::CallAdmission callCaps(sbc::sbcd::callCaps(config));
  b2bua.setAdmission(&callCaps);
  sbc::admission::SourceGate gate(wheel, sbc::sbcd::gateSettings(config), transport.listeners(),
                                  transactions);
  sbc::sbcd::LoopLagProbe loopLag(io, &callCaps);
  transport.setHandler(&gate);
  driver.start();
  loopLag.start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("event=shutdown signal={} active_calls={}", signal, b2bua.activeCalls());
    b2bua.terminateAll();
    transport.close();
    driver.stop();
    loopLag.stop();
    io.stop();
  });

  sbc::sbcd::LoopCounters loop;
  // The endpoint's HTTP thread never touches the layers: each scrape posts the sampling to
  // this thread and waits for it (a stalled control thread serves the previous values).
  std::unique_ptr<sbc::metrics::Exporter> exporter;
  if (config.metrics.enabled) {
    sbc::sbcd::MetricsSources sources{&transport,
                                      &transactions,
                                      &b2bua,
                                      &callMetrics,
                                      media.get(),
                                      &loop,
                                      {&gate, &callCaps, &loopLag}};
    auto sampler =
        [&io, sources](const std::atomic<bool>& stopping) -> std::optional<sbc::metrics::Snapshot> {
      auto done = std::make_shared<std::promise<sbc::metrics::Snapshot>>();
      std::future<sbc::metrics::Snapshot> result = done->get_future();
      boost::asio::post(io, [done, sources] { done->set_value(sbc::sbcd::sampleSbc(sources)); });
      // At most 2 s, in slices: a stopping exporter (or a stopped io_context, whose
      // handlers never run) must not hold the scrape.
      for (int slice = 0; slice < 100; ++slice) {
        if (result.wait_for(std::chrono::milliseconds(20)) == std::future_status::ready)
          return result.get();
        if (stopping.load()) break;
      }
      return std::nullopt;
    };
    sbc::metrics::ExporterSettings settings;
    settings.address = config.metrics.address;
    settings.port = config.metrics.port;
    settings.username = config.metrics.username;
    settings.password = config.metrics.password;
    settings.version = std::string(kVersion);
    std::string error;
    exporter = sbc::metrics::Exporter::start(settings, sampler, error);
    if (!exporter) {
      spdlog::error("event=metrics_failed error=\"{}\"", error);
      return 1;
    }
    spdlog::info("event=metrics_listening address={} port={} path=/metrics basic_auth={}",
                 config.metrics.address, exporter->port(),
                 config.metrics.username.empty() ? "off" : "on");
  }

  spdlog::info("event=ready version={} realms={} routes={}", kVersion, config.realms.size(),
               config.routes.size());
  sbc::sbcd::runEventLoop(io, loop);  // nothing a handler throws stops the SBC
  exporter.reset();                   // no scrape outlives the layers it samples

  if (media) {
    sbc::dpdk::RelayCounters r = media->counters();
    std::string drops;
    for (size_t i = 0; i < sbc::dpdk::kDropReasons; ++i) {
      drops += " drop_" +
               std::string(
                   sbc::mediaplane::dropReasonName(static_cast<sbc::mediaplane::DropReason>(i))) +
               "=" + std::to_string(r.drops[i]);
    }
    spdlog::info(
        "event=media_stopped rx_packets={} relayed={} arp_replies={} icmp_echo_replies={}{}",
        r.rxPackets, r.relayed, r.arpReplies, r.icmpEchoReplies, drops);
    media->stop();
  }
  const auto& c = b2bua.counters();
  const auto& t = transport.counters();
  const auto& x = transactions.counters();
  spdlog::info(
      "event=stopped calls_started={} answered={} busy={} cancelled={} failed={} rejected={} "
      "messages_received={} requests_rejected={} dropped={} keepalives={} tcp_accepted={} "
      "tcp_refused={} "
      "tcp_timed_out={} tcp_framing_errors={} retransmissions_sent={} retransmissions_absorbed={} "
      "merged={}",
      c.started, c.answered, c.busy, c.cancelled, c.failed, c.rejected, t.received, t.rejected,
      t.dropped, t.keepAlives, t.tcpAccepted, t.tcpRefused, t.tcpTimedOut, t.tcpFramingErrors,
      x.retransmissionsSent, x.retransmissionsAbsorbed, x.merged);
  spdlog::info(
      "event=stopped_tcp tcp_refused_per_source={} tcp_outbound_refused={} tcp_accept_errors={} "
      "tcp_queue_overflows={} log_lines_suppressed={} loop_exceptions={}",
      t.tcpRefusedPerSource, t.tcpOutboundRefused, t.tcpAcceptErrors, t.tcpQueueOverflows,
      t.logLinesSuppressed, loop.exceptions);
  return 0;
}
