#include "mediaplane/relay_settings.h"

#include <algorithm>

namespace sbc::mediaplane {
namespace {

using Key = Problem::Key;

std::string quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

void checkInterface(const RelayInterface& i, size_t index, std::vector<Problem>& out) {
  auto problem = [&out, index](Key key, std::string what) {
    out.push_back(Problem{index, key, std::nullopt, std::move(what)});
  };
  if (i.realm.empty()) {
    problem(Key::kRealm, "missing required key 'realm'");
    return;
  }
  if (i.device.empty()) problem(Key::kDevice, "device needs a value");
  if (i.address.family != 4) {
    problem(Key::kAddress, "realm " + quote(i.realm) +
                               " has an IPv6 media address: the media plane relays IPv4 only "
                               "for now");
    return;  // the checks below compare with an IPv4 address
  }
  if (i.address.isUnspecified()) {
    problem(Key::kAddress, "realm " + quote(i.realm) + " has no media address");
    return;
  }
  if (i.prefixLength < 1 || i.prefixLength > 32) {
    problem(Key::kPrefixLength,
            "prefix_length " + std::to_string(i.prefixLength) + " is out of range 1-32");
  } else if (i.gateway) {
    if (*i.gateway == i.address) {
      problem(Key::kGateway,
              "gateway " + i.gateway->toString() + " is the realm's media address itself");
    } else if (!i.gateway->inSubnet(i.address, i.prefixLength)) {
      problem(Key::kGateway, "gateway " + i.gateway->toString() + " is outside " +
                                 i.address.toString() + "/" + std::to_string(i.prefixLength) +
                                 " (the realm's media address and prefix_length): the relay "
                                 "reaches its gateway on the link");
    }
  }
  if (i.mac && !net::isUnicast(*i.mac))
    problem(Key::kMac, "mac " + quote(net::toString(*i.mac)) + " is not a unicast address");
  if (i.extraAddresses.size() + 1 > kMaxAddresses) {
    problem(Key::kExtraAddresses,
            "at most " + std::to_string(kMaxAddresses) + " media addresses per interface");
  }
  for (size_t a = 0; a < i.extraAddresses.size(); ++a) {
    const net::IpAddress& extra = i.extraAddresses[a];
    if (extra.family != 4 || extra.isUnspecified()) {
      problem(Key::kExtraAddresses,
              "extra address " + extra.toString() + " must be a usable IPv4 address");
    } else if (extra == i.address ||
               std::find(i.extraAddresses.begin(), i.extraAddresses.begin() + a, extra) !=
                   i.extraAddresses.begin() + a) {
      problem(Key::kExtraAddresses, "address " + extra.toString() + " is given twice");
    }
  }
  for (const RelayInterface::StaticNeighbour& n : i.staticNeighbours) {
    if (n.ip.family != 4 || n.ip.isUnspecified()) {
      problem(Key::kStaticNeighbours,
              "static neighbour " + n.ip.toString() + " must be a usable IPv4 address");
    } else if (!net::isUnicast(n.mac)) {
      problem(Key::kStaticNeighbours,
              "static neighbour " + n.ip.toString() + " needs a unicast MAC address");
    }
  }
}

}  // namespace

std::vector<Problem> validate(const RelaySettings& settings) {
  std::vector<Problem> out;
  auto general = [&out](Key key, std::string what, std::optional<size_t> item = std::nullopt) {
    out.push_back(Problem{std::nullopt, key, item, std::move(what)});
  };
  if (settings.interfaces.empty())
    general(Key::kInterfaces, "interfaces is empty: give each anchoring realm one interface");
  if (settings.interfaces.size() > kMaxInterfaces)
    general(Key::kInterfaces, "at most " + std::to_string(kMaxInterfaces) + " media interfaces");
  for (size_t i = 0; i < settings.interfaces.size(); ++i) {
    const RelayInterface& a = settings.interfaces[i];
    // One interface per realm and per device: the later one is in error.
    for (size_t j = 0; j < i; ++j) {
      const RelayInterface& b = settings.interfaces[j];
      if (!a.realm.empty() && a.realm == b.realm) {
        out.push_back(Problem{i, Key::kRealm, std::nullopt,
                              "realm " + quote(a.realm) +
                                  " has an interface already: one per "
                                  "realm"});
        break;
      }
    }
    for (size_t j = 0; j < i; ++j) {
      const RelayInterface& b = settings.interfaces[j];
      if (!a.device.empty() && a.device == b.device) {
        out.push_back(Problem{
            i, Key::kDevice, std::nullopt,
            "device " + quote(a.device) + " is used by the interface of realm " + quote(b.realm)});
        break;
      }
    }
    checkInterface(a, i, out);
  }
  if (settings.lcores.empty())
    general(Key::kLcores, "lcores is empty: the relay needs at least one worker lcore");
  for (size_t i = 0; i < settings.lcores.size(); ++i) {
    auto begin = settings.lcores.begin();
    if (std::find(begin, begin + i, settings.lcores[i]) != begin + i)
      general(Key::kLcores, "lcores " + std::to_string(settings.lcores[i]) + " is listed twice", i);
  }
  // Memory: 2 streams per session, 2 directions per stream, 128 bytes per direction and lcore.
  if (settings.maxSessions < 1 || settings.maxSessions > kMaxSessions) {
    general(Key::kMaxSessions, "max_sessions " + std::to_string(settings.maxSessions) +
                                   " is out of range 1-" + std::to_string(kMaxSessions));
  }
  return out;
}

std::string ownerOf(const Problem& problem, const RelaySettings& settings) {
  if (!problem.interface) return "media_plane";
  size_t i = *problem.interface;
  if (i < settings.interfaces.size() && !settings.interfaces[i].realm.empty())
    return "media_plane interface " + quote(settings.interfaces[i].realm);
  return "media_plane interface #" + std::to_string(i + 1);
}

std::string describe(const Problem& problem, const RelaySettings& settings) {
  return ownerOf(problem, settings) + ": " + problem.message;
}

}  // namespace sbc::mediaplane
