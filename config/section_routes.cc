// The routes section: what each route matches, and where it forwards (trunk, rewrites,
// media) or how it rejects; a catch-all route that hides the ones after it.

#include <algorithm>
#include <string>
#include <vector>

#include <regex>

#include "config/sections.h"
#include "signaling/sip/message.h"
#include "signaling/sip/response.h"
#include "topology/header_filter.h"
#include "topology/route_table.h"

namespace sbc::config {
namespace {

using net::stripBrackets;
using topology::isHeaderValue;
using topology::Listen;
using topology::Realm;
using topology::Rewrites;
using topology::Route;
using topology::RouteMatch;
using topology::templateError;
using topology::Transport;
using topology::transportName;
using topology::Trunk;

constexpr auto kTransports = std::to_array<std::string_view>({"udp", "tcp"});
constexpr auto kMediaModes = std::to_array<std::string_view>({"anchor", "bypass"});

std::vector<std::string_view> knownMethods() {
  std::vector<std::string_view> names;
  for (auto m = static_cast<uint8_t>(sip::Method::kInvite);
       m <= static_cast<uint8_t>(sip::Method::kPublish); ++m) {
    names.push_back(sip::methodName(static_cast<sip::Method>(m)));
  }
  return names;
}

class RoutesSection : public Schema {
 public:
  void routes(const Entry& e, Config& config);
  void route(const Entry& e, size_t index, Config& config);
  void match(const Entry& e, const std::string& owner, const Config& config, RouteMatch& out);
  void forward(const Entry& e, const std::string& owner, const Config& config, Trunk& out);
  void reject(const Entry& e, const std::string& owner, Route& out);
  void rewrite(const Entry& e, const std::string& owner, const RouteMatch& match,
               bool matchComplete, Rewrites& out);

  RoutesSection(Schema& s, Notes& notes)
      : Schema(s), partialListen_(notes.partialListen), routeInfo_(notes.routeInfo) {}

 private:
  // Names seen so far with the line of their definition, valid or not.
  std::vector<std::pair<std::string, int>> routeNames_;
  const std::vector<std::string>& partialListen_;
  std::vector<Notes::RouteInfo>& routeInfo_;
};

void RoutesSection::routes(const Entry& e, Config& config) {
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

void RoutesSection::route(const Entry& e, size_t index, Config& config) {
  std::string owner = ownerOf(e.value, "route", index);
  Fields f(*this, e, owner, "", {"name", "match", "forward", "reject", "rewrite", "media"});
  if (!f.valid()) return;
  Route route;
  bool named = false;
  if (auto name = uniqueName(f, owner, routeNames_)) {
    route.name = *name;
    named = true;
  }
  size_t errorsBefore = errorCount();
  if (const Entry* m = f.get("match")) match(*m, owner, config, route.match);
  bool matchComplete = errorCount() == errorsBefore;
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
        Notes::RouteInfo{route.name, e.mark, matchComplete, media ? media->mark : e.mark});
    config.routes.push_back(std::move(route));
  }
}

void RoutesSection::match(const Entry& e, const std::string& owner, const Config& config,
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

void RoutesSection::forward(const Entry& e, const std::string& owner, const Config& config,
                            Trunk& out) {
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

void RoutesSection::reject(const Entry& e, const std::string& owner, Route& out) {
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

void RoutesSection::rewrite(const Entry& e, const std::string& owner, const RouteMatch& match,
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

}  // namespace

void loadRoutes(Schema& schema, const Entry& e, Config& config, Notes& notes) {
  RoutesSection(schema, notes).routes(e, config);
}

}  // namespace sbc::config
