#pragma once

// The sections of the configuration, one file each (section_*.cc), and what they leave
// for the sections read after them. Internal to config/. A new section is a new file with
// one of these functions plus one line in the table of loader.cc.

#include <string>
#include <vector>

#include "config/config.h"
#include "config/schema.h"

namespace sbc::config {

// What one section tells those read after it (and the cross-section checks).
struct Notes {
  std::vector<std::string> partialListen;  // realms with a listen entry in error
  struct RouteInfo {
    std::string name;
    YAML::Mark mark;
    bool matchComplete;    // its match section loaded without error
    YAML::Mark mediaMark;  // its media key, else the route: where anchoring errors point
  };
  std::vector<RouteInfo> routeInfo;  // parallel to Config::routes
  bool mediaPlaneGiven = false;
  bool mediaPlaneComplete = true;  // media_plane loaded without error (or is absent)
};

// Reads `e` (the section's value) into `config`, reporting problems through `schema`.
using SectionLoader = void (*)(Schema& schema, const Entry& e, Config& config, Notes& notes);

void loadLog(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadMetrics(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadSip(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadRealms(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadMediaPlane(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadRoutes(Schema& schema, const Entry& e, Config& config, Notes& notes);
void loadOverload(Schema& schema, const Entry& e, Config& config, Notes& notes);

}  // namespace sbc::config
