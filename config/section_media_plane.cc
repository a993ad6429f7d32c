// The media_plane section: the DPDK relay (EAL, lcores, one interface per anchoring
// realm, source policy, timeouts, sizes).

#include <algorithm>
#include <string>
#include <vector>

#include <map>
#include "config/sections.h"

#include "mediaplane/api/address.h"
#include "mediaplane/relay_settings.h"

namespace sbc::config {
namespace {

using net::IpAddress;
using topology::Realm;

class MediaPlaneSection : public Schema {
 public:
  void mediaPlane(const Entry& e, Config& config);
  void mediaInterface(const Entry& e, size_t index, Config& config);

  MediaPlaneSection(Schema& s, Notes& notes)
      : Schema(s), mediaPlaneComplete_(notes.mediaPlaneComplete) {}

 private:
  // Where validate()'s problems go: the key they are about, else the nearest map.
  YAML::Mark markOf(const mediaplane::Problem& p, const YAML::Mark& section) const;

  bool& mediaPlaneComplete_;
  std::map<std::string, YAML::Mark> keys_;                     // of media_plane
  std::vector<std::map<std::string, YAML::Mark>> interfaces_;  // per loaded interface; "" = it
};

void MediaPlaneSection::mediaPlane(const Entry& e, Config& config) {
  const std::string owner = "media_plane";
  size_t errorsBefore = errorCount();
  MediaPlaneSettings& out = config.mediaPlane;
  out.enabled = true;
  Fields f(*this, e, owner, "",
           {"eal", "lcores", "interfaces", "strict_source", "media_timeout_s", "port_quarantine_ms",
            "max_sessions"});
  if (!f.valid()) {
    mediaPlaneComplete_ = false;
    return;
  }
  if (const Entry* v = f.get("eal")) {
    if (isList(*v, owner, "eal")) {
      for (const YAML::Node& node : v->value) {
        Entry item = listItem(node, v->mark);
        if (auto arg = text(item, owner, "eal")) out.eal.push_back(*arg);
      }
    }
  }
  out.lcores = {1};  // the first worker after main lcore 0, as DPDK numbers them by default
  for (std::string_view key : {"interfaces", "lcores", "max_sessions"}) {
    if (const Entry* v = f.get(key)) keys_.emplace(std::string(key), v->mark);
  }
  if (const Entry* v = f.get("lcores")) {
    if (isList(*v, owner, "lcores")) {
      out.lcores.clear();
      for (const YAML::Node& node : v->value) {
        Entry item = listItem(node, v->mark);
        auto n = number(item, owner, "lcores", 0, 1023);
        if (!n) continue;
        if (std::find(out.lcores.begin(), out.lcores.end(), unsigned(*n)) != out.lcores.end()) {
          error(item.mark, owner, "lcores " + std::to_string(*n) + " is listed twice");
          continue;
        }
        out.lcores.push_back(unsigned(*n));
      }
      if (v->value.size() == 0)
        error(v->mark, owner, "lcores is empty: the relay needs at least one worker lcore");
    }
  }
  if (const Entry* v = f.require("interfaces")) {
    if (isList(*v, owner, "interfaces")) {
      if (v->value.size() == 0)
        error(v->mark, owner, "interfaces is empty: give each anchoring realm one interface");
      size_t index = 0;
      for (const YAML::Node& node : v->value)
        mediaInterface(listItem(node, v->mark), ++index, config);
    }
  }
  if (const Entry* v = f.get("strict_source")) {
    if (auto b = choice(*v, owner, "strict_source", kBooleans)) out.strictSource = *b == 0;
  }
  if (const Entry* v = f.get("media_timeout_s")) {
    if (auto n = number(*v, owner, "media_timeout_s", 0, 86400))
      out.mediaTimeout = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("port_quarantine_ms")) {
    if (auto n = number(*v, owner, "port_quarantine_ms", 0, 600000))
      out.portQuarantine = std::chrono::milliseconds(*n);
  }
  if (const Entry* v = f.get("max_sessions")) {
    if (auto n = number(*v, owner, "max_sessions", 1, 4194304)) out.maxSessions = uint32_t(*n);
  }
  mediaPlaneComplete_ = errorCount() == errorsBefore;
  if (!mediaPlaneComplete_) return;
  // The relay's own rules (mediaplane/relay_settings.h), which dpdk::validateConfig runs at
  // start: what the checks above let through is reported here, at its key.
  for (const mediaplane::Problem& p : mediaplane::validate(relaySettingsOf(config)))
    error(markOf(p, f.mark()), owner, p.message);
  mediaPlaneComplete_ = errorCount() == errorsBefore;
}

YAML::Mark MediaPlaneSection::markOf(const mediaplane::Problem& p,
                                     const YAML::Mark& section) const {
  using Key = mediaplane::Problem::Key;
  auto find = [](const std::map<std::string, YAML::Mark>& marks, const std::string& key,
                 const YAML::Mark& fallback) {
    auto it = marks.find(key);
    return it != marks.end() ? it->second : fallback;
  };
  if (p.interface && *p.interface < interfaces_.size()) {
    const auto& marks = interfaces_[*p.interface];
    YAML::Mark item = find(marks, "", section);
    switch (p.key) {
      case Key::kRealm:
      case Key::kAddress:  // the realm's media address
        return find(marks, "realm", item);
      case Key::kDevice:
        return find(marks, "device", item);
      case Key::kPrefixLength:
        return find(marks, "prefix_length", item);
      case Key::kGateway:
        return find(marks, "gateway", item);
      case Key::kMac:
        return find(marks, "mac", item);
      default:
        return item;
    }
  }
  switch (p.key) {
    case Key::kLcores:
      return find(keys_, "lcores", section);
    case Key::kMaxSessions:
      return find(keys_, "max_sessions", section);
    default:
      return find(keys_, "interfaces", section);
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
  const Realm* realm = nullptr;
  IpAddress media;
  if (const Entry* v = f.require("realm")) {
    if (auto s = text(*v, owner, "realm")) {
      realm = config.realm(*s);
      std::vector<std::string_view> names;
      for (const Realm& r : config.realms)
        names.push_back(r.name);
      auto taken =
          std::find_if(config.mediaPlane.interfaces.begin(), config.mediaPlane.interfaces.end(),
                       [&s](const MediaInterface& i) { return i.realm == *s; });
      if (!realm) {
        error(v->mark, owner,
              "realm " + quote(*s) + " is not a defined realm" + didYouMean(*s, names));
      } else if (!realm->media) {
        error(v->mark, owner,
              "realm " + quote(*s) +
                  " has no media range: add media: { address, port_min, port_max } to it");
        realm = nullptr;
      } else if (taken != config.mediaPlane.interfaces.end()) {
        error(v->mark, owner, "realm " + quote(*s) + " has an interface already: one per realm");
        realm = nullptr;
      } else {
        media = *IpAddress::parse(realm->media->address);
        if (media.family != 4) {
          error(v->mark, owner,
                "realm " + quote(*s) + " has an IPv6 media address: the media plane relays " +
                    "IPv4 only for now");
          realm = nullptr;
        }
      }
      out.realm = *s;
    }
  }
  if (const Entry* v = f.require("device")) {
    auto s = text(*v, owner, "device");
    if (s && s->empty()) error(v->mark, owner, "device needs a value");
    if (s && !s->empty()) {
      auto same =
          std::find_if(config.mediaPlane.interfaces.begin(), config.mediaPlane.interfaces.end(),
                       [&s](const MediaInterface& i) { return i.device == *s; });
      if (same != config.mediaPlane.interfaces.end()) {
        error(v->mark, owner,
              "device " + quote(*s) + " is used by the interface of realm " + quote(same->realm));
      }
      out.device = *s;
    }
  }
  if (const Entry* v = f.get("prefix_length")) {
    auto n = number(*v, owner, "prefix_length", 1, 32);
    if (n) out.prefixLength = uint8_t(*n);
  }
  if (const Entry* v = f.get("gateway")) {
    IpAddress gateway;
    auto s = address(*v, owner, "gateway", false, &gateway);
    if (s && realm && gateway == media) {
      error(v->mark, owner, "gateway " + *s + " is the realm's media address itself");
    } else if (s && realm && !gateway.inSubnet(media, out.prefixLength)) {
      error(v->mark, owner,
            "gateway " + *s + " is outside " + realm->media->address + "/" +
                std::to_string(out.prefixLength) +
                " (the realm's media address and prefix_length): the relay reaches its "
                "gateway on the link");
    } else if (s) {
      out.gateway = *s;
    }
  }
  if (const Entry* v = f.get("mac")) {
    if (auto s = text(*v, owner, "mac")) {
      std::optional<net::MacAddress> mac = net::parseMac(*s);
      if (!mac) {
        error(v->mark, owner,
              "mac " + quote(*s) + " is not a MAC address (six hex bytes: 02:00:5e:00:53:01)");
      } else if (!net::isUnicast(*mac)) {
        error(v->mark, owner, "mac " + quote(*s) + " is not a unicast address");
      } else {
        out.mac = *s;
      }
    }
  }
  // Kept even when partial, so that routes are not also blamed for its realm.
  if (!out.realm.empty()) {
    config.mediaPlane.interfaces.push_back(out);
    std::map<std::string, YAML::Mark> marks{{"", e.mark}};
    for (std::string_view key : {"realm", "device", "prefix_length", "gateway", "mac"}) {
      if (const Entry* v = f.get(key)) marks.emplace(std::string(key), v->mark);
    }
    interfaces_.push_back(std::move(marks));
  }
}

}  // namespace

mediaplane::RelaySettings relaySettingsOf(const Config& config) {
  const MediaPlaneSettings& m = config.mediaPlane;
  mediaplane::RelaySettings out;
  out.eal = m.eal;
  out.lcores = m.lcores;
  out.strictSource = m.strictSource;
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
