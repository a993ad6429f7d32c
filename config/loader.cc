#include "config/loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/sections.h"

namespace sbc::config {

const topology::Realm* Config::realm(std::string_view name) const {
  for (const topology::Realm& r : realms) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string ConfigError::toString() const {
  if (line <= 0) return message;
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

namespace {

// A configuration is a few kilobytes; anything near this is not one.
constexpr size_t kMaxConfigBytes = 1 << 20;

// The sections, in the order they are read whatever the file's order: realms need sip
// settings (user_agent), the media plane and routes need realms, and anchoring routes need
// the media plane. Errors are sorted by position afterwards.
struct Section {
  std::string_view key;
  SectionLoader load;
  bool required = false;
};
constexpr Section kSections[] = {
    {"log", loadLog},
    {"metrics", loadMetrics},
    {"sip", loadSip},
    {"realms", loadRealms, true},
    {"media_plane", loadMediaPlane},
    {"routes", loadRoutes},
    {"overload", loadOverload},  // names realms and routes
};

// The top-level walk and the checks that span sections.
class Loader : public Schema {
 public:
  using Schema::Schema;

  void load(const YAML::Node& root, Config& config);

 private:
  void anchoredRoutes(const Config& config);

  Notes notes_;
};

void Loader::load(const YAML::Node& root, Config& config) {
  Entry top = listItem(root, YAML::Mark());
  if (root.IsNull()) {
    error(YAML::Mark::null_mark(), "", "the configuration is empty: it needs at least 'realms'");
    return;
  }
  std::vector<std::string_view> keys;
  for (const Section& s : kSections)
    keys.push_back(s.key);
  Fields f(*this, top, "", "", keys);
  if (!f.valid()) return;
  for (const Section& s : kSections) {
    if (const Entry* e = s.required ? f.require(s.key) : f.get(s.key))
      s.load(*this, *e, config, notes_);
  }
  anchoredRoutes(config);
}

void Loader::anchoredRoutes(const Config& config) {
  auto hasInterface = [&config](const std::string& realm) {
    const auto& list = config.mediaPlane.interfaces;
    return std::any_of(list.begin(), list.end(),
                       [&realm](const MediaInterface& i) { return i.realm == realm; });
  };
  for (size_t i = 0; i < config.routes.size(); ++i) {
    const topology::Route& r = config.routes[i];
    if (r.action != topology::Route::Action::kForward || r.media != topology::Route::Media::kAnchor)
      continue;
    std::string owner = "route " + quote(r.name);
    const YAML::Mark& at = notes_.routeInfo[i].mediaMark;
    if (!notes_.mediaPlaneGiven) {
      error(at, owner,
            "anchors media (the default for forward routes) but there is no media_plane: set "
            "media: bypass or configure media_plane");
      continue;
    }
    if (!notes_.mediaPlaneComplete) continue;  // its own errors say enough
    std::vector<std::string> sources;
    if (!r.match.sourceRealm.empty()) {
      sources.push_back(r.match.sourceRealm);
    } else {
      for (const topology::Realm& realm : config.realms)
        sources.push_back(realm.name);
    }
    std::string missing;
    for (const std::string& realm : sources) {
      if (!hasInterface(realm)) {
        missing = realm;
        break;
      }
    }
    if (!missing.empty()) {
      error(at, owner,
            std::string("anchors media ") +
                (r.match.sourceRealm.empty() ? "from any realm" : "from realm " + quote(missing)) +
                " but realm " + quote(missing) +
                " has no media_plane interface: set media: bypass or configure media_plane with "
                "an interface for " +
                quote(missing));
      continue;
    }
    if (config.realm(r.trunk.realm) != nullptr && !hasInterface(r.trunk.realm)) {
      error(at, owner,
            "anchors media into realm " + quote(r.trunk.realm) +
                ", which has no media_plane interface: set media: bypass or configure "
                "media_plane with an interface for " +
                quote(r.trunk.realm));
    }
  }
}

// Only reports where documents start: enough to find a second one.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

struct DocumentCount {
  size_t documents = 0;  // 0, 1 or 2 (= more than one)
  YAML::Mark second;     // where the second one starts
  bool stuck = false;    // the parser stopped advancing (see below)
};

// YAML::LoadAll is not safe on arbitrary text: yaml-cpp 0.7 returns an endless run of
// empty documents, all starting at the same place, for a stray ',' at the top of a
// document, and LoadAll collects them until memory runs out. Reading at most two
// documents, and noticing a start that does not move, is.
DocumentCount countDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  DocumentCount count;
  while (count.documents < 2 && parser.HandleNextDocument(handler))
    ++count.documents;
  if (handler.starts.size() >= 2) {
    count.second = handler.starts[1];
    count.stuck = handler.starts[1].pos == handler.starts[0].pos;
  }
  return count;
}

LoadResult finish(Config config, std::vector<ConfigError> errors) {
  // Sections are read in dependency order; operators read files top to bottom.
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  LoadResult result;
  if (errors.empty()) result.config = std::move(config);
  result.errors = std::move(errors);
  return result;
}

}  // namespace

LoadResult parseConfig(std::string_view yamlText) {
  std::vector<ConfigError> errors;
  Config config;
  auto fail = [&errors](const YAML::Mark& at, std::string message) {
    ConfigError e;
    if (!at.is_null()) {
      e.line = at.line + 1;
      e.column = at.column + 1;
    }
    e.message = std::move(message);
    errors.push_back(std::move(e));
  };
  try {
    std::string text(yamlText);
    DocumentCount count = countDocuments(text);
    if (count.stuck) {
      fail(count.second,
           "YAML syntax error: cannot read past this point (a ',' outside [...] or "
           "{...}?)");
    } else if (count.documents > 1) {
      fail(count.second, "a second YAML document starts here: the configuration is one document");
    } else {
      Loader loader(errors);
      loader.load(YAML::Load(text), config);
    }
  } catch (const YAML::ParserException& e) {
    fail(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    fail(e.mark, "cannot read the configuration: " + e.msg);
  } catch (const std::exception& e) {
    fail(YAML::Mark::null_mark(), std::string("cannot read the configuration: ") + e.what());
  }
  return finish(std::move(config), std::move(errors));
}

LoadResult loadConfigFile(const std::string& path) {
  LoadResult result;
  auto fail = [&result, &path](std::string why) {
    result.errors.push_back(ConfigError{0, 0, "cannot read " + path + ": " + why});
    return result;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::strerror(errno));
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) return fail("larger than 1 MiB, not a configuration");
  }
  if (in.bad()) return fail(std::strerror(errno));
  return parseConfig(text);
}

}  // namespace sbc::config
