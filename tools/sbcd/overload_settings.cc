#include "tools/sbcd/overload_settings.h"

#include <algorithm>

namespace sbc::sbcd {

admission::GateSettings gateSettings(const config::Config& config) {
  const config::OverloadSettings& o = config.overload;
  admission::GateSettings s;
  s.sources.requests = o.sourceRequests;
  s.sources.window = o.sourceWindow;
  s.sources.blockTime = std::chrono::duration_cast<std::chrono::milliseconds>(o.sourceBlock);
  s.sources.tableSize = o.sourceTableSize;
  s.sourceRealms = o.sourceRealms;
  for (const std::string& a : o.sourceExempt) {
    if (auto ip = net::IpAddress::parse(a)) s.exempt.push_back(*ip);
  }
  s.dropScanners = o.dropScanners;
  if (!o.scannerUserAgents.empty()) s.scannerUserAgents = o.scannerUserAgents;
  if (!o.servedDomains.empty()) {
    s.servedHosts = o.servedDomains;
    for (const topology::Realm& r : config.realms) {
      if (!r.advertisedAddress.empty()) s.servedHosts.push_back(r.advertisedAddress);
      for (const topology::Listen& l : r.listen)
        s.servedHosts.push_back(l.address);
    }
  }
  return s;
}

admission::CallCaps callCaps(const config::Config& config) {
  const config::OverloadSettings& o = config.overload;
  admission::CallCaps c;
  c.cps = o.callsPerSecond;
  c.burst = o.callsPerSecondBurst;
  for (const auto& r : o.realms)
    c.realms.push_back({r.realm, r.callsPerSecond, r.burst});
  for (const auto& t : o.trunks)
    c.trunks.push_back({t.route, t.maxCalls});
  c.retryAfter = o.retryAfter;
  c.shedLoopLag = o.shedLoopLag;
  for (const topology::Realm& r : config.realms)
    c.realmNames.push_back(r.name);
  return c;
}

}  // namespace sbc::sbcd
