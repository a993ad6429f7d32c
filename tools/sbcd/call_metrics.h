#pragma once

// The B2BUA's call and media-quality histograms for the metrics endpoint, filled through
// its CallObserver as calls end.

#include <cstdint>
#include <vector>

#include "signaling/b2bua/call_observer.h"

namespace sbc::sbcd {

// A fixed-bucket histogram: counts[i] holds the observations <= bounds[i] (and above the
// bound before); the last count is above every bound.
struct Histogram {
  explicit Histogram(std::vector<double> upperBounds)
      : bounds(std::move(upperBounds)), counts(bounds.size() + 1, 0) {}
  void observe(double value);

  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  double sum = 0;
  uint64_t count = 0;
};

class CallMetrics final : public b2bua::CallObserver {
 public:
  void callAnswered(Seconds setup) override { setupSeconds.observe(setup.count()); }
  void answeredCallEnded(Seconds duration) override { durationSeconds.observe(duration.count()); }
  void streamEnded(double loss, Seconds jitter) override {
    lossRatio.observe(loss);
    jitterSeconds.observe(jitter.count());
  }

  Histogram setupSeconds{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};     // INVITE to 200
  Histogram durationSeconds{{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}};  // 200 to end
  Histogram lossRatio{{0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}};   // per direction
  Histogram jitterSeconds{{0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5}};
};

}  // namespace sbc::sbcd
