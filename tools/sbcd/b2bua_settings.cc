#include "tools/sbcd/b2bua_settings.h"

namespace sbc::sbcd {

b2bua::Settings b2buaSettings(const config::Config& config, TrunkAddresses trunks) {
  b2bua::Settings s;
  s.realms = config.realms;
  s.routes = config.routes;
  s.maxForwards = config.sip.maxForwards;
  s.noAnswerTimeout = config.sip.noAnswerTimeout;
  s.timerC = config.sip.timerC;
  s.maxCalls = config.sip.maxCalls;
  s.maxDialogs = config.sip.maxDialogs;
  s.maxMediaLines = config.sip.maxMediaLines;
  s.responseMap = config.sip.responseMap;
  s.strictMediaSource = config.mediaPlane.strictSource;
  s.portQuarantine = config.mediaPlane.portQuarantine;
  s.trunkAddresses = std::move(trunks);
  return s;
}

}  // namespace sbc::sbcd
