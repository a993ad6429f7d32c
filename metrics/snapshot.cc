#include "metrics/snapshot.h"

namespace sbc::metrics {

Family& Family::add(Labels labels, double value) {
  samples.push_back(Sample{std::move(labels), value, {}});
  return *this;
}

Family& Family::add(Labels labels, HistogramValue histogram) {
  samples.push_back(Sample{std::move(labels), 0, std::move(histogram)});
  return *this;
}

Family& Snapshot::family(std::string_view name, std::string_view help, Kind kind) {
  for (Family& f : families) {
    if (f.name == name) return f;
  }
  families.push_back(Family{std::string(name), std::string(help), kind, {}});
  return families.back();
}

const Family* Snapshot::find(std::string_view name) const {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace sbc::metrics
