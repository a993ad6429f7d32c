#pragma once

// sbcd's overload control: the signaling thread's loop-lag probe, and the admission
// families for the metrics endpoint.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <vector>

#include "metrics/snapshot.h"
#include "signaling/admission/call_admission.h"
#include "signaling/admission/source_gate.h"
#include "tools/sbcd/call_metrics.h"
#include "tools/sbcd/overload_settings.h"

namespace sbc::sbcd {

// Measures how late a periodic timer fires on the signaling thread's io_context: the time
// a message waits before the thread gets to it. Reports the recent maximum to the call
// caps (shedding) and keeps a histogram for /metrics.
class LoopLagProbe {
 public:
  static constexpr std::chrono::milliseconds kPeriod{20};

  LoopLagProbe(boost::asio::io_context& io, admission::CallAdmission* caps);
  void start();
  void stop();

  // The largest lag over the last one to two seconds.
  std::chrono::microseconds recentMax() const { return std::max(windowMax_, previousMax_); }
  const Histogram& histogram() const { return histogram_; }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  admission::CallAdmission* caps_;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point windowStart_{};
  std::chrono::microseconds windowMax_{0};
  std::chrono::microseconds previousMax_{0};
  Histogram histogram_{{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  bool running_ = false;
};

struct OverloadSources {
  const admission::SourceGate* gate = nullptr;
  const admission::CallAdmission* caps = nullptr;
  const LoopLagProbe* lag = nullptr;
};

void sampleOverload(const OverloadSources& src, metrics::Snapshot& out);

}  // namespace sbc::sbcd
