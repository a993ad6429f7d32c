#include "metrics/exporter.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include <exception>

#include "mediaplane/api/address.h"
#include "metrics/process.h"

namespace sbc::metrics {

namespace {

prometheus::MetricType typeOf(Kind k) {
  switch (k) {
    case Kind::kCounter:
      return prometheus::MetricType::Counter;
    case Kind::kGauge:
      return prometheus::MetricType::Gauge;
    case Kind::kHistogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

prometheus::MetricFamily convert(const Family& f) {
  prometheus::MetricFamily out;
  out.name = f.name;
  out.help = f.help;
  out.type = typeOf(f.kind);
  for (const Sample& s : f.samples) {
    prometheus::ClientMetric m;
    for (const auto& [name, value] : s.labels)
      m.label.push_back({name, value});
    switch (f.kind) {
      case Kind::kCounter:
        m.counter.value = s.value;
        break;
      case Kind::kGauge:
        m.gauge.value = s.value;
        break;
      case Kind::kHistogram: {
        const HistogramValue& h = s.histogram;
        uint64_t cumulative = 0;
        for (size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
          cumulative += h.counts[i];
          m.histogram.bucket.push_back({cumulative, h.bounds[i]});
        }
        m.histogram.sample_count = h.count;  // the +Inf bucket, written by the serializer
        m.histogram.sample_sum = h.sum;
        break;
      }
    }
    out.metric.push_back(std::move(m));
  }
  return out;
}

// Constant time, so that a wrong password's length or prefix does not show in timing.
bool sameSecret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace

class Exporter::Collectable final : public prometheus::Collectable {
 public:
  explicit Collectable(Exporter& owner) : owner_(owner) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    Snapshot s = owner_.collect();
    std::vector<prometheus::MetricFamily> out;
    out.reserve(s.families.size());
    for (const Family& f : s.families)
      out.push_back(convert(f));
    return out;
  }

 private:
  Exporter& owner_;
};

Exporter::Exporter(ExporterSettings settings, Sampler sampler)
    : settings_(std::move(settings)), sampler_(std::move(sampler)) {}

std::unique_ptr<Exporter> Exporter::start(const ExporterSettings& settings, Sampler sampler,
                                          std::string& error) {
  std::unique_ptr<Exporter> e(new Exporter(settings, std::move(sampler)));
  std::string bind = net::hostPort(settings.address, settings.port);
  try {
    // Several HTTP threads and a short request timeout: a client that connects and sends
    // nothing must not hold the only thread while Prometheus times out. Scrapes still
    // sample one at a time (collect() locks).
    e->exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", bind, "num_threads", "4", "request_timeout_ms", "5000"});
  } catch (const std::exception& ex) {
    error = "cannot listen on " + bind + " for /metrics: " + ex.what();
    return nullptr;
  }
  std::vector<int> ports = e->exposer_->GetListeningPorts();
  if (ports.empty()) {
    error = "cannot listen on " + bind + " for /metrics";
    return nullptr;
  }
  e->port_ = static_cast<uint16_t>(ports.front());
  if (!settings.username.empty() && !settings.password.empty()) {
    std::string user = settings.username;
    std::string password = settings.password;
    e->exposer_->RegisterAuth(
        [user, password](const std::string& u, const std::string& p) {
          bool userOk = sameSecret(u, user);
          bool passwordOk = sameSecret(p, password);  // compared even when the user is wrong
          return userOk && passwordOk;
        },
        "sbc");
  }
  e->collectable_ = std::make_shared<Collectable>(*e);
  e->exposer_->RegisterCollectable(e->collectable_);
  return e;
}

Exporter::~Exporter() {
  stopping_.store(true);
  if (exposer_) {
    // Waits for a collection in progress (prometheus-cpp locks its collectables around it),
    // so that the sampler's captures are never used after this returns; later requests
    // find nothing to collect.
    if (collectable_) exposer_->RemoveCollectable(collectable_);
    exposer_.reset();  // joins the server's threads
  }
}

Snapshot Exporter::collect() {
  std::lock_guard<std::mutex> lock(mutex_);
  scrapes_.fetch_add(1, std::memory_order_relaxed);
  std::optional<Snapshot> fresh;
  if (!stopping_.load()) fresh = sampler_ ? sampler_(stopping_) : Snapshot{};
  if (fresh) {
    last_ = *fresh;
  } else {
    ++sampleFailures_;
  }
  Snapshot s = last_ ? *last_ : Snapshot{};
  s.family("sbc_build_info", "The SBC's version; the value is always 1.", Kind::kGauge)
      .add({{"version", settings_.version}}, 1);
  s.family("sbc_metrics_sample_failures_total",
           "Scrapes that could not sample the SBC in time and served the previous values.",
           Kind::kCounter)
      .add({}, double(sampleFailures_));
  sampleProcess(s);
  return s;
}

}  // namespace sbc::metrics
