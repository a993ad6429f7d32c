// The overload section: per-source rate limit, scanner drops, caps on new calls.

#include <algorithm>
#include <string>
#include <vector>

#include "config/sections.h"
#include "topology/header_filter.h"

namespace sbc::config {
namespace {

class OverloadSection : public Schema {
 public:
  void overload(const Entry& e, Config& config);

  explicit OverloadSection(Schema& s) : Schema(s) {}

 private:
  void realmCaps(const Entry& e, const Config& config, OverloadSettings& out);
  void trunkCaps(const Entry& e, const Config& config, OverloadSettings& out);
  void sourceLimit(const Entry& e, const Config& config, OverloadSettings& out);
  void scanners(const Entry& e, OverloadSettings& out);
  // A list of non-empty one-line strings.
  std::vector<std::string> words(const Entry& e, const std::string& what);

  const std::string owner_ = "overload";
};

std::vector<std::string> OverloadSection::words(const Entry& e, const std::string& what) {
  std::vector<std::string> out;
  if (!isList(e, owner_, what)) return out;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    if (auto t = text(item, owner_, what)) {
      if (t->empty() || !topology::isHeaderValue(*t)) {
        error(item.mark, owner_, what + " entries must be non-empty printable text");
      } else {
        out.push_back(*t);
      }
    }
  }
  return out;
}

void OverloadSection::overload(const Entry& e, Config& config) {
  OverloadSettings& out = config.overload;
  Fields f(*this, e, owner_, "",
           {"retry_after_s", "shed_loop_lag_ms", "calls_per_second", "calls_per_second_burst",
            "realms", "trunks", "source_limit", "scanners"});
  if (!f.valid()) return;
  if (const Entry* v = f.get("retry_after_s")) {
    if (auto n = number(*v, owner_, "retry_after_s", 1, 3600))
      out.retryAfter = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("shed_loop_lag_ms")) {
    if (auto n = number(*v, owner_, "shed_loop_lag_ms", 0, 60000))
      out.shedLoopLag = std::chrono::milliseconds(*n);
  }
  if (const Entry* v = f.get("calls_per_second")) {
    if (auto n = number(*v, owner_, "calls_per_second", 0, 1000000))
      out.callsPerSecond = uint32_t(*n);
  }
  if (const Entry* v = f.get("calls_per_second_burst")) {
    if (auto n = number(*v, owner_, "calls_per_second_burst", 0, 1000000))
      out.callsPerSecondBurst = uint32_t(*n);
  }
  if (const Entry* v = f.get("realms")) realmCaps(*v, config, out);
  if (const Entry* v = f.get("trunks")) trunkCaps(*v, config, out);
  if (const Entry* v = f.get("source_limit")) sourceLimit(*v, config, out);
  if (const Entry* v = f.get("scanners")) scanners(*v, out);
}

void OverloadSection::realmCaps(const Entry& e, const Config& config, OverloadSettings& out) {
  if (!isList(e, owner_, "realms")) return;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    Fields f(*this, item, owner_, "realms", {"realm", "calls_per_second", "burst"});
    if (!f.valid()) continue;
    OverloadSettings::RealmCps r;
    const Entry* name = f.require("realm");
    const Entry* cps = f.require("calls_per_second");
    if (!name || !cps) continue;
    auto n = text(*name, owner_, f.what("realm"));
    if (!n) continue;
    if (!config.realm(*n)) {
      error(name->mark, owner_, "realms names unknown realm " + quote(*n));
      continue;
    }
    if (std::any_of(out.realms.begin(), out.realms.end(),
                    [&](const OverloadSettings::RealmCps& x) { return x.realm == *n; })) {
      error(name->mark, owner_, "realms names realm " + quote(*n) + " twice");
      continue;
    }
    r.realm = *n;
    if (auto c = number(*cps, owner_, f.what("calls_per_second"), 1, 1000000))
      r.callsPerSecond = uint32_t(*c);
    else
      continue;
    if (const Entry* b = f.get("burst")) {
      if (auto c = number(*b, owner_, f.what("burst"), 0, 1000000)) r.burst = uint32_t(*c);
    }
    out.realms.push_back(r);
  }
}

void OverloadSection::trunkCaps(const Entry& e, const Config& config, OverloadSettings& out) {
  if (!isList(e, owner_, "trunks")) return;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    Fields f(*this, item, owner_, "trunks", {"route", "max_calls"});
    if (!f.valid()) continue;
    const Entry* name = f.require("route");
    const Entry* max = f.require("max_calls");
    if (!name || !max) continue;
    auto n = text(*name, owner_, f.what("route"));
    if (!n) continue;
    auto route = std::find_if(config.routes.begin(), config.routes.end(),
                              [&](const topology::Route& r) { return r.name == *n; });
    if (route == config.routes.end()) {
      error(name->mark, owner_, "trunks names unknown route " + quote(*n));
      continue;
    }
    if (route->action != topology::Route::Action::kForward) {
      error(name->mark, owner_, "trunks route " + quote(*n) + " rejects calls: it has no trunk");
      continue;
    }
    if (std::any_of(out.trunks.begin(), out.trunks.end(),
                    [&](const OverloadSettings::TrunkCalls& x) { return x.route == *n; })) {
      error(name->mark, owner_, "trunks names route " + quote(*n) + " twice");
      continue;
    }
    if (auto c = number(*max, owner_, f.what("max_calls"), 1, 10000000))
      out.trunks.push_back({*n, uint32_t(*c)});
  }
}

void OverloadSection::sourceLimit(const Entry& e, const Config& config, OverloadSettings& out) {
  Fields f(*this, e, owner_, "source_limit",
           {"requests", "window_ms", "block_s", "table_size", "realms", "exempt"});
  if (!f.valid()) return;
  if (const Entry* r = f.require("requests")) {
    if (auto n = number(*r, owner_, f.what("requests"), 1, 1000000))
      out.sourceRequests = uint32_t(*n);
  }
  if (const Entry* v = f.get("window_ms")) {
    if (auto n = number(*v, owner_, f.what("window_ms"), 10, 3600000))
      out.sourceWindow = std::chrono::milliseconds(*n);
  }
  if (const Entry* v = f.get("block_s")) {
    if (auto n = number(*v, owner_, f.what("block_s"), 1, 86400))
      out.sourceBlock = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("table_size")) {
    if (auto n = number(*v, owner_, f.what("table_size"), 16, 4194304))
      out.sourceTableSize = uint32_t(*n);
  }
  if (const Entry* v = f.get("realms")) {
    if (isList(*v, owner_, f.what("realms"))) {
      for (const YAML::Node& node : v->value) {
        Entry item = listItem(node, v->mark);
        auto n = text(item, owner_, f.what("realms"));
        if (!n) continue;
        if (!config.realm(*n)) {
          error(item.mark, owner_, f.what("realms") + " names unknown realm " + quote(*n));
          continue;
        }
        out.sourceRealms.push_back(*n);
      }
    }
  }
  if (const Entry* v = f.get("exempt")) {
    if (isList(*v, owner_, f.what("exempt"))) {
      for (const YAML::Node& node : v->value) {
        Entry item = listItem(node, v->mark);
        if (auto a = address(item, owner_, f.what("exempt"), false)) out.sourceExempt.push_back(*a);
      }
    }
  }
}

void OverloadSection::scanners(const Entry& e, OverloadSettings& out) {
  Fields f(*this, e, owner_, "scanners", {"drop", "user_agents", "served_domains"});
  if (!f.valid()) return;
  if (const Entry* v = f.get("drop")) {
    if (auto b = choice(*v, owner_, f.what("drop"), kBooleans)) out.dropScanners = *b == 0;
  }
  if (const Entry* v = f.get("user_agents"))
    out.scannerUserAgents = words(*v, f.what("user_agents"));
  if (const Entry* v = f.get("served_domains")) {
    for (std::string& d : words(*v, f.what("served_domains"))) {
      if (!isHost(d)) {
        error(
            v->mark, owner_,
            f.what("served_domains") + " entry " + quote(d) + " is not a host name or IP address");
        continue;
      }
      out.servedDomains.push_back(std::move(d));
    }
  }
}

}  // namespace

void loadOverload(Schema& schema, const Entry& e, Config& config, Notes&) {
  OverloadSection(schema).overload(e, config);
}

}  // namespace sbc::config
