#pragma once

// Reads the YAML configuration into a Config, reporting every problem found with its line
// and column, in file order. The top-level walk and the checks that span sections live in
// loader.cc; each section has its own file (section_*.cc) on the shared schema helper
// (schema.h).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace sbc::config {

struct ConfigError {
  int line = 0;  // 1-based; 0 when not tied to a line
  int column = 0;
  std::string message;
  std::string toString() const;  // "line 12, column 5: ..."
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;  // every problem found, in file order
  bool ok() const { return config.has_value() && errors.empty(); }
};

LoadResult loadConfigFile(const std::string& path);
LoadResult parseConfig(std::string_view yamlText);

}  // namespace sbc::config
