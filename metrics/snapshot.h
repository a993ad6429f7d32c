#pragma once

// What the SBC measures at one instant, as plain data: the layers fill it (on the control
// thread, where their counters live) and the exporter turns it into Prometheus families on
// the HTTP thread. Nothing here knows prometheus-cpp, so a layer's sampling code stays a
// unit-testable function.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbc::metrics {

enum class Kind : uint8_t { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

// counts[i]: observations in (bounds[i-1], bounds[i]]; the last one is above every bound.
struct HistogramValue {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  double sum = 0;
  uint64_t count = 0;
};

struct Sample {
  Labels labels;
  double value = 0;          // counters and gauges
  HistogramValue histogram;  // histograms
};

struct Family {
  std::string name;  // counters end in _total, as Prometheus names them
  std::string help;
  Kind kind = Kind::kCounter;
  std::vector<Sample> samples;

  Family& add(Labels labels, double value);
  Family& add(Labels labels, HistogramValue histogram);
};

struct Snapshot {
  // A deque: samplers hold on to families while adding others.
  std::deque<Family> families;

  // The family named `name`, created on first use (so that samplers may add in any order).
  Family& family(std::string_view name, std::string_view help, Kind kind);
  const Family* find(std::string_view name) const;
};

}  // namespace sbc::metrics
