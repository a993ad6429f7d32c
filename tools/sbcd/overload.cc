#include "tools/sbcd/overload.h"

#include <algorithm>

namespace sbc::sbcd {

LoopLagProbe::LoopLagProbe(boost::asio::io_context& io, admission::CallAdmission* caps)
    : timer_(io), caps_(caps) {}

void LoopLagProbe::start() {
  running_ = true;
  windowStart_ = std::chrono::steady_clock::now();
  deadline_ = windowStart_;
  arm();
}

void LoopLagProbe::stop() {
  running_ = false;
  timer_.cancel();
}

void LoopLagProbe::arm() {
  deadline_ += kPeriod;
  timer_.expires_at(deadline_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    auto now = std::chrono::steady_clock::now();
    auto lag = std::chrono::duration_cast<std::chrono::microseconds>(now - deadline_);
    if (lag.count() < 0) lag = std::chrono::microseconds(0);
    histogram_.observe(std::chrono::duration<double>(lag).count());
    windowMax_ = std::max(windowMax_, lag);
    if (now - windowStart_ >= std::chrono::seconds(1)) {
      previousMax_ = windowMax_;
      windowMax_ = std::chrono::microseconds(0);
      windowStart_ = now;
    }
    if (caps_) caps_->setLoopLag(recentMax());
    // A stall longer than a period is measured once, not as a burst of late ticks.
    if (now > deadline_) deadline_ = now;
    arm();
  });
}

void sampleOverload(const OverloadSources& src, metrics::Snapshot& out) {
  using metrics::Kind;
  if (src.lag) {
    const Histogram& h = src.lag->histogram();
    out.family("sbc_signaling_loop_lag_seconds",
               "How late a 20 ms timer fires on the signaling thread: how long a message waits "
               "before the thread gets to it.",
               Kind::kHistogram)
        .add({}, metrics::HistogramValue{h.bounds, h.counts, h.sum, h.count});
    out.family("sbc_signaling_loop_lag_max_seconds",
               "The largest signaling-thread loop lag over the last one to two seconds.",
               Kind::kGauge)
        .add({}, std::chrono::duration<double>(src.lag->recentMax()).count());
  }
  if (src.gate) {
    auto& dropped = out.family(
        "sbc_admission_dropped_total",
        "Requests dropped silently before the transaction layer: from a source blocked for "
        "flooding (source_blocked), with a known scanner User-Agent (scanner_user_agent), or "
        "for a Request-URI host the SBC does not serve (unknown_domain).",
        Kind::kCounter);
    const admission::GateCounters& c = src.gate->counters();
    for (size_t i = 0; i < admission::kDropReasons; ++i) {
      dropped.add({{"reason", std::string(admission::dropReasonName(admission::DropReason(i)))}},
                  double(c.dropped[i]));
    }
    out.family("sbc_admission_sources_blocked_total",
               "Times a source address went over its request rate and was blocked.", Kind::kCounter)
        .add({}, double(c.sourcesBlocked));
    const admission::SourceLimiter& l = src.gate->limiter();
    out.family("sbc_admission_sources_tracked",
               "Source addresses the per-source rate limit tracks (bounded by table_size).",
               Kind::kGauge)
        .add({}, double(l.tracked()));
    out.family("sbc_admission_sources_blocked", "Source addresses blocked for flooding right now.",
               Kind::kGauge)
        .add({}, double(l.blocked(src.gate->now())));
    out.family("sbc_admission_source_evictions_total",
               "Quiet sources evicted from the full per-source table to make room.", Kind::kCounter)
        .add({}, double(l.evictions()));
  }
  if (src.caps) {
    auto& refused = out.family(
        "sbc_calls_refused_overload_total",
        "New calls answered 503 with Retry-After by an overload cap, by the caller's realm and "
        "the cap: global_cps, realm_cps, trunk_calls, loop_lag.",
        Kind::kCounter);
    for (const auto& [realm, counts] : src.caps->refusedByRealm()) {
      for (size_t i = 0; i < admission::kRefusals; ++i) {
        refused.add({{"realm", realm},
                     {"reason", std::string(admission::refusalName(admission::Refusal(i)))}},
                    double(counts[i]));
      }
    }
    auto& active =
        out.family("sbc_trunk_calls_active",
                   "Calls in progress on a route with a concurrent-call cap.", Kind::kGauge);
    auto& limit = out.family("sbc_trunk_calls_limit",
                             "The concurrent-call cap of a route (overload trunks).", Kind::kGauge);
    for (const auto& t : src.caps->trunks()) {
      active.add({{"route", t.route}}, double(t.active));
      limit.add({{"route", t.route}}, double(t.maxCalls));
    }
  }
}

}  // namespace sbc::sbcd
