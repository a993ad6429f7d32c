#include "signaling/admission/call_admission.h"

#include <algorithm>

namespace sbc::admission {

std::string_view refusalName(Refusal r) {
  switch (r) {
    case Refusal::kGlobalCps:
      return "global_cps";
    case Refusal::kRealmCps:
      return "realm_cps";
    case Refusal::kTrunkCalls:
      return "trunk_calls";
    case Refusal::kLoopLag:
      return "loop_lag";
  }
  return "unknown";
}

std::string_view refusalReason(Refusal r) {
  switch (r) {
    case Refusal::kGlobalCps:
    case Refusal::kRealmCps:
      return "Call Rate Limit Reached";
    case Refusal::kTrunkCalls:
      return "Trunk Call Limit Reached";
    case Refusal::kLoopLag:
      return "Overloaded";
  }
  return "Service Unavailable";
}

CallAdmission::CallAdmission(CallCaps caps)
    : caps_(std::move(caps)), global_(caps_.cps, caps_.burst) {
  for (const CallCaps::Realm& r : caps_.realms) {
    if (r.cps) realmBuckets_.emplace(r.name, TokenBucket(r.cps, r.burst));
  }
  for (const std::string& r : caps_.realmNames)
    refusedByRealm_.emplace(r, std::array<uint64_t, kRefusals>{});
  for (const CallCaps::Trunk& t : caps_.trunks) {
    if (t.maxCalls) trunks_.push_back(TrunkState{t.route, t.maxCalls, 0});
  }
}

std::optional<Refusal> CallAdmission::refuse(std::string_view realm, Refusal why) {
  ++refused_[size_t(why)];
  auto it = refusedByRealm_.find(std::string(realm));
  if (it == refusedByRealm_.end())
    it = refusedByRealm_.emplace(std::string(realm), std::array<uint64_t, kRefusals>{}).first;
  ++it->second[size_t(why)];
  return why;
}

std::optional<Refusal> CallAdmission::admit(std::string_view realm, std::string_view route,
                                            timer::TimePoint now, int& trunk) {
  trunk = kNoTrunk;
  // Cheapest and most telling first: a lagging thread sheds before it spends anything.
  if (caps_.shedLoopLag.count() > 0 && loopLag_ > caps_.shedLoopLag)
    return refuse(realm, Refusal::kLoopLag);
  auto t = std::find_if(trunks_.begin(), trunks_.end(),
                        [&](const TrunkState& s) { return s.route == route; });
  if (t != trunks_.end() && t->active >= t->maxCalls) return refuse(realm, Refusal::kTrunkCalls);
  if (!realmBuckets_.empty()) {
    auto b = realmBuckets_.find(std::string(realm));
    if (b != realmBuckets_.end() && !b->second.take(now)) return refuse(realm, Refusal::kRealmCps);
  }
  if (!global_.take(now)) return refuse(realm, Refusal::kGlobalCps);
  if (t != trunks_.end()) {
    ++t->active;
    trunk = int(t - trunks_.begin());
  }
  return std::nullopt;
}

void CallAdmission::release(int trunk) {
  if (trunk < 0 || size_t(trunk) >= trunks_.size()) return;
  if (trunks_[size_t(trunk)].active > 0) --trunks_[size_t(trunk)].active;
}

}  // namespace sbc::admission
