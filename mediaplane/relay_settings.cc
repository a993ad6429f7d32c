#include "mediaplane/relay_settings.h"

#include <algorithm>

namespace sbc::mediaplane {
namespace {

using Key = Problem::Key;

void checkInterface(const RelayInterface& i, size_t index, std::vector<Problem>& out) {
  auto problem = [&out, &i, index](Key key, std::string what) {
    out.push_back(Problem{index, key, "interface '" + i.realm + "'" + what});
  };
  if (i.realm.empty()) {
    out.push_back(Problem{index, Key::kRealm, "an interface needs a realm"});
    return;
  }
  if (i.device.empty()) problem(Key::kDevice, " needs a device");
  if (i.address.family != 4) {
    problem(Key::kAddress, ": IPv6 media addresses are not supported yet");
    return;  // the checks below compare with an IPv4 address
  }
  if (i.address.isUnspecified()) problem(Key::kAddress, " needs a media address");
  if (i.prefixLength < 1 || i.prefixLength > 32) {
    problem(Key::kPrefixLength,
            ": prefix length " + std::to_string(i.prefixLength) + " is not 1-32");
  } else if (i.gateway) {
    if (i.gateway->family != 4) {
      problem(Key::kGateway, ": the gateway must be IPv4 like the address");
    } else if (*i.gateway == i.address) {
      problem(Key::kGateway, ": the gateway is the media address itself");
    } else if (!i.gateway->inSubnet(i.address, i.prefixLength)) {
      problem(Key::kGateway, ": gateway " + i.gateway->toString() + " is outside " +
                                 i.address.toString() + "/" + std::to_string(i.prefixLength));
    }
  }
  if (i.mac && !net::isUnicast(*i.mac))
    problem(Key::kMac, ": the MAC address must be a unicast address");
  if (i.extraAddresses.size() + 1 > kMaxAddresses) {
    problem(Key::kExtraAddresses,
            ": at most " + std::to_string(kMaxAddresses) + " media addresses");
  }
  for (size_t a = 0; a < i.extraAddresses.size(); ++a) {
    const net::IpAddress& extra = i.extraAddresses[a];
    if (extra.family != 4 || extra.isUnspecified()) {
      problem(Key::kExtraAddresses,
              ": extra address " + extra.toString() + " must be a usable IPv4 address");
    } else if (extra == i.address ||
               std::find(i.extraAddresses.begin(), i.extraAddresses.begin() + a, extra) !=
                   i.extraAddresses.begin() + a) {
      problem(Key::kExtraAddresses, ": address " + extra.toString() + " is given twice");
    }
  }
  for (const RelayInterface::StaticNeighbour& n : i.staticNeighbours) {
    if (n.ip.family != 4 || n.ip.isUnspecified()) {
      problem(Key::kStaticNeighbours,
              ": static neighbour " + n.ip.toString() + " must be a usable IPv4 address");
    } else if (!net::isUnicast(n.mac)) {
      problem(Key::kStaticNeighbours,
              ": static neighbour " + n.ip.toString() + " needs a unicast MAC address");
    }
  }
}

}  // namespace

std::vector<Problem> validate(const RelaySettings& settings) {
  std::vector<Problem> out;
  if (settings.interfaces.empty())
    out.push_back(
        Problem{std::nullopt, Key::kInterfaces, "the media plane needs at least one interface"});
  if (settings.interfaces.size() > kMaxInterfaces)
    out.push_back(Problem{std::nullopt, Key::kInterfaces,
                          "at most " + std::to_string(kMaxInterfaces) + " media interfaces"});
  for (size_t i = 0; i < settings.interfaces.size(); ++i) {
    const RelayInterface& a = settings.interfaces[i];
    checkInterface(a, i, out);
    for (size_t j = 0; j < i; ++j) {
      const RelayInterface& b = settings.interfaces[j];
      if (!a.realm.empty() && a.realm == b.realm) {
        out.push_back(Problem{i, Key::kRealm, "realm '" + a.realm + "' has two media interfaces"});
        break;
      }
      if (!a.device.empty() && a.device == b.device) {
        out.push_back(
            Problem{i, Key::kDevice, "device '" + a.device + "' is used by two interfaces"});
        break;
      }
    }
  }
  if (settings.lcores.empty())
    out.push_back(
        Problem{std::nullopt, Key::kLcores, "the media plane needs at least one worker lcore"});
  for (size_t i = 0; i < settings.lcores.size(); ++i) {
    // Each duplicated lcore once, where it first appears.
    auto begin = settings.lcores.begin();
    if (std::find(begin, begin + i, settings.lcores[i]) == begin + i &&
        std::find(begin + i + 1, settings.lcores.end(), settings.lcores[i]) !=
            settings.lcores.end()) {
      out.push_back(Problem{std::nullopt, Key::kLcores,
                            "lcore " + std::to_string(settings.lcores[i]) + " is listed twice"});
    }
  }
  // Memory: 2 streams per session, 2 directions per stream, 128 bytes per direction and lcore.
  if (settings.maxSessions < 1 || settings.maxSessions > kMaxSessions)
    out.push_back(Problem{std::nullopt, Key::kMaxSessions,
                          "max_sessions must be 1-" + std::to_string(kMaxSessions)});
  return out;
}

}  // namespace sbc::mediaplane
