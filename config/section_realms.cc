// The realms section: listeners, advertised address, media range, topology hiding,
// header rules and limits of each realm, and the sockets and media ports they may not share.

#include <algorithm>
#include <string>
#include <vector>

#include "config/sections.h"
#include "mediaplane/api/address.h"
#include "signaling/sip/charset.h"
#include "signaling/sip/fields.h"
#include "topology/header_filter.h"

namespace sbc::config {
namespace {

using net::IpAddress;
using topology::builtinIdentityHeaders;
using topology::classifyHeader;
using topology::HeaderClass;
using topology::HeaderPolicy;
using topology::HeaderRule;
using topology::HeaderRules;
using topology::IdentityHeader;
using topology::isHeaderName;
using topology::isHeaderValue;
using topology::Listen;
using topology::MediaRange;
using topology::Realm;
using topology::RealmLimits;
using topology::Transport;
using topology::transportName;

constexpr auto kTransports = std::to_array<std::string_view>({"udp", "tcp"});
constexpr auto kPolicies = std::to_array<std::string_view>({"strip", "replace", "keep"});
constexpr auto kModes = std::to_array<std::string_view>({"whitelist", "blacklist"});
constexpr auto kTrust = std::to_array<std::string_view>({"untrusted", "trusted"});
constexpr auto kSdpIdentity = std::to_array<std::string_view>({"hide", "keep"});
// In the order of topology::SrtpMode.
constexpr auto kSrtpModes = std::to_array<std::string_view>({"off", "optional", "required"});

class RealmsSection : public Schema {
 public:
  void realms(const Entry& e, Config& config, const SipSettings& settings);
  void realm(const Entry& e, size_t index, Config& config, const SipSettings& settings);
  void listen(const Entry& e, const std::string& owner, Realm& realm);
  void media(const Entry& e, const std::string& owner, Realm& realm);
  void srtpSuites(const Entry& e, const std::string& owner, topology::RealmSrtp& out);
  bool codecList(const Entry& e, const std::string& owner, const std::string& key,
                 std::vector<std::string>& out);
  void identity(const Entry& e, const std::string& owner, const SipSettings& settings,
                Realm& realm);
  void headers(const Entry& e, const std::string& owner, Realm& realm);
  void limits(const Entry& e, const std::string& owner, RealmLimits& out);
  void bodies(const Entry& e, const std::string& owner, Realm& realm);

  RealmsSection(Schema& s, Notes& notes) : Schema(s), partialListen_(notes.partialListen) {}

 private:
  // What realms claimed so far, to find the same socket or media port twice.
  struct Bound {
    Transport transport;
    IpAddress ip;
    uint16_t port;
    std::string address;
    std::string realm;
    int line;
  };
  std::vector<Bound> bound_;
  struct MediaUse {
    IpAddress ip;
    MediaRange range;
    std::string realm;
  };
  std::vector<MediaUse> media_;
  // Names seen so far with the line of their definition, valid or not.
  std::vector<std::pair<std::string, int>> realmNames_;
  std::vector<std::string>& partialListen_;
};

void RealmsSection::realms(const Entry& e, Config& config, const SipSettings& settings) {
  if (!isList(e, "", "realms")) return;
  if (e.value.size() == 0) {
    error(e.mark, "", "realms is empty: define at least one realm");
    return;
  }
  size_t index = 0;
  for (const YAML::Node& item : e.value)
    realm(listItem(item, e.mark), ++index, config, settings);
}

void RealmsSection::realm(const Entry& e, size_t index, Config& config,
                          const SipSettings& settings) {
  std::string owner = ownerOf(e.value, "realm", index);
  Fields f(*this, e, owner, "",
           {"name", "listen", "advertised_address", "media", "topology_hiding", "headers", "limits",
            "trust", "bodies"});
  if (!f.valid()) return;
  Realm realm;
  bool named = false;
  if (auto name = uniqueName(f, owner, realmNames_)) {
    realm.name = *name;
    named = true;
  }
  if (const Entry* l = f.require("listen")) listen(*l, owner, realm);
  if (const Entry* a = f.get("advertised_address")) {
    if (auto s = address(*a, owner, "advertised_address", false)) realm.advertisedAddress = *s;
  } else if (!realm.listen.empty()) {
    const std::string& first = realm.listen.front().address;
    if (IpAddress::parse(first)->isUnspecified()) {
      error(f.mark(), owner,
            "advertised_address is required when the first listen address (" + first +
                ") is a wildcard");
    } else {
      realm.advertisedAddress = first;
    }
  }
  if (const Entry* m = f.get("media")) media(*m, owner, realm);
  identity(f.get("topology_hiding") ? *f.get("topology_hiding") : Entry{}, owner, settings, realm);
  if (const Entry* h = f.get("headers")) headers(*h, owner, realm);
  if (const Entry* l = f.get("limits")) limits(*l, owner, realm.limits);
  if (const Entry* t = f.get("trust")) {
    if (auto i = choice(*t, owner, "trust", kTrust)) realm.trust = static_cast<topology::Trust>(*i);
  }
  if (const Entry* b = f.get("bodies")) bodies(*b, owner, realm);
  if (named) config.realms.push_back(std::move(realm));
}

void RealmsSection::listen(const Entry& e, const std::string& owner, Realm& realm) {
  if (!isList(e, owner, "listen")) return;
  if (e.value.size() == 0) {
    error(e.mark, owner, "listen is empty: a realm needs at least one address to listen on");
    return;
  }
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    Fields f(*this, item, owner, "listen", {"transport", "address", "port"});
    if (!f.valid()) continue;
    Listen l;
    bool ok = true;
    if (const Entry* t = f.get("transport")) {
      auto i = choice(*t, owner, f.what("transport"), kTransports);
      ok = ok && i.has_value();
      if (i) l.transport = static_cast<Transport>(*i);
    }
    IpAddress ip;
    if (const Entry* a = f.require("address")) {
      auto s = address(*a, owner, f.what("address"), true, &ip);
      ok = ok && s.has_value();
      if (s) l.address = *s;
    } else {
      ok = false;
    }
    if (const Entry* p = f.get("port")) {
      auto n = number(*p, owner, f.what("port"), 1, 65535);
      ok = ok && n.has_value();
      if (n) l.port = uint16_t(*n);
    }
    if (!ok) {
      partialListen_.push_back(realm.name);
      continue;
    }
    // The same socket twice, or a wildcard over a specific address of the same family,
    // would fail to bind (or steal the other realm's traffic).
    std::string self =
        std::string(transportName(l.transport)) + " " + net::hostPort(l.address, l.port);
    for (const Bound& b : bound_) {
      if (b.transport != l.transport || b.port != l.port || b.ip.family != ip.family) continue;
      std::string where = "realm " + quote(b.realm) + " (line " + std::to_string(b.line) + ")";
      if (b.ip == ip) {
        error(item.mark, owner, "listen " + self + " is already used by " + where);
      } else if (b.ip.isUnspecified() || ip.isUnspecified()) {
        error(item.mark, owner,
              "listen " + self + " overlaps " + std::string(transportName(b.transport)) + " " +
                  net::hostPort(b.address, b.port) + " of " + where);
      } else {
        continue;
      }
      break;
    }
    bound_.push_back(Bound{l.transport, ip, l.port, l.address,
                           realm.name.empty() ? owner : realm.name, lineOf(item)});
    realm.listen.push_back(l);
  }
}

void RealmsSection::media(const Entry& e, const std::string& owner, Realm& realm) {
  Fields f(*this, e, owner, "media",
           {"address", "port_min", "port_max", "srtp", "srtp_suites", "codecs", "strip_codecs"});
  if (!f.valid()) return;
  MediaRange range;
  if (const Entry* m = f.get("srtp")) {
    if (auto i = choice(*m, owner, f.what("srtp"), kSrtpModes))
      range.srtp.mode = static_cast<topology::SrtpMode>(*i);
  }
  if (const Entry* l = f.get("srtp_suites")) srtpSuites(*l, owner, range.srtp);
  const Entry* allow = f.get("codecs");
  const Entry* strip = f.get("strip_codecs");
  bool codecsOk = true;
  if (allow) codecsOk = codecList(*allow, owner, "codecs", range.codecs.allow) && codecsOk;
  if (strip) codecsOk = codecList(*strip, owner, "strip_codecs", range.codecs.strip) && codecsOk;
  if (allow && codecsOk) {
    const bool audio =
        !std::all_of(range.codecs.allow.begin(), range.codecs.allow.end(),
                     [](const std::string& n) { return topology::carriesNoAudio(n); });
    if (range.codecs.allow.empty())
      error(allow->mark, owner, "media codecs is empty: list the codecs allowed, or leave it out");
    else if (!audio)
      error(allow->mark, owner,
            "media codecs lists no audio codec (telephone-event, CN and red carry none): every "
            "offer would be refused");
    for (const std::string& name : range.codecs.strip)
      if (std::find(range.codecs.allow.begin(), range.codecs.allow.end(), name) !=
          range.codecs.allow.end())
        error(strip->mark, owner,
              "media strip_codecs " + quote(name) + " is also in media codecs: one or the other");
  }
  IpAddress ip;
  bool ok = true;
  const Entry* a = f.require("address");
  const Entry* lo = f.require("port_min");
  const Entry* hi = f.require("port_max");
  if (a) {
    auto s = address(*a, owner, f.what("address"), false, &ip);
    ok = ok && s.has_value();
    if (s) range.address = *s;
  }
  if (lo) {
    auto n = number(*lo, owner, f.what("port_min"), 1, 65535);
    ok = ok && n.has_value();
    if (n) range.portMin = uint16_t(*n);
    if (n && *n % 2 != 0) {
      error(lo->mark, owner,
            "media port_min " + std::to_string(*n) +
                " must be even (RTP takes the even port, RTCP the odd one above it)");
      ok = false;
    }
  }
  if (hi) {
    auto n = number(*hi, owner, f.what("port_max"), 1, 65535);
    ok = ok && n.has_value();
    if (n) range.portMax = uint16_t(*n);
    if (n && *n % 2 == 0) {
      error(hi->mark, owner,
            "media port_max " + std::to_string(*n) +
                " must be odd, so that the range ends with a whole RTP/RTCP pair");
      ok = false;
    }
  }
  if (!a || !lo || !hi || !ok) return;
  if (range.portMin >= range.portMax) {
    error(lo->mark, owner,
          "media port_min " + std::to_string(range.portMin) + " must be below port_max " +
              std::to_string(range.portMax));
    return;
  }
  for (const MediaUse& u : media_) {
    if (u.ip == ip && range.portMin <= u.range.portMax && u.range.portMin <= range.portMax) {
      error(f.mark(), owner,
            "media ports " + std::to_string(range.portMin) + "-" + std::to_string(range.portMax) +
                " on " + range.address + " overlap realm " + quote(u.realm) + " (" +
                std::to_string(u.range.portMin) + "-" + std::to_string(u.range.portMax) + ")");
      return;
    }
  }
  media_.push_back(MediaUse{ip, range, realm.name.empty() ? owner : realm.name});
  realm.media = range;
}

// The SDES suite names (RFC 4568, RFC 7714), in preference order, each once.
void RealmsSection::srtpSuites(const Entry& e, const std::string& owner, topology::RealmSrtp& out) {
  if (!isList(e, owner, "media srtp_suites")) return;
  std::vector<std::string_view> names;
  for (size_t i = 0; i < static_cast<size_t>(mediaplane::SrtpSuite::kCount); ++i)
    names.push_back(mediaplane::srtpSuiteName(static_cast<mediaplane::SrtpSuite>(i)));
  std::vector<mediaplane::SrtpSuite> suites;
  bool ok = true;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    auto name = text(item, owner, "media srtp_suites");
    if (!name) {
      ok = false;
      continue;
    }
    std::optional<mediaplane::SrtpSuite> suite = mediaplane::srtpSuiteFromName(*name);
    if (!suite) {
      error(item.mark, owner,
            "media srtp_suites " + quote(*name) + " is not an SRTP suite (one of " + joined(names) +
                ")" + didYouMean(*name, names));
      ok = false;
      continue;
    }
    if (std::find(suites.begin(), suites.end(), *suite) != suites.end()) {
      error(item.mark, owner, "media srtp_suites " + quote(*name) + " appears twice");
      ok = false;
      continue;
    }
    suites.push_back(*suite);
  }
  if (ok && suites.empty()) {
    error(e.mark, owner,
          "media srtp_suites is empty: list at least one suite, or set media srtp: off");
    return;
  }
  if (ok) out.suites = std::move(suites);
}

// Codec names (topology::knownCodecNames, any case), each once: false after an error.
bool RealmsSection::codecList(const Entry& e, const std::string& owner, const std::string& key,
                              std::vector<std::string>& out) {
  const std::string what = "media " + key;
  if (!isList(e, owner, what)) return false;
  bool ok = true;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    auto name = text(item, owner, what);
    if (!name) {
      ok = false;
      continue;
    }
    std::optional<std::string_view> known = topology::canonicalCodecName(*name);
    if (!known) {
      error(item.mark, owner,
            what + " " + quote(*name) + " is not a codec this SBC knows (one of " +
                joined(topology::knownCodecNames()) + ")" +
                didYouMean(*name, topology::knownCodecNames()));
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), *known) != out.end()) {
      error(item.mark, owner, what + " " + quote(*name) + " appears twice");
      ok = false;
      continue;
    }
    out.emplace_back(*known);
  }
  return ok;
}

void RealmsSection::identity(const Entry& e, const std::string& owner, const SipSettings& settings,
                             Realm& realm) {
  Fields th(*this, e, owner, "topology_hiding", {"identity_headers", "sdp_identity"});
  if (const Entry* s = th.valid() ? th.get("sdp_identity") : nullptr) {
    if (auto i = choice(*s, owner, th.what("sdp_identity"), kSdpIdentity))
      realm.sdpIdentity = static_cast<topology::SdpIdentity>(*i);
  }
  const Entry* ih = th.valid() ? th.get("identity_headers") : nullptr;
  if (ih && !ih->value.IsMap()) {
    error(ih->mark, owner, "identity_headers must be a map of 'Header: policy' entries");
    ih = nullptr;
  }
  if (ih) {
    for (auto it = ih->value.begin(); it != ih->value.end(); ++it) {
      Entry entry = mapEntry(it->first, it->second);
      const YAML::Mark& at = it->first.Mark();
      if (!it->first.IsScalar() || !isHeaderName(it->first.Scalar())) {
        error(at, owner, "identity_headers: a key must be a header name");
        continue;
      }
      const std::string& name = it->first.Scalar();
      if (classifyHeader(name) == HeaderClass::kNeverCopied) {
        error(at, owner,
              "identity_headers " + quote(name) +
                  " never crosses between realms (the SBC builds it for each leg): remove it");
        continue;
      }
      auto dup =
          std::find_if(realm.identityHeaders.begin(), realm.identityHeaders.end(),
                       [&name](const IdentityHeader& h) { return sip::iequals(h.name, name); });
      if (dup != realm.identityHeaders.end()) {
        error(at, owner, "identity_headers " + quote(name) + " appears twice");
        continue;
      }
      IdentityHeader header{name, HeaderPolicy::kStrip, {}};
      std::string what = "identity_headers " + name;
      if (entry.value.IsMap()) {
        Fields r(*this, entry, owner, what, {"replace"});
        const Entry* v = r.require("replace");
        if (!r.valid() || !v) continue;
        auto s = text(*v, owner, what + " replace");
        if (!s) continue;
        if (s->empty() || !isHeaderValue(*s)) {
          error(v->mark, owner, what + " replace must be one line of printable text");
          continue;
        }
        header.policy = HeaderPolicy::kReplace;
        header.value = *s;
      } else {
        auto i = choice(entry, owner, what, kPolicies);
        if (!i) continue;
        header.policy = static_cast<HeaderPolicy>(*i);
        if (header.policy == HeaderPolicy::kReplace) header.value = settings.userAgent;
      }
      realm.identityHeaders.push_back(std::move(header));
    }
  }
  // The built-in identity headers are always listed, so the loaded data says what happens.
  for (std::string_view builtin : builtinIdentityHeaders()) {
    bool named =
        std::any_of(realm.identityHeaders.begin(), realm.identityHeaders.end(),
                    [builtin](const IdentityHeader& h) { return sip::iequals(h.name, builtin); });
    if (!named)
      realm.identityHeaders.push_back(
          IdentityHeader{std::string(builtin), HeaderPolicy::kStrip, {}});
  }
}

void RealmsSection::headers(const Entry& e, const std::string& owner, Realm& realm) {
  Fields f(*this, e, owner, "headers", {"mode", "names", "rules"});
  if (!f.valid()) return;
  HeaderRules& out = realm.headers;
  if (const Entry* m = f.get("mode")) {
    if (auto i = choice(*m, owner, f.what("mode"), kModes))
      out.mode = static_cast<HeaderRules::Mode>(*i);
  }
  bool whitelist = out.mode == HeaderRules::Mode::kWhitelist;
  if (const Entry* n = f.get("names")) {
    out.names.clear();
    if (isList(*n, owner, f.what("names"))) {
      for (const YAML::Node& node : n->value) {
        Entry item = listItem(node, n->mark);
        auto name = text(item, owner, f.what("names"));
        if (!name) continue;
        if (!isHeaderName(*name)) {
          error(item.mark, owner, "headers names " + quote(*name) + " is not a header name");
          continue;
        }
        bool identity =
            classifyHeader(*name) == HeaderClass::kIdentity ||
            std::any_of(realm.identityHeaders.begin(), realm.identityHeaders.end(),
                        [&name](const IdentityHeader& h) { return sip::iequals(h.name, *name); });
        if (identity) {
          error(item.mark, owner,
                "headers names " + quote(*name) +
                    " is an identity header: set its policy under "
                    "topology_hiding.identity_headers instead");
          continue;
        }
        if (whitelist && classifyHeader(*name) == HeaderClass::kNeverCopied) {
          error(item.mark, owner,
                "headers names " + quote(*name) +
                    " never crosses between realms (the SBC builds it for each leg): remove it "
                    "from the whitelist");
          continue;
        }
        out.names.push_back(*name);
      }
    }
  } else if (!whitelist) {
    out.names.clear();  // a blacklist that names nothing lets every ordinary header cross
  }
  const Entry* rules = f.get("rules");
  if (!rules || !isList(*rules, owner, f.what("rules"))) return;
  size_t index = 0;
  for (const YAML::Node& node : rules->value) {
    Entry item = listItem(node, rules->mark);
    std::string what = "header rule " + std::to_string(++index);
    Fields r(*this, item, owner, what, {"add", "remove", "replace", "value"});
    if (!r.valid()) continue;
    HeaderRule rule;
    const Entry* target = nullptr;
    int actions = 0;
    for (auto [key, action] : {std::pair{"add", HeaderRule::Action::kAdd},
                               std::pair{"remove", HeaderRule::Action::kRemove},
                               std::pair{"replace", HeaderRule::Action::kReplace}}) {
      if (const Entry* t = r.get(key)) {
        ++actions;
        target = t;
        rule.action = action;
      }
    }
    if (actions != 1) {
      error(item.mark, owner, what + " needs exactly one of add, remove, replace");
      continue;
    }
    auto name = text(*target, owner, what);
    if (!name) continue;
    if (!isHeaderName(*name)) {
      error(target->mark, owner, what + ": " + quote(*name) + " is not a header name");
      continue;
    }
    if (classifyHeader(*name) == HeaderClass::kNeverCopied) {
      error(target->mark, owner,
            what + " may not edit " + quote(*name) + ": the SBC builds it for each leg");
      continue;
    }
    rule.header = *name;
    const Entry* v = r.get("value");
    if (rule.action == HeaderRule::Action::kRemove) {
      if (v) {
        error(v->mark, owner, what + " (remove " + *name + ") takes no value");
        continue;
      }
    } else {
      if (!v) {
        error(item.mark, owner,
              what + " (" + (rule.action == HeaderRule::Action::kAdd ? "add " : "replace ") +
                  *name + ") needs a value");
        continue;
      }
      auto value = text(*v, owner, what + " value");
      if (!value) continue;
      if (!isHeaderValue(*value)) {
        error(v->mark, owner, what + " value must be one line of printable text");
        continue;
      }
      rule.value = *value;
    }
    out.rules.push_back(std::move(rule));
  }
}

void RealmsSection::limits(const Entry& e, const std::string& owner, RealmLimits& out) {
  Fields f(
      *this, e, owner, "limits",
      {"max_calls", "tcp_max_connections", "tcp_idle_timeout_s", "tcp_header_timeout_s",
       "tcp_max_connections_per_source", "tcp_max_outbound_connections", "tcp_max_queued_bytes"});
  if (const Entry* v = f.get("max_calls")) {
    if (auto n = number(*v, owner, f.what("max_calls"), 0, 10000000)) out.maxCalls = uint32_t(*n);
  }
  if (const Entry* v = f.get("tcp_max_connections")) {
    if (auto n = number(*v, owner, f.what("tcp_max_connections"), 1, 1000000))
      out.tcpMaxConnections = uint32_t(*n);
  }
  if (const Entry* v = f.get("tcp_idle_timeout_s")) {
    if (auto n = number(*v, owner, f.what("tcp_idle_timeout_s"), 1, 86400))
      out.tcpIdleTimeout = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("tcp_header_timeout_s")) {
    if (auto n = number(*v, owner, f.what("tcp_header_timeout_s"), 1, 3600))
      out.tcpHeaderTimeout = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("tcp_max_connections_per_source")) {
    if (auto n = number(*v, owner, f.what("tcp_max_connections_per_source"), 1, 1000000))
      out.tcpMaxConnectionsPerSource = uint32_t(*n);
  }
  if (const Entry* v = f.get("tcp_max_outbound_connections")) {
    if (auto n = number(*v, owner, f.what("tcp_max_outbound_connections"), 1, 1000000))
      out.tcpMaxOutboundConnections = uint32_t(*n);
  }
  // At least two messages of the largest size the parser accepts (64 KB) must fit.
  if (const Entry* v = f.get("tcp_max_queued_bytes")) {
    if (auto n = number(*v, owner, f.what("tcp_max_queued_bytes"), 131072, 1073741824))
      out.tcpMaxQueuedBytes = uint32_t(*n);
  }
}

// Body types that may cross into the realm: plain "type/subtype" names. Multipart is
// not a type to allow: the SBC takes it apart and lets through the parts listed here.
void RealmsSection::bodies(const Entry& e, const std::string& owner, Realm& realm) {
  realm.bodies.clear();
  if (!isList(e, owner, "bodies")) return;
  for (const YAML::Node& node : e.value) {
    Entry item = listItem(node, e.mark);
    auto name = text(item, owner, "bodies");
    if (!name) continue;
    sip::MediaType type;
    if (sip::parseMediaType(*name, false, type) || !type.params.empty()) {
      error(item.mark, owner,
            "bodies " + quote(*name) + " is not a content type (type/subtype, no parameters)");
      continue;
    }
    if (sip::iequals(type.type, "multipart")) {
      error(item.mark, owner,
            "bodies " + quote(*name) +
                ": multipart bodies are taken apart, list the types of the parts to keep");
      continue;
    }
    bool dup = std::any_of(realm.bodies.begin(), realm.bodies.end(),
                           [&name](const std::string& b) { return sip::iequals(b, *name); });
    if (dup) {
      error(item.mark, owner, "bodies " + quote(*name) + " appears twice");
      continue;
    }
    realm.bodies.push_back(*name);
  }
}

}  // namespace

void loadRealms(Schema& schema, const Entry& e, Config& config, Notes& notes) {
  RealmsSection(schema, notes).realms(e, config, config.sip);
}

}  // namespace sbc::config
