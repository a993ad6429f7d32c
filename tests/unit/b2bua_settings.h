#pragma once

// The B2BUA's settings from a parsed test configuration, built as sbcd builds them (the
// tests' trunk hosts are IP literals: nothing is looked up).

#include "config/config.h"
#include "signaling/b2bua/settings.h"
#include "tools/sbcd/b2bua_settings.h"
#include "tools/sbcd/trunks.h"

namespace sbc::b2bua {

inline Settings testSettings(const config::Config& config) {
  return sbcd::b2buaSettings(config, sbcd::resolveTrunks(config.routes));
}

}  // namespace sbc::b2bua
