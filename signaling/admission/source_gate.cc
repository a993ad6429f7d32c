#include "signaling/admission/source_gate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace sbc::admission {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty() || needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> defaultScannerUserAgents() {
  // SIPVicious (svmap/svwar/svcrack) and its forks, sipcli, VaxSIPUserAgent, and the tools
  // seen most in honeypot logs. Not sipsak: operators probe their own SBC with it.
  return {"friendly-scanner",
          "sipvicious",
          "sipcli",
          "VaxSIPUserAgent",
          "sip-scan",
          "iWar",
          "SIVuS",
          "Gulp",
          "sundayddr",
          "pplsip",
          "siparmyknife",
          "smap",
          "nmap"};
}

std::string_view dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kSourceBlocked:
      return "source_blocked";
    case DropReason::kScannerUserAgent:
      return "scanner_user_agent";
    case DropReason::kUnknownDomain:
      return "unknown_domain";
  }
  return "unknown";
}

SourceGate::SourceGate(const timer::TimerService& clock, GateSettings settings,
                       const std::vector<transport::ListenerInfo>& listeners,
                       transport::MessageHandler& next)
    : clock_(clock), settings_(std::move(settings)), next_(next), limiter_(settings_.sources) {
  for (const transport::ListenerInfo& l : listeners) {
    if (l.id >= limitedListener_.size()) limitedListener_.resize(l.id + 1, false);
    limitedListener_[l.id] = settings_.sourceRealms.empty() ||
                             std::find(settings_.sourceRealms.begin(), settings_.sourceRealms.end(),
                                       l.realm) != settings_.sourceRealms.end();
  }
}

void SourceGate::onMessage(sip::Message&& message, const transport::Source& from) {
  if (message.isRequest()) {
    if (std::optional<DropReason> why = check(message, from)) {
      ++counters_.dropped[size_t(*why)];
      return;
    }
  }
  next_.onMessage(std::move(message), from);
}

void SourceGate::onSendFailure(const transport::Destination& to, std::string_view reason) {
  next_.onSendFailure(to, reason);
}

bool SourceGate::limited(const transport::Source& from) const {
  if (!limiter_.enabled()) return false;
  if (from.listener < limitedListener_.size() && !limitedListener_[from.listener]) return false;
  return std::find(settings_.exempt.begin(), settings_.exempt.end(), from.remote.address) ==
         settings_.exempt.end();
}

std::optional<DropReason> SourceGate::check(const sip::Message& request,
                                            const transport::Source& from) {
  timer::TimePoint now = clock_.now();
  if (limited(from)) {
    SourceLimiter::Verdict v = limiter_.request(from.remote.address, now);
    if (v != SourceLimiter::Verdict::kPass) {
      if (v == SourceLimiter::Verdict::kBlocked) {
        ++counters_.sourcesBlocked;
        logDrop(DropReason::kSourceBlocked, from, now);
      }
      return DropReason::kSourceBlocked;
    }
  }
  if (!settings_.dropScanners && settings_.servedHosts.empty()) return std::nullopt;
  // Scanners probe with out-of-dialog requests; in-dialog ones went to our own Contact.
  sip::Parsed<sip::NameAddr> to = request.to();
  if (to && to.value.hasTag()) return std::nullopt;
  if (settings_.dropScanners && scanner(request)) {
    logDrop(DropReason::kScannerUserAgent, from, now);
    return DropReason::kScannerUserAgent;
  }
  if (!served(request)) {
    logDrop(DropReason::kUnknownDomain, from, now);
    return DropReason::kUnknownDomain;
  }
  return std::nullopt;
}

bool SourceGate::scanner(const sip::Message& request) const {
  std::string_view ua = request.header(sip::HeaderId::kUserAgent);
  if (ua.empty()) return false;
  for (const std::string& s : settings_.scannerUserAgents) {
    if (icontains(ua, s)) return true;
  }
  return false;
}

bool SourceGate::served(const sip::Message& request) const {
  if (settings_.servedHosts.empty()) return true;
  sip::Parsed<sip::Uri> uri = request.requestUriParsed();
  if (!uri) return true;  // the layers above answer what they cannot read
  std::string_view host = uri.value.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // FQDN form
  return std::any_of(settings_.servedHosts.begin(), settings_.servedHosts.end(),
                     [&](const std::string& h) { return iequals(h, host); });
}

void SourceGate::logDrop(DropReason why, const transport::Source& from, timer::TimePoint now) {
  if (lastLog_ != timer::TimePoint{} && now - lastLog_ < std::chrono::seconds(1)) {
    ++unlogged_;
    return;
  }
  spdlog::warn("event=admission_drop reason={} source={} suppressed_since_last={}",
               dropReasonName(why), from.remote.toString(), unlogged_);
  lastLog_ = now;
  unlogged_ = 0;
}

}  // namespace sbc::admission
