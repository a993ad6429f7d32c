#pragma once

// The Prometheus endpoint: prometheus-cpp's exposer (civetweb) serving /metrics. Each
// scrape asks the Sampler for a Snapshot and adds the process_* families, sbc_build_info
// and the exporter's own health. The sampler runs on the HTTP thread; the embedding
// decides how it reaches the layers' state (sbcd posts to its control thread and waits).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "metrics/snapshot.h"

namespace prometheus {
class Exposer;
}

namespace sbc::metrics {

struct ExporterSettings {
  std::string address = "127.0.0.1";
  uint16_t port = 9464;  // 0: any free port (tests)
  std::string username;  // basic auth when both are set
  std::string password;
  std::string version;  // sbc_build_info{version}
};

// Empty when the layers could not be sampled in time: the scrape then serves the last
// snapshot taken and counts the failure (sbc_metrics_sample_failures_total). A sampler that
// waits must give up once `stopping` is set: the exporter is being destroyed.
using Sampler = std::function<std::optional<Snapshot>(const std::atomic<bool>& stopping)>;

class Exporter {
 public:
  // Null with `error` set when the endpoint cannot listen (address in use, bad address).
  static std::unique_ptr<Exporter> start(const ExporterSettings& settings, Sampler sampler,
                                         std::string& error);
  // Stops serving: an in-flight scrape is answered from the last snapshot, the collector is
  // unregistered (waiting for a collection in progress), then the server stops.
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  uint16_t port() const { return port_; }
  uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }

  // What one scrape serves (also what tests check without HTTP).
  Snapshot collect();

 private:
  class Collectable;
  Exporter(ExporterSettings settings, Sampler sampler);

  ExporterSettings settings_;
  Sampler sampler_;
  std::mutex mutex_;  // one scrape at a time: the sampler and the last snapshot
  std::optional<Snapshot> last_;
  uint64_t sampleFailures_ = 0;
  std::atomic<uint64_t> scrapes_{0};
  std::atomic<bool> stopping_{false};
  std::shared_ptr<Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_ = 0;
};

}  // namespace sbc::metrics
