// The metrics section: the Prometheus endpoint.

#include <algorithm>
#include <string>
#include <vector>

#include "config/sections.h"

namespace sbc::config {
namespace {

class MetricsSection : public Schema {
 public:
  void metrics(const Entry& e, MetricsSettings& out);

  explicit MetricsSection(Schema& s) : Schema(s) {}
};

void MetricsSection::metrics(const Entry& e, MetricsSettings& out) {
  const std::string owner = "metrics";
  out.enabled = true;
  Fields f(*this, e, owner, "", {"enabled", "address", "port", "basic_auth"});
  if (!f.valid()) return;
  if (const Entry* v = f.get("enabled")) {
    if (auto b = choice(*v, owner, "enabled", kBooleans)) out.enabled = *b == 0;
  }
  if (const Entry* v = f.get("address")) {
    if (auto a = address(*v, owner, "address", true)) out.address = *a;
  }
  if (const Entry* v = f.get("port")) {
    if (auto n = number(*v, owner, "port", 1, 65535)) out.port = uint16_t(*n);
  }
  if (const Entry* v = f.get("basic_auth")) {
    Fields a(*this, *v, owner, "basic_auth", {"username", "password"});
    if (!a.valid()) return;
    const Entry* user = a.require("username");
    const Entry* password = a.require("password");
    if (user) {
      if (auto t = text(*user, owner, a.what("username"))) out.username = *t;
    }
    if (password) {
      if (auto t = text(*password, owner, a.what("password"))) out.password = *t;
    }
    if (user && password &&
        (out.username.empty() || out.password.empty() ||
         out.username.find(':') != std::string::npos)) {
      error(v->mark, owner,
            "basic_auth needs a non-empty username (without ':') and a non-empty password");
    }
  }
}

}  // namespace

void loadMetrics(Schema& schema, const Entry& e, Config& config, Notes&) {
  MetricsSection(schema).metrics(e, config.metrics);
}

}  // namespace sbc::config
