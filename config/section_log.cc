// The log section: the level.

#include <algorithm>
#include <string>
#include <vector>

#include "config/sections.h"

namespace sbc::config {
namespace {

constexpr auto kLogLevels =
    std::to_array<std::string_view>({"trace", "debug", "info", "warn", "error"});

class LogSection : public Schema {
 public:
  void log(const Entry& e, LogSettings& out);

  explicit LogSection(Schema& s) : Schema(s) {}
};

void LogSection::log(const Entry& e, LogSettings& out) {
  Fields f(*this, e, "log", "", {"level"});
  if (const Entry* level = f.get("level")) {
    if (auto i = choice(*level, "log", "level", kLogLevels)) out.level = kLogLevels[*i];
  }
}

}  // namespace

void loadLog(Schema& schema, const Entry& e, Config& config, Notes&) {
  LogSection(schema).log(e, config.log);
}

}  // namespace sbc::config
