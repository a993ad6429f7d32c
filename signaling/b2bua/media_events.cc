// The media plane's events (latching, media timeouts) and what the relay did for a call
// when it ends.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signaling/b2bua/b2bua_impl.h"

namespace sbc::b2bua {

void B2bua::Impl::scheduleMediaPoll() {
  timers_.schedule(timer::Duration(1000), [this] {
    for (const mediaplane::MediaEvent& e : anchor_.poll())
      onMediaEvent(e);
    scheduleMediaPoll();
  });
}

void B2bua::Impl::onMediaEvent(const mediaplane::MediaEvent& e) {
  Call* call = registry_.find(e.session);
  if (!call) return;
  if (e.kind == mediaplane::MediaEvent::Kind::kLatched) {
    spdlog::info("event=media_latched call={} stream={} from={} source={}", call->id, e.stream,
                 e.fromA ? "A" : "B", e.source.toString());
    return;
  }
  // No media either way for the configured time: the endpoints are gone.
  spdlog::info("event=media_timeout call={} stream={}", call->id, e.stream);
  if (call->state == CallState::kConfirmed) {
    sendBye(*call, Side::kA);
    sendBye(*call, Side::kB);
    endCall(*call, "media timeout");
  }
}

// What the relay did for a call, summed over its streams, when the call ends.
void B2bua::Impl::logMediaStats(const Call& call) {
  std::optional<mediaplane::SessionStats> st = anchor_.stats(call.id);
  if (!st) return;
  mediaplane::DirectionStats a, b;
  auto add = [](mediaplane::DirectionStats& sum, const mediaplane::DirectionStats& d) {
    sum.packets += d.packets;
    sum.bytes += d.bytes;
    sum.lost += d.lost;
    for (size_t i = 0; i < static_cast<size_t>(mediaplane::DropReason::kCount); ++i)
      sum.drops[i] += d.drops[i];
    sum.jitterMs = std::max(sum.jitterMs, d.jitterMs);
  };
  for (const mediaplane::StreamStats& s : st->streams) {
    add(a, s.fromA);
    add(b, s.fromB);
    observeStream(s.fromA);
    observeStream(s.fromB);
  }
  std::string drops;
  for (size_t i = 0; i < static_cast<size_t>(mediaplane::DropReason::kCount); ++i) {
    std::string name(mediaplane::dropReasonName(static_cast<mediaplane::DropReason>(i)));
    drops += " from_a_drops_" + name + "=" + std::to_string(a.drops[i]);
    drops += " from_b_drops_" + name + "=" + std::to_string(b.drops[i]);
  }
  spdlog::info(
      "event=media_session_end call={} from_a_packets={} from_b_packets={} from_a_bytes={} "
      "from_b_bytes={} "
      "from_a_lost={} from_b_lost={} from_a_jitter_ms={:.2f} from_b_jitter_ms={:.2f}{}",
      call.id, a.packets, b.packets, a.bytes, b.bytes, a.lost, b.lost, a.jitterMs, b.jitterMs,
      drops);
}

// The quality a stream's direction ended with; directions that carried nothing say
// nothing about the network.
void B2bua::Impl::observeStream(const mediaplane::DirectionStats& d) {
  if (d.packets == 0) return;
  if (!observer_) return;
  observer_->streamEnded(double(d.lost) / double(d.packets + d.lost),
                         CallObserver::Seconds(d.jitterMs / 1000.0));
}

}  // namespace sbc::b2bua
