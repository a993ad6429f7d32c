#include "topology/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <span>
#include <sstream>

#include "mediaplane/api/address.h"
#include "signaling/sip/charset.h"
#include "signaling/sip/message.h"
#include "signaling/sip/response.h"
#include "signaling/sip/uri.h"
#include "topology/header_filter.h"
#include "topology/route_table.h"

namespace sbc::topology {

std::string_view transportName(Transport t) {
  return t == Transport::kTcp ? "tcp" : "udp";
}

std::vector<std::string> defaultHeaderWhitelist() {
  // End-to-end semantics without addresses in them: capabilities, session timer, event
  // packages, call meta-data. docs/CONFIG.md explains each choice.
  return {"Accept",
          "Accept-Encoding",
          "Accept-Language",
          "Allow",
          "Allow-Events",
          "Supported",
          "Session-Expires",
          "Min-SE",
          "Expires",
          "Min-Expires",
          "Retry-After",
          "Subject",
          "Priority",
          "Privacy",
          "Reason",
          "Event",
          "Subscription-State",
          "Session-ID",
          "Info-Package",
          "Recv-Info"};
}

const Realm* Config::realm(std::string_view name) const {
  for (const Realm& r : realms) {
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

constexpr auto kTransports = std::to_array<std::string_view>({"udp", "tcp"});
constexpr auto kLogLevels =
    std::to_array<std::string_view>({"trace", "debug", "info", "warn", "error"});
constexpr auto kPolicies = std::to_array<std::string_view>({"strip", "replace", "keep"});
constexpr auto kModes = std::to_array<std::string_view>({"whitelist", "blacklist"});
constexpr auto kMediaModes = std::to_array<std::string_view>({"anchor", "bypass"});
constexpr auto kBooleans = std::to_array<std::string_view>({"true", "false"});

std::string quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string joined(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// Case-insensitive Levenshtein distance, for "did you mean" hints.
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = sip::toLower(a[i - 1]) == sip::toLower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The one of `choices` that `word` is a likely typo of, or "".
std::string_view closest(std::string_view word, std::span<const std::string_view> choices) {
  size_t limit = word.size() < 4 ? 1 : 2;
  size_t best = limit + 1;
  std::string_view suggestion;
  for (std::string_view choice : choices) {
    size_t d = editDistance(word, choice);
    if (d < best) {
      best = d;
      suggestion = choice;
    }
  }
  return suggestion;
}

// " (did you mean 'x'?)" when one of `choices` is a likely typo of `word`, else "".
std::string didYouMean(std::string_view word, std::span<const std::string_view> choices) {
  std::string_view suggestion = closest(word, choices);
  return suggestion.empty() ? std::string() : " (did you mean " + quote(suggestion) + "?)";
}

using net::IpAddress;
using net::stripBrackets;

std::optional<IpAddress> parseIp(std::string_view text) {
  return IpAddress::parse(text);
}

std::string hostPort(std::string_view address, uint16_t port) {
  return net::hostPort(address, port);
}

bool isName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return sip::is(c, sip::kAlnum) || c == '-' || c == '_' || c == '.';
  });
}

bool isHost(std::string_view host) {
  return sip::classifyHost(host) != sip::HostType::kNone || parseIp(host).has_value();
}

std::vector<std::string_view> knownMethods() {
  std::vector<std::string_view> names;
  for (auto m = static_cast<uint8_t>(sip::Method::kInvite);
       m <= static_cast<uint8_t>(sip::Method::kPublish); ++m) {
    names.push_back(sip::methodName(static_cast<sip::Method>(m)));
  }
  return names;
}

// One value of the document and where to report about it: a map entry (key and value) or
// a list item (no key).
struct Entry {
  YAML::Node key;
  YAML::Node value;
  YAML::Mark mark;  // the value's position; its key's when the value is empty

  bool empty() const { return value.IsNull(); }
};

Entry mapEntry(const YAML::Node& key, const YAML::Node& value) {
  // An empty value's mark points past the line break: the key is where the operator looks.
  return Entry{key, value, value.IsNull() ? key.Mark() : value.Mark()};
}

Entry listItem(const YAML::Node& value, const YAML::Mark& fallback) {
  YAML::Mark mark = value.IsNull() || value.Mark().is_null() ? fallback : value.Mark();
  return Entry{YAML::Node(), value, mark};
}

int lineOf(const Entry& e) {
  return e.mark.is_null() ? 0 : e.mark.line + 1;
}

// "realm 'access'" when the map has a usable name, else "realm #2": messages about any
// key of the map, even those before its name, can then say which realm they are about.
std::string ownerOf(const YAML::Node& map, std::string_view kind, size_t index) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar() &&
          !it->second.Scalar().empty() && isName(it->second.Scalar())) {
        return std::string(kind) + " " + quote(it->second.Scalar());
      }
    }
  }
  return std::string(kind) + " #" + std::to_string(index);
}

class Loader;

// The keys of one YAML map, checked against its schema: unknown keys (with a hint) and
// duplicate keys are reported as the map is read; values are then looked up by key.
class Fields {
 public:
  Fields(Loader& loader, const Entry& map, std::string owner, std::string section,
         std::initializer_list<std::string_view> known);

  bool valid() const { return valid_; }
  // nullptr when the key is absent or has an empty value.
  const Entry* get(std::string_view key) const;
  // Like get(), and reports the key as missing.
  const Entry* require(std::string_view key);
  const YAML::Mark& mark() const { return mark_; }

  // "port" in a top-level map, "listen port" in a section: how messages name a key.
  std::string what(std::string_view key) const {
    return section_.empty() ? std::string(key) : section_ + " " + std::string(key);
  }

 private:
  Loader& loader_;
  YAML::Mark mark_;
  std::string owner_;
  std::string section_;
  std::vector<Entry> entries_;
  std::vector<std::string_view> suggested_;  // keys a typo was taken for
  bool valid_ = true;
};

class Loader {
 public:
  explicit Loader(std::vector<ConfigError>& errors) : errors_(errors) {}

  void load(const YAML::Node& root, Config& config);

  void error(const YAML::Mark& at, const std::string& owner, std::string message) {
    ConfigError e;
    if (!at.is_null()) {
      e.line = at.line + 1;
      e.column = at.column + 1;
    }
    e.message = owner.empty() ? std::move(message) : owner + ": " + message;
    errors_.push_back(std::move(e));
  }

 private:
  // Scalars. Each reports its own problem and returns nullopt.
  std::optional<std::string> text(const Entry& e, const std::string& owner,
                                  const std::string& what);
  std::optional<uint64_t> number(const Entry& e, const std::string& owner, const std::string& what,
                                 uint64_t min, uint64_t max);
  std::optional<size_t> choice(const Entry& e, const std::string& owner, const std::string& what,
                               std::span<const std::string_view> choices);
  std::optional<std::string> address(const Entry& e, const std::string& owner,
                                     const std::string& what, bool allowWildcard,
                                     IpAddress* parsed = nullptr);
  bool isList(const Entry& e, const std::string& owner, const std::string& what);

  std::optional<std::string> uniqueName(Fields& f, const std::string& owner,
                                        std::vector<std::pair<std::string, int>>& seen);
  void log(const Entry& e, LogSettings& out);
  void metrics(const Entry& e, MetricsSettings& out);
  void sipSettings(const Entry& e, SipSettings& out);
  void realms(const Entry& e, Config& config, const SipSettings& settings);
  void realm(const Entry& e, size_t index, Config& config, const SipSettings& settings);
  void listen(const Entry& e, const std::string& owner, Realm& realm);
  void media(const Entry& e, const std::string& owner, Realm& realm);
  void identity(const Entry& e, const std::string& owner, const SipSettings& settings,
                Realm& realm);
  void headers(const Entry& e, const std::string& owner, Realm& realm);
  void limits(const Entry& e, const std::string& owner, RealmLimits& out);
  void mediaPlane(const Entry& e, Config& config);
  void mediaInterface(const Entry& e, size_t index, Config& config);
  void anchoredRoutes(const Config& config, bool mediaPlaneGiven);
  void routes(const Entry& e, Config& config);
  void route(const Entry& e, size_t index, Config& config);
  void match(const Entry& e, const std::string& owner, const Config& config, RouteMatch& out);
  void forward(const Entry& e, const std::string& owner, const Config& config, Trunk& out);
  void reject(const Entry& e, const std::string& owner, Route& out);
  void rewrite(const Entry& e, const std::string& owner, const RouteMatch& match,
               bool matchComplete, Rewrites& out);

  std::vector<ConfigError>& errors_;

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
  std::vector<std::pair<std::string, int>> routeNames_;
  std::vector<std::string> partialListen_;  // realms with a listen entry in error
  struct RouteInfo {
    std::string name;
    YAML::Mark mark;
    bool matchComplete;    // its match section loaded without error
    YAML::Mark mediaMark;  // its media key, else the route: where anchoring errors point
  };
  std::vector<RouteInfo> routeInfo_;  // parallel to Config::routes
  bool mediaPlaneComplete_ = true;    // media_plane loaded without error (or is absent)
};

Fields::Fields(Loader& loader, const Entry& map, std::string owner, std::string section,
               std::initializer_list<std::string_view> known)
    : loader_(loader), mark_(map.mark), owner_(std::move(owner)), section_(std::move(section)) {
  if (map.value.IsNull()) return;  // "match:" with nothing: an empty map
  if (!map.value.IsMap()) {
    std::string what = !section_.empty() ? section_ + " must"
                       : owner_.empty()  ? "the configuration must"
                                         : "must";
    loader_.error(mark_, owner_, what + " be a map of 'key: value' entries");
    valid_ = false;
    return;
  }
  std::span<const std::string_view> names(known.begin(), known.size());
  std::string where = owner_.empty() ? " at the top level"
                                     : " in " + owner_ + (section_.empty() ? "" : " " + section_);
  for (auto it = map.value.begin(); it != map.value.end(); ++it) {
    Entry entry = mapEntry(it->first, it->second);
    if (!it->first.IsScalar()) {
      loader_.error(it->first.Mark(), "", "a key" + where + " must be plain text");
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      loader_.error(it->first.Mark(), "",
                    "unknown key " + quote(key) + where + didYouMean(key, names));
      std::string_view suggestion = closest(key, names);
      if (!suggestion.empty()) suggested_.push_back(suggestion);
      continue;
    }
    auto first = std::find_if(entries_.begin(), entries_.end(),
                              [&key](const Entry& e) { return e.key.Scalar() == key; });
    if (first != entries_.end()) {
      loader_.error(it->first.Mark(), "",
                    "duplicate key " + quote(key) + where + " (first on line " +
                        std::to_string(first->key.Mark().line + 1) + ")");
      continue;
    }
    entries_.push_back(entry);
  }
}

const Entry* Fields::get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key.Scalar() == key) return e.empty() ? nullptr : &e;
  }
  return nullptr;
}

const Entry* Fields::require(std::string_view key) {
  if (!valid_) return nullptr;
  for (const Entry& e : entries_) {
    if (e.key.Scalar() != key) continue;
    if (e.empty()) loader_.error(e.mark, owner_, what(key) + " needs a value");
    return e.empty() ? nullptr : &e;
  }
  // "unknown key 'adress' (did you mean 'address'?)" said it already.
  if (std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end()) return nullptr;
  loader_.error(mark_, owner_,
                "missing required key " + quote(key) + (section_.empty() ? "" : " in " + section_));
  return nullptr;
}

std::optional<std::string> Loader::text(const Entry& e, const std::string& owner,
                                        const std::string& what) {
  if (e.value.IsNull()) return std::string();
  if (!e.value.IsScalar()) {
    error(e.mark, owner, what + " must be text, not a " + (e.value.IsMap() ? "map" : "list"));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<uint64_t> Loader::number(const Entry& e, const std::string& owner,
                                       const std::string& what, uint64_t min, uint64_t max) {
  if (!e.value.IsScalar()) {
    error(e.mark, owner, what + " must be a whole number");
    return std::nullopt;
  }
  const std::string& s = e.value.Scalar();
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  bool allDigits = !digits.empty() && end == digits.data() + digits.size();
  if (!allDigits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    error(e.mark, owner, what + " must be a whole number, got " + quote(s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || digits.size() != s.size() || v < min || v > max) {
    error(e.mark, owner,
          what + " " + s + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<size_t> Loader::choice(const Entry& e, const std::string& owner,
                                     const std::string& what,
                                     std::span<const std::string_view> choices) {
  std::optional<std::string> s = text(e, owner, what);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == *s) return i;
  }
  error(e.mark, owner,
        what + " " + quote(*s) + " is not one of " + joined(choices) + didYouMean(*s, choices));
  return std::nullopt;
}

std::optional<std::string> Loader::address(const Entry& e, const std::string& owner,
                                           const std::string& what, bool allowWildcard,
                                           IpAddress* parsed) {
  std::optional<std::string> s = text(e, owner, what);
  if (!s) return std::nullopt;
  std::optional<IpAddress> ip = parseIp(*s);
  if (!ip) {
    error(e.mark, owner, what + " " + quote(*s) + " is not an IPv4 or IPv6 address");
    return std::nullopt;
  }
  if (!allowWildcard && ip->isUnspecified()) {
    error(e.mark, owner,
          what + " " + quote(*s) + " is a wildcard: give the address peers reach this realm at");
    return std::nullopt;
  }
  if (parsed) *parsed = *ip;
  return std::string(stripBrackets(*s));
}

bool Loader::isList(const Entry& e, const std::string& owner, const std::string& what) {
  if (e.value.IsSequence()) return true;
  error(e.mark, owner, what + " must be a list (entries starting with '- ')");
  return false;
}

void Loader::load(const YAML::Node& root, Config& config) {
  Entry top = listItem(root, YAML::Mark());
  if (root.IsNull()) {
    error(YAML::Mark::null_mark(), "", "the configuration is empty: it needs at least 'realms'");
    return;
  }
  Fields f(*this, top, "", "", {"log", "sip", "realms", "media_plane", "routes", "metrics"});
  if (!f.valid()) return;
  // Sections are read in this order whatever the file's order: realms need sip settings
  // (user_agent), the media plane and routes need realms, and anchoring routes need the
  // media plane. Errors are sorted by position afterwards.
  if (const Entry* e = f.get("log")) log(*e, config.log);
  if (const Entry* e = f.get("metrics")) metrics(*e, config.metrics);
  if (const Entry* e = f.get("sip")) sipSettings(*e, config.sip);
  if (const Entry* e = f.require("realms")) realms(*e, config, config.sip);
  const Entry* media = f.get("media_plane");
  if (media) mediaPlane(*media, config);
  if (const Entry* e = f.get("routes")) routes(*e, config);
  anchoredRoutes(config, media != nullptr);
}

std::optional<std::string> Loader::uniqueName(Fields& f, const std::string& owner,
                                              std::vector<std::pair<std::string, int>>& seen) {
  const Entry* n = f.require("name");
  if (!n) return std::nullopt;
  std::optional<std::string> name = text(*n, owner, "name");
  if (!name) return std::nullopt;
  if (name->empty() || !isName(*name)) {
    error(n->mark, owner,
          "name " + quote(*name) + " may use only letters, digits, '.', '_' and '-'");
    return std::nullopt;
  }
  auto first =
      std::find_if(seen.begin(), seen.end(), [&name](const auto& s) { return s.first == *name; });
  if (first != seen.end()) {
    error(n->mark, owner, "defined twice (first on line " + std::to_string(first->second) + ")");
    return std::nullopt;
  }
  seen.emplace_back(*name, lineOf(*n));
  return name;
}

void Loader::log(const Entry& e, LogSettings& out) {
  Fields f(*this, e, "log", "", {"level"});
  if (const Entry* level = f.get("level")) {
    if (auto i = choice(*level, "log", "level", kLogLevels)) out.level = kLogLevels[*i];
  }
}

void Loader::metrics(const Entry& e, MetricsSettings& out) {
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

void Loader::sipSettings(const Entry& e, SipSettings& out) {
  const std::string owner = "sip";
  Fields f(*this, e, owner, "",
           {"timers", "max_forwards", "no_answer_timeout_s", "response_map", "user_agent"});
  if (const Entry* timers = f.get("timers")) {
    Fields t(*this, *timers, owner, "timers", {"t1_ms", "t2_ms", "t4_ms"});
    if (const Entry* v = t.get("t1_ms")) {
      if (auto n = number(*v, owner, t.what("t1_ms"), 1, 60000))
        out.t1 = std::chrono::milliseconds(*n);
    }
    const Entry* t2 = t.get("t2_ms");
    if (t2) {
      if (auto n = number(*t2, owner, t.what("t2_ms"), 1, 600000))
        out.t2 = std::chrono::milliseconds(*n);
    }
    if (const Entry* v = t.get("t4_ms")) {
      if (auto n = number(*v, owner, t.what("t4_ms"), 1, 600000))
        out.t4 = std::chrono::milliseconds(*n);
    }
    if (out.t2 < out.t1) {
      error(t2 ? t2->mark : t.mark(), owner,
            "timers t2_ms " + std::to_string(out.t2.count()) + " must not be below t1_ms " +
                std::to_string(out.t1.count()));
    }
  }
  if (const Entry* v = f.get("max_forwards")) {
    if (auto n = number(*v, owner, "max_forwards", 1, 255)) out.maxForwards = uint32_t(*n);
  }
  if (const Entry* v = f.get("no_answer_timeout_s")) {
    if (auto n = number(*v, owner, "no_answer_timeout_s", 1, 86400))
      out.noAnswerTimeout = std::chrono::seconds(*n);
  }
  if (const Entry* map = f.get("response_map")) {
    if (!map->value.IsMap()) {
      error(map->mark, owner, "response_map must be a map of 'code: code' entries");
    } else {
      for (auto it = map->value.begin(); it != map->value.end(); ++it) {
        Entry key = mapEntry(it->first, it->first);
        Entry value = mapEntry(it->first, it->second);
        auto from = number(key, owner, "response_map code", 300, 699);
        if (!from) continue;
        auto to = number(value, owner, "response_map " + std::to_string(*from) + ":", 300, 699);
        if (!to) continue;
        if (!out.responseMap.emplace(int(*from), int(*to)).second) {
          error(key.mark, owner, "response_map code " + std::to_string(*from) + " appears twice");
        }
      }
    }
  }
  if (const Entry* v = f.get("user_agent")) {
    if (auto s = text(*v, owner, "user_agent")) {
      if (s->empty() || !isHeaderValue(*s)) {
        error(v->mark, owner, "user_agent must be one line of printable text");
      } else {
        out.userAgent = *s;
      }
    }
  }
}

void Loader::realms(const Entry& e, Config& config, const SipSettings& settings) {
  if (!isList(e, "", "realms")) return;
  if (e.value.size() == 0) {
    error(e.mark, "", "realms is empty: define at least one realm");
    return;
  }
  size_t index = 0;
  for (const YAML::Node& item : e.value)
    realm(listItem(item, e.mark), ++index, config, settings);
}

void Loader::realm(const Entry& e, size_t index, Config& config, const SipSettings& settings) {
  std::string owner = ownerOf(e.value, "realm", index);
  Fields f(
      *this, e, owner, "",
      {"name", "listen", "advertised_address", "media", "topology_hiding", "headers", "limits"});
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
    if (parseIp(first)->isUnspecified()) {
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
  if (named) config.realms.push_back(std::move(realm));
}

void Loader::listen(const Entry& e, const std::string& owner, Realm& realm) {
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
    std::string self = std::string(transportName(l.transport)) + " " + hostPort(l.address, l.port);
    for (const Bound& b : bound_) {
      if (b.transport != l.transport || b.port != l.port || b.ip.family != ip.family) continue;
      std::string where = "realm " + quote(b.realm) + " (line " + std::to_string(b.line) + ")";
      if (b.ip == ip) {
        error(item.mark, owner, "listen " + self + " is already used by " + where);
      } else if (b.ip.isUnspecified() || ip.isUnspecified()) {
        error(item.mark, owner,
              "listen " + self + " overlaps " + std::string(transportName(b.transport)) + " " +
                  hostPort(b.address, b.port) + " of " + where);
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

void Loader::media(const Entry& e, const std::string& owner, Realm& realm) {
  Fields f(*this, e, owner, "media", {"address", "port_min", "port_max"});
  if (!f.valid()) return;
  MediaRange range;
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

void Loader::identity(const Entry& e, const std::string& owner, const SipSettings& settings,
                      Realm& realm) {
  Fields th(*this, e, owner, "topology_hiding", {"identity_headers"});
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

void Loader::headers(const Entry& e, const std::string& owner, Realm& realm) {
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

void Loader::limits(const Entry& e, const std::string& owner, RealmLimits& out) {
  Fields f(*this, e, owner, "limits",
           {"max_calls", "tcp_max_connections", "tcp_idle_timeout_s", "tcp_header_timeout_s"});
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
}

void Loader::mediaPlane(const Entry& e, Config& config) {
  const std::string owner = "media_plane";
  size_t errorsBefore = errors_.size();
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
  mediaPlaneComplete_ = errors_.size() == errorsBefore;
}

void Loader::mediaInterface(const Entry& e, size_t index, Config& config) {
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
        media = *parseIp(realm->media->address);
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
  if (!out.realm.empty()) config.mediaPlane.interfaces.push_back(out);
}

void Loader::anchoredRoutes(const Config& config, bool mediaPlaneGiven) {
  auto hasInterface = [&config](const std::string& realm) {
    const auto& list = config.mediaPlane.interfaces;
    return std::any_of(list.begin(), list.end(),
                       [&realm](const MediaInterface& i) { return i.realm == realm; });
  };
  for (size_t i = 0; i < config.routes.size(); ++i) {
    const Route& r = config.routes[i];
    if (r.action != Route::Action::kForward || r.media != Route::Media::kAnchor) continue;
    std::string owner = "route " + quote(r.name);
    const YAML::Mark& at = routeInfo_[i].mediaMark;
    if (!mediaPlaneGiven) {
      error(at, owner,
            "anchors media (the default for forward routes) but there is no media_plane: set "
            "media: bypass or configure media_plane");
      continue;
    }
    if (!mediaPlaneComplete_) continue;  // its own errors say enough
    std::vector<std::string> sources;
    if (!r.match.sourceRealm.empty()) {
      sources.push_back(r.match.sourceRealm);
    } else {
      for (const Realm& realm : config.realms)
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

void Loader::routes(const Entry& e, Config& config) {
  if (!isList(e, "", "routes")) return;
  size_t index = 0;
  for (const YAML::Node& item : e.value)
    route(listItem(item, e.mark), ++index, config);
  // A route that matches everything hides every route after it.
  for (size_t i = 0; i + 1 < config.routes.size(); ++i) {
    const RouteMatch& m = config.routes[i].match;
    if (routeInfo_[i].matchComplete && m.sourceRealm.empty() && m.methods.empty() &&
        m.userPrefix.empty() && !m.userRegex && m.toDomain.empty() && m.fromDomain.empty()) {
      size_t hidden = config.routes.size() - i - 1;
      error(routeInfo_[i].mark, "route " + quote(routeInfo_[i].name),
            "matches every request, so the " + std::to_string(hidden) +
                (hidden == 1 ? " route" : " routes") + " after it can never match: move it last");
      break;
    }
  }
}

void Loader::route(const Entry& e, size_t index, Config& config) {
  std::string owner = ownerOf(e.value, "route", index);
  Fields f(*this, e, owner, "", {"name", "match", "forward", "reject", "rewrite", "media"});
  if (!f.valid()) return;
  Route route;
  bool named = false;
  if (auto name = uniqueName(f, owner, routeNames_)) {
    route.name = *name;
    named = true;
  }
  size_t errorsBefore = errors_.size();
  if (const Entry* m = f.get("match")) match(*m, owner, config, route.match);
  bool matchComplete = errors_.size() == errorsBefore;
  const Entry* fwd = f.get("forward");
  const Entry* rej = f.get("reject");
  if (fwd && rej) {
    error(rej->mark, owner, "has both forward and reject: a route does one or the other");
    return;
  }
  if (!fwd && !rej) {
    error(f.mark(), owner, "needs either forward or reject");
    return;
  }
  if (fwd) {
    route.action = Route::Action::kForward;
    forward(*fwd, owner, config, route.trunk);
    if (const Entry* r = f.get("rewrite"))
      rewrite(*r, owner, route.match, matchComplete, route.rewrites);
    if (const Entry* m = f.get("media")) {
      if (auto i = choice(*m, owner, "media", kMediaModes))
        route.media = static_cast<Route::Media>(*i);
    }
  } else {
    route.action = Route::Action::kReject;
    reject(*rej, owner, route);
    if (const Entry* r = f.get("rewrite"))
      error(r->mark, owner, "rewrite applies only to forward routes");
    if (const Entry* m = f.get("media"))
      error(m->mark, owner, "media applies only to forward routes");
  }
  if (named) {
    const Entry* media = f.get("media");
    routeInfo_.push_back(
        RouteInfo{route.name, e.mark, matchComplete, media ? media->mark : e.mark});
    config.routes.push_back(std::move(route));
  }
}

void Loader::match(const Entry& e, const std::string& owner, const Config& config,
                   RouteMatch& out) {
  Fields f(*this, e, owner, "match",
           {"source_realm", "methods", "user_prefix", "user_regex", "to_domain", "from_domain"});
  if (!f.valid()) return;
  std::vector<std::string_view> realmNames;
  for (const Realm& r : config.realms)
    realmNames.push_back(r.name);
  if (const Entry* v = f.get("source_realm")) {
    if (auto s = text(*v, owner, f.what("source_realm"))) {
      if (config.realm(*s) == nullptr) {
        error(v->mark, owner,
              "match source_realm " + quote(*s) + " is not a defined realm" +
                  didYouMean(*s, realmNames));
      } else {
        out.sourceRealm = *s;
      }
    }
  }
  if (const Entry* v = f.get("methods")) {
    if (isList(*v, owner, f.what("methods"))) {
      std::vector<std::string_view> known = knownMethods();
      for (const YAML::Node& node : v->value) {
        Entry item = listItem(node, v->mark);
        auto s = text(item, owner, f.what("methods"));
        if (!s) continue;
        if (std::find(known.begin(), known.end(), *s) == known.end()) {
          error(item.mark, owner,
                "match methods " + quote(*s) + " is not a SIP method the SBC handles" +
                    didYouMean(*s, known));
          continue;
        }
        out.methods.push_back(*s);
      }
    }
  }
  if (const Entry* v = f.get("user_prefix")) {
    if (auto s = text(*v, owner, f.what("user_prefix"))) out.userPrefix = *s;
  }
  if (const Entry* v = f.get("user_regex")) {
    if (auto s = text(*v, owner, f.what("user_regex"))) {
      try {
        out.userRegex.emplace(*s, std::regex::ECMAScript);
        out.userRegexText = *s;
      } catch (const std::regex_error& err) {
        error(v->mark, owner, "match user_regex " + quote(*s) + " is invalid: " + err.what());
      }
    }
  }
  for (auto [key, field] :
       {std::pair{"to_domain", &out.toDomain}, std::pair{"from_domain", &out.fromDomain}}) {
    const Entry* v = f.get(key);
    if (!v) continue;
    auto s = text(*v, owner, f.what(key));
    if (!s) continue;
    if (!s->empty() && !isHost(*s)) {
      error(v->mark, owner, f.what(key) + " " + quote(*s) + " is not a host name or IP address");
      continue;
    }
    *field = *s;
  }
}

void Loader::forward(const Entry& e, const std::string& owner, const Config& config, Trunk& out) {
  Fields f(*this, e, owner, "forward", {"realm", "host", "port", "transport"});
  if (!f.valid()) return;
  const Realm* realm = nullptr;
  if (const Entry* v = f.require("realm")) {
    if (auto s = text(*v, owner, f.what("realm"))) {
      realm = config.realm(*s);
      if (!realm) {
        std::vector<std::string_view> names;
        for (const Realm& r : config.realms)
          names.push_back(r.name);
        error(v->mark, owner,
              "forward realm " + quote(*s) + " is not a defined realm" + didYouMean(*s, names));
      }
      out.realm = *s;
    }
  }
  if (const Entry* v = f.require("host")) {
    if (auto s = text(*v, owner, f.what("host"))) {
      if (!isHost(*s)) {
        error(v->mark, owner, "forward host " + quote(*s) + " is not a host name or IP address");
      } else {
        out.host = std::string(stripBrackets(*s));
      }
    }
  }
  if (const Entry* v = f.get("port")) {
    if (auto n = number(*v, owner, f.what("port"), 1, 65535)) out.port = uint16_t(*n);
  }
  const Entry* t = f.get("transport");
  if (t) {
    if (auto i = choice(*t, owner, f.what("transport"), kTransports))
      out.transport = static_cast<Transport>(*i);
  }
  // The SBC sends from the realm's own listener of that transport.
  bool partial = realm && std::find(partialListen_.begin(), partialListen_.end(), realm->name) !=
                              partialListen_.end();
  if (realm && !partial && !realm->listen.empty() &&
      std::none_of(realm->listen.begin(), realm->listen.end(),
                   [&out](const Listen& l) { return l.transport == out.transport; })) {
    std::string name(transportName(out.transport));
    error(t ? t->mark : f.mark(), owner,
          "forward transport " + name + " needs a " + name + " listener in realm " +
              quote(realm->name));
  }
}

void Loader::reject(const Entry& e, const std::string& owner, Route& out) {
  Fields f(*this, e, owner, "reject", {"code", "reason"});
  if (!f.valid()) return;
  if (const Entry* v = f.require("code")) {
    if (auto n = number(*v, owner, f.what("code"), 300, 699)) out.rejectCode = int(*n);
  }
  out.rejectReason = std::string(sip::reasonPhrase(out.rejectCode));
  if (const Entry* v = f.get("reason")) {
    if (auto s = text(*v, owner, f.what("reason"))) {
      if (s->empty() || !isHeaderValue(*s)) {
        error(v->mark, owner, "reject reason must be one line of printable text");
      } else {
        out.rejectReason = *s;
      }
    }
  }
}

void Loader::rewrite(const Entry& e, const std::string& owner, const RouteMatch& match,
                     bool matchComplete, Rewrites& out) {
  Fields f(
      *this, e, owner, "rewrite",
      {"request_uri_user", "request_uri_host", "from_user", "from_host", "to_user", "to_host"});
  if (!f.valid()) return;
  // A match section in error may have lost its regex: don't blame the templates for it.
  size_t groups = !matchComplete ? 9 : match.userRegex ? match.userRegex->mark_count() : 0;
  struct Field {
    const char* key;
    std::optional<std::string>* target;
    bool host;
  };
  for (const Field& field :
       {Field{"request_uri_user", &out.requestUriUser, false},
        Field{"request_uri_host", &out.requestUriHost, true},
        Field{"from_user", &out.fromUser, false}, Field{"from_host", &out.fromHost, true},
        Field{"to_user", &out.toUser, false}, Field{"to_host", &out.toHost, true}}) {
    const Entry* v = f.get(field.key);
    if (!v) continue;
    auto s = text(*v, owner, f.what(field.key));
    if (!s) continue;
    std::string problem = templateError(*s, groups);
    if (!problem.empty()) {
      error(v->mark, owner, f.what(field.key) + " " + quote(*s) + ": " + problem);
      continue;
    }
    if (field.host && s->find('$') == std::string::npos && !isHost(*s)) {
      error(v->mark, owner,
            f.what(field.key) + " " + quote(*s) + " is not a host name or IP address");
      continue;
    }
    if (!field.host && !isHeaderValue(*s)) {
      error(v->mark, owner, f.what(field.key) + " must be one line of printable text");
      continue;
    }
    *field.target = *s;
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

}  // namespace sbc::topology
