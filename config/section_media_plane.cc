// The media_plane section: the DPDK relay (EAL, lcores, one interface per anchoring
// realm, source policy, timeouts, sizes).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/sections.h"

#include "mediaplane/api/address.h"
#include "mediaplane/relay_settings.h"

namespace sbc::config {
namespace {

using net::IpAddress;
using topology::Realm;

// Reads the section into plain settings and leaves every rule about their values to
// mediaplane::validate(), the relay's own validator: this file checks only what YAML can
// get wrong (keys, types, text forms) and what needs other sections (the realm exists and
// has a media range). validate()'s problems are reported at the key they are about.
class MediaPlaneSection : public Schema {
 public:
  MediaPlaneSection(Schema& s, Notes& notes)
      : Schema(s), mediaPlaneComplete_(notes.mediaPlaneComplete) {}

  void mediaPlane(const Entry& e, Config& config);

 private:
  // Where a key was written, and whether reading it failed (then validate() has only a
  // default to judge, and the reader's own error says enough).
  struct Key {
    YAML::Mark mark;
    bool failed = false;
  };
  using Keys = std::map<std::string, Key>;  // "" is the map itself

  void mediaInterface(const Entry& e, size_t index, Config& config);
  // Where validate()'s problem goes; nullopt when a reader's error already covers it.
  std::optional<YAML::Mark> markOf(const mediaplane::Problem& p, const YAML::Mark& section) const;
  // Reads `key` of `f` with `read`, noting its mark and whether it added an error.
  template <typename Read>
  void read(Fields& f, std::string_view key, Keys& keys, Read read);

  bool& mediaPlaneComplete_;
  Keys keys_;                           // of media_plane
  std::vector<YAML::Mark> lcoreMarks_;  // parallel to the lcores read
  std::vector<Keys> interfaces_;        // parallel to the interfaces read
};

template <typename Read>
void MediaPlaneSection::read(Fields& f, std::string_view key, Keys& keys, Read read) {
  const Entry* v = f.get(key);
  if (!v) return;
  size_t before = errorCount();
  read(*v);
  keys[std::string(key)] = Key{v->mark, errorCount() != before};
}

void MediaPlaneSection::mediaPlane(const Entry& e, Config& config) {
  const std::string owner = "media_plane";
  size_t errorsBefore = errorCount();
  MediaPlaneSettings& out = config.mediaPlane;
  out.enabled = true;
  Fields f(*this, e, owner, "",
           {"eal", "lcores", "interfaces", "strict_source", "latching", "latch_handover_ms",
            "media_timeout_s", "port_quarantine_ms", "max_sessions"});
  if (!f.valid()) {
    mediaPlaneComplete_ = false;
    return;
  }
  read(f, "eal", keys_, [&](const Entry& v) {
    if (!isList(v, owner, "eal")) return;
    for (const YAML::Node& node : v.value) {
      Entry item = listItem(node, v.mark);
      if (auto arg = text(item, owner, "eal")) out.eal.push_back(*arg);
    }
  });
  out.lcores = {1};  // the first worker after main lcore 0, as DPDK numbers them by default
  read(f, "lcores", keys_, [&](const Entry& v) {
    if (!isList(v, owner, "lcores")) return;
    out.lcores.clear();
    for (const YAML::Node& node : v.value) {
      Entry item = listItem(node, v.mark);
      if (auto n = number(item, owner, "lcores", 0, 1023)) {
        out.lcores.push_back(unsigned(*n));
        lcoreMarks_.push_back(item.mark);
      }
    }
  });
  if (!f.require("interfaces")) keys_["interfaces"] = Key{f.mark(), true};
  read(f, "interfaces", keys_, [&](const Entry& v) {
    if (!isList(v, owner, "interfaces")) return;
    size_t index = 0;
    for (const YAML::Node& node : v.value)
      mediaInterface(listItem(node, v.mark), ++index, config);
  });
  read(f, "strict_source", keys_, [&](const Entry& v) {
    if (auto b = choice(v, owner, "strict_source", kBooleans)) out.strictSource = *b == 0;
  });
  read(f, "latching", keys_, [&](const Entry& v) {
    static constexpr auto kLatching =
        std::to_array<std::string_view>({"learning", "learning_any_address", "first"});
    if (auto i = choice(v, owner, "latching", kLatching))
      out.latching = static_cast<mediaplane::Latching>(*i);
  });
  read(f, "latch_handover_ms", keys_, [&](const Entry& v) {
    // The latch word's clock wraps after 512 s (dpdk/relay_target.h): stay well inside.
    if (auto n = number(v, owner, "latch_handover_ms", 0, 60000))
      out.latchHandover = std::chrono::milliseconds(*n);
  });
  read(f, "media_timeout_s", keys_, [&](const Entry& v) {
    if (auto n = number(v, owner, "media_timeout_s", 0, 86400))
      out.mediaTimeout = std::chrono::seconds(*n);
  });
  read(f, "port_quarantine_ms", keys_, [&](const Entry& v) {
    if (auto n = number(v, owner, "port_quarantine_ms", 0, 600000))
      out.portQuarantine = std::chrono::milliseconds(*n);
  });
  read(f, "max_sessions", keys_, [&](const Entry& v) {
    if (auto n = number(v, owner, "max_sessions", 0, UINT32_MAX)) out.maxSessions = uint32_t(*n);
  });
  mediaplane::RelaySettings settings = relaySettingsOf(config);
  for (const mediaplane::Problem& p : mediaplane::validate(settings)) {
    if (std::optional<YAML::Mark> at = markOf(p, f.mark()))
      error(*at, mediaplane::ownerOf(p, settings), p.message);
  }
  mediaPlaneComplete_ = errorCount() == errorsBefore;
}

std::optional<YAML::Mark> MediaPlaneSection::markOf(const mediaplane::Problem& p,
                                                    const YAML::Mark& section) const {
  using K = mediaplane::Problem::Key;
  auto at = [](const Keys& keys, const std::string& key,
               const YAML::Mark& fallback) -> std::optional<YAML::Mark> {
    auto it = keys.find(key);
    if (it == keys.end()) return fallback;
    if (it->second.failed) return std::nullopt;
    return it->second.mark;
  };
  if (p.interface) {
    if (*p.interface >= interfaces_.size()) return section;
    const Keys& keys = interfaces_[*p.interface];
    YAML::Mark item = keys.at("").mark;
    // The interface's realm is not usable (not defined, no media range): said already.
    if (keys.at("realm").failed) return std::nullopt;
    switch (p.key) {
      case K::kRealm:
      case K::kAddress:  // the realm's media address
        return at(keys, "realm", item);
      case K::kDevice:
        return at(keys, "device", item);
      case K::kPrefixLength:
        return at(keys, "prefix_length", item);
      case K::kGateway:
        return at(keys, "gateway", item);
      case K::kMac:
        return at(keys, "mac", item);
      default:
        return item;
    }
  }
  switch (p.key) {
    case K::kLcores:
      if (p.item && *p.item < lcoreMarks_.size()) return lcoreMarks_[*p.item];
      return at(keys_, "lcores", section);
    case K::kMaxSessions:
      return at(keys_, "max_sessions", section);
    default: {
      // "interfaces is empty" only when the list really is: entries that failed to read
      // have their own errors.
      auto it = keys_.find("interfaces");
      if (it == keys_.end() || it->second.failed) return std::nullopt;
      return it->second.mark;
    }
  }
}

void MediaPlaneSection::mediaInterface(const Entry& e, size_t index, Config& config) {
  // "media_plane interface 'access'" when it names a realm usably, else by position.
  std::string owner = "media_plane interface #" + std::to_string(index);
  if (e.value.IsMap()) {
    for (auto it = e.value.begin(); it != e.value.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "realm" && it->second.IsScalar() &&
          !it->second.Scalar().empty() && isName(it->second.Scalar())) {
        owner = "media_plane interface " + quote(it->second.Scalar());
      }
    }
  }
  Fields f(*this, e, owner, "", {"realm", "device", "prefix_length", "gateway", "mac"});
  if (!f.valid()) return;
  MediaInterface out;
  Keys keys{{"", Key{e.mark, false}}};
  if (!f.require("realm")) keys["realm"] = Key{e.mark, true};
  read(f, "realm", keys, [&](const Entry& v) {
    std::optional<std::string> s = text(v, owner, "realm");
    if (!s) return;
    out.realm = *s;
    const Realm* realm = config.realm(*s);
    std::vector<std::string_view> names;
    for (const Realm& r : config.realms)
      names.push_back(r.name);
    if (!realm) {
      error(v.mark, owner,
            "realm " + quote(*s) + " is not a defined realm" + didYouMean(*s, names));
    } else if (!realm->media) {
      error(v.mark, owner,
            "realm " + quote(*s) +
                " has no media range: add media: { address, port_min, port_max } to it");
    }
  });
  if (!f.require("device")) keys["device"] = Key{e.mark, true};
  read(f, "device", keys, [&](const Entry& v) {
    std::optional<std::string> s = text(v, owner, "device");
    if (s && s->empty()) error(v.mark, owner, "device needs a value");
    if (s) out.device = *s;
  });
  read(f, "prefix_length", keys, [&](const Entry& v) {
    if (auto n = number(v, owner, "prefix_length", 0, 255)) out.prefixLength = uint8_t(*n);
  });
  read(f, "gateway", keys, [&](const Entry& v) {
    if (auto s = address(v, owner, "gateway", false)) out.gateway = *s;
  });
  read(f, "mac", keys, [&](const Entry& v) {
    std::optional<std::string> s = text(v, owner, "mac");
    if (!s) return;
    if (!net::parseMac(*s)) {
      error(v.mark, owner,
            "mac " + quote(*s) + " is not a MAC address (six hex bytes: 02:00:5e:00:53:01)");
    } else {
      out.mac = *s;
    }
  });
  // Kept even when partial, so that routes are not also blamed for its realm.
  if (!out.realm.empty()) {
    config.mediaPlane.interfaces.push_back(out);
    interfaces_.push_back(std::move(keys));
  }
}

}  // namespace

mediaplane::RelaySettings relaySettingsOf(const Config& config) {
  const MediaPlaneSettings& m = config.mediaPlane;
  mediaplane::RelaySettings out;
  out.eal = m.eal;
  out.lcores = m.lcores;
  out.strictSource = m.strictSource;
  out.latching = m.latching;
  out.latchHandover = m.latchHandover;
  out.mediaTimeout = m.mediaTimeout;
  out.portQuarantine = m.portQuarantine;
  out.maxSessions = m.maxSessions;
  for (const MediaInterface& i : m.interfaces) {
    mediaplane::RelayInterface itf;
    itf.realm = i.realm;
    itf.device = i.device;
    itf.prefixLength = i.prefixLength;
    const Realm* realm = config.realm(i.realm);
    if (realm && realm->media) {
      if (auto address = IpAddress::parse(realm->media->address)) itf.address = *address;
    }
    if (!i.gateway.empty()) itf.gateway = IpAddress::parse(i.gateway);
    if (!i.mac.empty()) itf.mac = net::parseMac(i.mac);
    out.interfaces.push_back(std::move(itf));
  }
  return out;
}

void loadMediaPlane(Schema& schema, const Entry& e, Config& config, Notes& notes) {
  notes.mediaPlaneGiven = true;
  MediaPlaneSection(schema, notes).mediaPlane(e, config);
}

}  // namespace sbc::config
