#pragma once

// The first admission step, between the transport and the transaction layer: requests from
// a source that floods (SourceLimiter) and scanner traffic (known scanner User-Agents, a
// Request-URI host the SBC does not serve) are dropped here, silently and counted, before
// they cost a transaction, a log line or a reply. Everything else, responses included,
// passes through to the next handler unchanged.
//
//   transport --onMessage--> SourceGate --pass--> TransactionLayer
//                                 `--drop (counted)

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/api/address.h"
#include "signaling/admission/source_limiter.h"
#include "signaling/timer/timer_service.h"
#include "signaling/transport/transport.h"

namespace sbc::admission {

// The User-Agents of the common SIP scanners (matched as case-insensitive substrings).
std::vector<std::string> defaultScannerUserAgents();

struct GateSettings {
  SourceLimits sources;                   // per-source rate limit (off when requests == 0)
  std::vector<net::IpAddress> exempt;     // sources never limited (trunks, monitoring)
  std::vector<std::string> sourceRealms;  // realms whose listeners are limited; empty: all
  bool dropScanners = true;
  std::vector<std::string> scannerUserAgents = defaultScannerUserAgents();
  // Request-URI hosts of out-of-dialog requests that the SBC serves (compared without
  // case; IPv6 without brackets). Empty: any host passes.
  std::vector<std::string> servedHosts;
};

enum class DropReason : uint8_t { kSourceBlocked, kScannerUserAgent, kUnknownDomain };
inline constexpr size_t kDropReasons = 3;
std::string_view dropReasonName(DropReason r);  // "source_blocked", ...

struct GateCounters {
  std::array<uint64_t, kDropReasons> dropped{};
  uint64_t sourcesBlocked = 0;  // times a source went from passing to blocked
};

class SourceGate : public transport::MessageHandler {
 public:
  // `listeners` tie listener ids to realm names (for sourceRealms).
  SourceGate(const timer::TimerService& clock, GateSettings settings,
             const std::vector<transport::ListenerInfo>& listeners,
             transport::MessageHandler& next);

  // transport::MessageHandler
  void onMessage(sip::Message&& message, const transport::Source& from) override;
  void onSendFailure(const transport::Destination& to, std::string_view reason) override;

  const GateCounters& counters() const { return counters_; }
  const SourceLimiter& limiter() const { return limiter_; }
  timer::TimePoint now() const { return clock_.now(); }

 private:
  // nullopt: the request may pass.
  std::optional<DropReason> check(const sip::Message& request, const transport::Source& from);
  bool limited(const transport::Source& from) const;
  bool scanner(const sip::Message& request) const;
  bool served(const sip::Message& request) const;
  void logDrop(DropReason why, const transport::Source& from, timer::TimePoint now);

  const timer::TimerService& clock_;
  GateSettings settings_;
  std::vector<bool> limitedListener_;  // by listener id
  transport::MessageHandler& next_;
  SourceLimiter limiter_;
  GateCounters counters_;
  // A flood must not become a flood of log lines (stderr can block the thread): one line a
  // second at most, with the number of drops it stands for.
  timer::TimePoint lastLog_{};
  uint64_t unlogged_ = 0;
};

}  // namespace sbc::admission
