#pragma once

// Loading a test configuration from YAML text, as the daemon does, for the tests that
// need realms and routes (or that test the loader itself).

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace sbc::config::testing {

// Every error of a load as "line L, column C: message".
inline std::vector<std::string> errorLines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const ConfigError& e : r.errors)
    out.push_back(e.toString());
  return out;
}

// A configuration that must load: a failure names every error.
inline Config loadOk(std::string_view yaml) {
  LoadResult r = parseConfig(yaml);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  return r.config.value_or(Config{});
}

}  // namespace sbc::config::testing
