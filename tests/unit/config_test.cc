#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "mediaplane/relay_settings.h"
#include "signaling/sip/parser.h"
#include "tests/unit/config_loading.h"
#include "topology/header_filter.h"
#include "topology/route_table.h"

// The daemon's configuration loader (config/): every key read, every error with its line
// and column, the media plane's rules through the relay's own validator.

namespace sbc::config {
namespace {

using namespace topology;
using sip::HeaderId;
using sip::Message;

using testing::errorLines;
using testing::loadOk;

// Loads `yaml` and expects exactly these errors, in this order.
void expectErrors(std::string_view yaml, std::vector<std::string> expected) {
  LoadResult r = parseConfig(yaml);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.config.has_value()) << "a configuration with errors is never returned";
  EXPECT_EQ(errorLines(r), expected);
}

// ---------------------------------------------------------------------------------------
// Loader: files and defaults

TEST(ConfigLoad, LoopbackLabConfig) {
  LoadResult r = loadConfigFile(SBC_SOURCE_DIR "/config/lab/loopback.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Config& c = *r.config;
  ASSERT_EQ(c.realms.size(), 2u);

  const Realm* access = c.realm("access");
  ASSERT_NE(access, nullptr);
  ASSERT_EQ(access->listen.size(), 2u);
  EXPECT_EQ(access->listen[0].transport, Transport::kUdp);
  EXPECT_EQ(access->listen[0].address, "127.0.0.1");
  EXPECT_EQ(access->listen[0].port, 5060);
  EXPECT_EQ(access->listen[1].transport, Transport::kTcp);
  EXPECT_EQ(access->listen[1].address, "127.0.0.1");
  EXPECT_EQ(access->advertisedAddress, "127.0.0.1");
  ASSERT_TRUE(access->media.has_value());
  EXPECT_EQ(access->media->address, "127.0.0.1");
  EXPECT_EQ(access->media->portMin, 30000);
  EXPECT_EQ(access->media->portMax, 30999);

  const Realm* core = c.realm("core");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->listen[0].address, "127.0.0.2");
  EXPECT_EQ(core->listen[1].transport, Transport::kTcp);
  EXPECT_EQ(core->advertisedAddress, "127.0.0.2");
  EXPECT_EQ(core->media->portMin, 31000);
  EXPECT_EQ(core->media->portMax, 31999);
  EXPECT_EQ(c.realm("nowhere"), nullptr);

  ASSERT_EQ(c.routes.size(), 1u);
  const Route& route = c.routes[0];
  EXPECT_EQ(route.match.sourceRealm, "access");
  EXPECT_EQ(route.match.methods, std::vector<std::string>{"INVITE"});
  EXPECT_EQ(route.action, Route::Action::kForward);
  EXPECT_EQ(route.trunk.realm, "core");
  EXPECT_EQ(route.trunk.host, "127.0.0.3");
  EXPECT_EQ(route.trunk.port, 5080);
  EXPECT_EQ(route.trunk.transport, Transport::kUdp);
  EXPECT_EQ(route.media, Route::Media::kBypass);

  EXPECT_EQ(c.sip.t1, std::chrono::milliseconds(500));
  EXPECT_EQ(c.sip.t2, std::chrono::milliseconds(4000));
  EXPECT_EQ(c.sip.t4, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigLoad, EdgeExampleShowsEveryKeyAndLoads) {
  LoadResult r = loadConfigFile(SBC_SOURCE_DIR "/config/examples/edge.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Realm* access = r.config->realm("access");
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->advertisedAddress, "203.0.113.10");
  EXPECT_EQ(access->limits.maxCalls, 500u);
  EXPECT_EQ(r.config->routes.size(), 5u);
}

TEST(ConfigLoad, EveryYamlExampleInTheDocsLoads) {
  std::ifstream in(SBC_SOURCE_DIR "/docs/CONFIG.md");
  ASSERT_TRUE(in) << "docs/CONFIG.md";
  std::string line, block;
  int blocks = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      ++blocks;
      LoadResult r = parseConfig(block);
      EXPECT_TRUE(r.ok()) << "example " << blocks << ": "
                          << ::testing::PrintToString(errorLines(r));
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 2);
}

TEST(ConfigLoad, DefaultsOfAMinimalConfig) {
  Config c = loadOk(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 192.0.2.1 } ]\n");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.sip.t1, std::chrono::milliseconds(500));
  EXPECT_EQ(c.sip.t2, std::chrono::milliseconds(4000));
  EXPECT_EQ(c.sip.t4, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.sip.maxForwards, 70u);
  EXPECT_EQ(c.sip.noAnswerTimeout, std::chrono::seconds(180));
  EXPECT_TRUE(c.sip.responseMap.empty());
  EXPECT_EQ(c.sip.userAgent, "sbc");
  ASSERT_EQ(c.realms.size(), 1u);
  const Realm& a = c.realms[0];
  EXPECT_EQ(a.listen[0].transport, Transport::kUdp);
  EXPECT_EQ(a.listen[0].port, 5060);
  EXPECT_EQ(a.advertisedAddress, "192.0.2.1");
  EXPECT_FALSE(a.media.has_value());
  EXPECT_EQ(a.headers.mode, HeaderRules::Mode::kWhitelist);
  EXPECT_EQ(a.headers.names, defaultHeaderWhitelist());
  EXPECT_TRUE(a.headers.rules.empty());
  ASSERT_EQ(a.identityHeaders.size(), 3u);
  for (const IdentityHeader& h : a.identityHeaders)
    EXPECT_EQ(h.policy, HeaderPolicy::kStrip) << h.name;
  EXPECT_EQ(a.identityHeaders[0].name, "User-Agent");
  EXPECT_EQ(a.identityHeaders[1].name, "Server");
  EXPECT_EQ(a.identityHeaders[2].name, "Organization");
  EXPECT_EQ(a.sdpIdentity, SdpIdentity::kHide);
  EXPECT_EQ(a.limits.maxCalls, 10000u);  // not unlimited (issue 14, defect 8)
  EXPECT_EQ(a.limits.tcpMaxConnections, 1024u);
  EXPECT_EQ(a.limits.tcpIdleTimeout, std::chrono::seconds(300));
  EXPECT_EQ(a.limits.tcpHeaderTimeout, std::chrono::seconds(10));
  EXPECT_TRUE(c.routes.empty());
  EXPECT_FALSE(c.mediaPlane.enabled);
}

const char* const kFull = R"yaml(log: { level: debug }
sip:
  timers: { t1_ms: 250, t2_ms: 2000, t4_ms: 2500 }
  max_forwards: 20
  no_answer_timeout_s: 60
  response_map: { 503: 480, 603: 486 }
  user_agent: "Edge 1"
realms:
  - name: access
    listen:
      - { transport: udp, address: 127.0.0.1, port: 5060 }
      - { transport: tcp, address: "[::1]", port: 5061 }
    advertised_address: 198.51.100.1
    media: { address: 127.0.0.1, port_min: 30000, port_max: 30999 }
    topology_hiding: { sdp_identity: keep,
      identity_headers: { User-Agent: keep, Server: { replace: "SBC" }, Organization: replace, X-Box: strip } }
    headers:
      mode: blacklist
      names: [X-Secret, Subject]
      rules:
        - { remove: X-Internal-Id }
        - { add: X-Realm, value: access }
        - { replace: Subject, value: "call" }
    limits: { max_calls: 10, tcp_max_connections: 20, tcp_idle_timeout_s: 30, tcp_header_timeout_s: 5 }
  - name: core
    listen: [ { address: 127.0.0.2 } ]
    media: { address: 127.0.0.2, port_min: 31000, port_max: 31999 }
media_plane:
  eal: [--no-huge, -m, 512, --no-pci, --file-prefix, edge1]
  lcores: [1, 2]
  interfaces:
    - { realm: access, device: "net_af_packet0,iface=veth-a", prefix_length: 16, gateway: 127.0.0.254, mac: "02:00:00:00:01:0A" }
    - { realm: core, device: "0000:03:00.1" }
  strict_source: true
  media_timeout_s: 30
  port_quarantine_ms: 2000
  max_sessions: 1000
routes:
  - name: to-core
    match: { source_realm: access, methods: [INVITE, MESSAGE], user_prefix: "+1", user_regex: "^\\+?(1[0-9]+)$", to_domain: biloxi.example.com, from_domain: atlanta.example.com }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    rewrite: { request_uri_user: "$1", request_uri_host: carrier.example, from_user: "x$1", from_host: "f.example", to_user: "$user", to_host: "t.example" }
    media: anchor
  - name: deny-rest
    match: {}
    reject: { code: 403, reason: "No route" }
  - name: unreachable-but-allowed-after-a-reject
    match: { source_realm: core }
    reject: { code: 404 }
)yaml";

TEST(ConfigLoad, EveryKeyIsRead) {
  LoadResult r = parseConfig(kFull);
  // The catch-all is not last here on purpose: it is the one error in the file.
  ASSERT_EQ(errorLines(r), std::vector<std::string>{
                               "line 44, column 5: route 'deny-rest': matches every request, so "
                               "the 1 route after it can never match: move it last"});
  std::string fixed(kFull);
  fixed.resize(fixed.find("  - name: unreachable"));
  Config c = loadOk(fixed);

  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.sip.t1, std::chrono::milliseconds(250));
  EXPECT_EQ(c.sip.t2, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.sip.t4, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.sip.maxForwards, 20u);
  EXPECT_EQ(c.sip.noAnswerTimeout, std::chrono::seconds(60));
  EXPECT_EQ(c.sip.responseMap, (std::map<int, int>{{503, 480}, {603, 486}}));
  EXPECT_EQ(c.sip.userAgent, "Edge 1");

  const Realm& a = c.realms[0];
  EXPECT_EQ(a.listen[1].address, "::1") << "brackets are dropped";
  EXPECT_EQ(a.listen[1].port, 5061);
  EXPECT_EQ(a.advertisedAddress, "198.51.100.1");
  ASSERT_EQ(a.identityHeaders.size(), 4u);
  EXPECT_EQ(a.identityHeaders[0].name, "User-Agent");
  EXPECT_EQ(a.identityHeaders[0].policy, HeaderPolicy::kKeep);
  EXPECT_EQ(a.identityHeaders[1].policy, HeaderPolicy::kReplace);
  EXPECT_EQ(a.identityHeaders[1].value, "SBC");
  EXPECT_EQ(a.identityHeaders[2].name, "Organization");
  EXPECT_EQ(a.identityHeaders[2].policy, HeaderPolicy::kReplace);
  EXPECT_EQ(a.identityHeaders[2].value, "Edge 1") << "replace without a value: sip.user_agent";
  EXPECT_EQ(a.identityHeaders[3].name, "X-Box");
  EXPECT_EQ(a.sdpIdentity, SdpIdentity::kKeep);
  EXPECT_EQ(c.realms[1].sdpIdentity, SdpIdentity::kHide) << "hidden unless a realm keeps it";
  EXPECT_EQ(a.headers.mode, HeaderRules::Mode::kBlacklist);
  EXPECT_EQ(a.headers.names, (std::vector<std::string>{"X-Secret", "Subject"}));
  ASSERT_EQ(a.headers.rules.size(), 3u);
  EXPECT_EQ(a.headers.rules[0].action, HeaderRule::Action::kRemove);
  EXPECT_EQ(a.headers.rules[0].header, "X-Internal-Id");
  EXPECT_EQ(a.headers.rules[1].action, HeaderRule::Action::kAdd);
  EXPECT_EQ(a.headers.rules[1].value, "access");
  EXPECT_EQ(a.headers.rules[2].action, HeaderRule::Action::kReplace);
  EXPECT_EQ(a.headers.rules[2].header, "Subject");
  EXPECT_EQ(a.limits.maxCalls, 10u);
  EXPECT_EQ(a.limits.tcpMaxConnections, 20u);
  EXPECT_EQ(a.limits.tcpIdleTimeout, std::chrono::seconds(30));
  EXPECT_EQ(a.limits.tcpHeaderTimeout, std::chrono::seconds(5));

  const MediaPlaneSettings& m = c.mediaPlane;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.eal, (std::vector<std::string>{"--no-huge", "-m", "512", "--no-pci", "--file-prefix",
                                             "edge1"}));
  EXPECT_EQ(m.lcores, (std::vector<unsigned>{1, 2}));
  ASSERT_EQ(m.interfaces.size(), 2u);
  EXPECT_EQ(m.interfaces[0].realm, "access");
  EXPECT_EQ(m.interfaces[0].device, "net_af_packet0,iface=veth-a");
  EXPECT_EQ(m.interfaces[0].prefixLength, 16);
  EXPECT_EQ(m.interfaces[0].gateway, "127.0.0.254");
  EXPECT_EQ(m.interfaces[0].mac, "02:00:00:00:01:0A");
  EXPECT_EQ(m.interfaces[1].realm, "core");
  EXPECT_EQ(m.interfaces[1].device, "0000:03:00.1");
  EXPECT_EQ(m.interfaces[1].prefixLength, 24) << "the default";
  EXPECT_EQ(m.interfaces[1].gateway, "");
  EXPECT_EQ(m.interfaces[1].mac, "");
  EXPECT_TRUE(m.strictSource);
  EXPECT_EQ(m.mediaTimeout, std::chrono::seconds(30));
  EXPECT_EQ(m.portQuarantine, std::chrono::milliseconds(2000));
  EXPECT_EQ(m.maxSessions, 1000u);

  ASSERT_EQ(c.routes.size(), 2u);
  const Route& fwd = c.routes[0];
  EXPECT_EQ(fwd.name, "to-core");
  EXPECT_EQ(fwd.match.methods, (std::vector<std::string>{"INVITE", "MESSAGE"}));
  EXPECT_EQ(fwd.match.userPrefix, "+1");
  EXPECT_EQ(fwd.match.userRegexText, "^\\+?(1[0-9]+)$");
  ASSERT_TRUE(fwd.match.userRegex.has_value());
  EXPECT_EQ(fwd.match.toDomain, "biloxi.example.com");
  EXPECT_EQ(fwd.match.fromDomain, "atlanta.example.com");
  EXPECT_EQ(fwd.rewrites.requestUriUser, "$1");
  EXPECT_EQ(fwd.rewrites.requestUriHost, "carrier.example");
  EXPECT_EQ(fwd.rewrites.fromUser, "x$1");
  EXPECT_EQ(fwd.rewrites.fromHost, "f.example");
  EXPECT_EQ(fwd.rewrites.toUser, "$user");
  EXPECT_EQ(fwd.rewrites.toHost, "t.example");
  EXPECT_EQ(fwd.media, Route::Media::kAnchor);
  const Route& deny = c.routes[1];
  EXPECT_EQ(deny.action, Route::Action::kReject);
  EXPECT_EQ(deny.rejectCode, 403);
  EXPECT_EQ(deny.rejectReason, "No route");
}

TEST(ConfigLoad, RejectReasonDefaultsToTheStandardPhrase) {
  Config c = loadOk(
      "realms: [ { name: a, listen: [ { address: 127.0.0.1 } ] } ]\n"
      "routes: [ { name: r, reject: { code: 486 } } ]\n");
  EXPECT_EQ(c.routes[0].rejectReason, "Busy Here");
}

TEST(ConfigLoad, HeaderNamesDefaults) {
  Config c = loadOk(
      "realms:\n"
      "  - { name: a, listen: [ { address: 127.0.0.1 } ], headers: { mode: blacklist } }\n"
      "  - { name: b, listen: [ { address: 127.0.0.2 } ], headers: { names: [] } }\n");
  EXPECT_TRUE(c.realms[0].headers.names.empty()) << "a blacklist that names nothing";
  EXPECT_TRUE(c.realms[1].headers.names.empty()) << "an explicitly empty whitelist";
}

TEST(ConfigLoad, MissingFile) {
  LoadResult r = loadConfigFile("/nonexistent/sbc.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(errorLines(r), std::vector<std::string>{
                               "cannot read /nonexistent/sbc.yaml: No such file or directory"});
}

TEST(ConfigLoad, ErrorToString) {
  EXPECT_EQ((ConfigError{12, 5, "x"}).toString(), "line 12, column 5: x");
  EXPECT_EQ((ConfigError{0, 0, "x"}).toString(), "x");
}

// ---------------------------------------------------------------------------------------
// Loader: every error, with its message and position

TEST(ConfigErrors, YamlSyntax) {
  expectErrors("realms: [ { name: a }\n",
               {"line 2, column 1: YAML syntax error: end of sequence flow not found"});
  expectErrors("log: a: b\n", {"line 1, column 7: YAML syntax error: illegal map value"});
}

TEST(ConfigErrors, DocumentShape) {
  expectErrors("", {"the configuration is empty: it needs at least 'realms'"});
  expectErrors("- a\n",
               {"line 1, column 1: the configuration must be a map of 'key: value' entries"});
  expectErrors("log: {}\n", {"line 1, column 1: missing required key 'realms'"});
  expectErrors("realms: []\n---\nrealms: []\n",
               {"line 2, column 1: a second YAML document starts here: the configuration is one "
                "document"});
  // yaml-cpp would read this as endless empty documents: it is an error, found at once.
  expectErrors(", realms: []\n",
               {"line 1, column 1: YAML syntax error: cannot read past this point (a ',' outside "
                "[...] or {...}?)"});
}

const char* const kRealmHead =
    "realms:\n"
    "  - name: a\n"
    "    listen: [ { address: 127.0.0.1 } ]\n";

// ---------------------------------------------------------------------------------------
// media.srtp and media.srtp_suites (issue 15)

TEST(ConfigSrtp, DefaultsAndExplicitValues) {
  Config c =
      loadOk(std::string(kRealmHead) +
             "    media: { address: 10.0.0.1, port_min: 30000, port_max: 30999 }\n"
             "  - name: b\n"
             "    listen: [ { address: 127.0.0.2 } ]\n"
             "    media:\n"
             "      address: 10.0.0.2\n"
             "      port_min: 30000\n"
             "      port_max: 30999\n"
             "      srtp: required\n"
             "      srtp_suites: [AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80]\n"
             "  - name: c\n"
             "    listen: [ { address: 127.0.0.3 } ]\n"
             "    media: { address: 10.0.0.3, port_min: 30000, port_max: 30999, srtp: off }\n");
  using mediaplane::SrtpSuite;
  const RealmSrtp& a = c.realm("a")->media->srtp;
  EXPECT_EQ(a.mode, SrtpMode::kOptional);
  EXPECT_EQ(a.suites, (std::vector<SrtpSuite>{
                          SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm}));
  const RealmSrtp& b = c.realm("b")->media->srtp;
  EXPECT_EQ(b.mode, SrtpMode::kRequired);
  EXPECT_EQ(b.suites,
            (std::vector<SrtpSuite>{SrtpSuite::kAeadAes256Gcm, SrtpSuite::kAesCm128HmacSha1_80}));
  EXPECT_EQ(c.realm("c")->media->srtp.mode, SrtpMode::kOff);
}

TEST(ConfigSrtp, Errors) {
  std::string media = std::string(kRealmHead) +
                      "    media: { address: 10.0.0.1, port_min: 30000, port_max: 30999, ";
  expectErrors(media + "srtp: yes }\n",
               {"line 4, column 73: realm 'a': media srtp 'yes' is not one of off, optional, "
                "required"});
  expectErrors(media + "srtp_suites: [AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_81] }\n",
               {"line 4, column 106: realm 'a': media srtp_suites 'AES_CM_128_HMAC_SHA1_81' is "
                "not an SRTP suite (one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
                "AEAD_AES_128_GCM, AEAD_AES_256_GCM) (did you mean 'AES_CM_128_HMAC_SHA1_80'?)"});
  expectErrors(media + "srtp_suites: [AEAD_AES_128_GCM, AEAD_AES_128_GCM] }\n",
               {"line 4, column 99: realm 'a': media srtp_suites 'AEAD_AES_128_GCM' appears "
                "twice"});
  expectErrors(media + "srtp_suites: [] }\n",
               {"line 4, column 80: realm 'a': media srtp_suites is empty: list at least one "
                "suite, or set media srtp: off"});
  expectErrors(media + "srtp_suites: AEAD_AES_128_GCM }\n",
               {"line 4, column 80: realm 'a': media srtp_suites must be a list (entries starting "
                "with '- ')"});
}

// media.codecs and media.strip_codecs (issue 16)
TEST(ConfigCodecs, ListsInCanonicalSpelling) {
  Config c = loadOk(std::string(kRealmHead) +
                    "    media:\n"
                    "      address: 10.0.0.1\n"
                    "      port_min: 30000\n"
                    "      port_max: 30999\n"
                    "      codecs: [OPUS, pcma, G722, Telephone-Event]\n"
                    "      strip_codecs: [g729]\n");
  const topology::RealmCodecs& a = c.realm("a")->media->codecs;
  EXPECT_EQ(a.allow, (std::vector<std::string>{"opus", "PCMA", "G722", "telephone-event"}));
  EXPECT_EQ(a.strip, (std::vector<std::string>{"G729"}));
  Config d = loadOk(std::string(kRealmHead) +
                    "    media: { address: 10.0.0.1, port_min: 30000, port_max: 30999 }\n");
  EXPECT_TRUE(d.realm("a")->media->codecs.allow.empty());  // no rule: every codec
  EXPECT_TRUE(d.realm("a")->media->codecs.strip.empty());
}

TEST(ConfigCodecs, Errors) {
  std::string media = std::string(kRealmHead) +
                      "    media: { address: 10.0.0.1, port_min: 30000, port_max: 30999, ";
  const std::string known =
      "(one of PCMU, PCMA, G722, G729, opus, telephone-event, CN, red, GSM, G723, G726-32, G728, "
      "iLBC, AMR, AMR-WB, speex, L16, EVS, SILK)";
  expectErrors(
      media + "codecs: [PCMU, G.722] }\n",
      {"line 4, column 82: realm 'a': media codecs 'G.722' is not a codec this SBC knows " + known +
       " (did you mean 'G722'?)"});
  expectErrors(media + "strip_codecs: [opsu] }\n",
               {"line 4, column 82: realm 'a': media strip_codecs 'opsu' is not a codec this SBC "
                "knows " +
                known + " (did you mean 'opus'?)"});
  expectErrors(media + "codecs: [PCMU, pcmu] }\n",
               {"line 4, column 82: realm 'a': media codecs 'pcmu' appears twice"});
  expectErrors(media + "codecs: [] }\n",
               {"line 4, column 75: realm 'a': media codecs is empty: list the codecs allowed, or "
                "leave it out"});
  expectErrors(media + "codecs: [PCMU, G729], strip_codecs: [G729] }\n",
               {"line 4, column 103: realm 'a': media strip_codecs 'G729' is also in media codecs: "
                "one or the other"});
  expectErrors(media + "codecs: [telephone-event, CN] }\n",
               {"line 4, column 75: realm 'a': media codecs lists no audio codec "
                "(telephone-event, CN and red carry none): every offer would be refused"});
  expectErrors(media + "codecs: PCMU }\n",
               {"line 4, column 75: realm 'a': media codecs must be a list (entries starting with "
                "'- ')"});
}

TEST(ConfigErrors, UnknownKeysWithHints) {
  expectErrors("realm:\n  - name: a\n",
               {"line 1, column 1: unknown key 'realm' at the top level (did you mean 'realms'?)"});
  expectErrors(
      "realms:\n"
      "  - name: access\n"
      "    listen:\n"
      "      - { transport: udp, adress: 127.0.0.1 }\n",
      {"line 4, column 27: unknown key 'adress' in realm 'access' listen (did you mean "
       "'address'?)"});
  expectErrors(std::string(kRealmHead) + "    colour: blue\n",
               {"line 4, column 5: unknown key 'colour' in realm 'a'"});
  expectErrors(std::string(kRealmHead) + "sip: { timers: { t3_ms: 1 } }\n",
               {"line 4, column 18: unknown key 't3_ms' in sip timers (did you mean 't1_ms'?)"});
}

TEST(ConfigErrors, DuplicateKey) {
  expectErrors(std::string(kRealmHead) + "log: { level: info }\nlog: { level: warn }\n",
               {"line 5, column 1: duplicate key 'log' at the top level (first on line 4)"});
}

TEST(ConfigErrors, WrongTypes) {
  expectErrors("realms: { name: a }\n",
               {"line 1, column 9: realms must be a list (entries starting with '- ')"});
  expectErrors("realms:\n  - name: [a]\n    listen: [ { address: 127.0.0.1 } ]\n",
               {"line 2, column 11: realm #1: name must be text, not a list"});
  expectErrors("realms:\n  - name: a\n    listen: [ { address: 127.0.0.1, port: abc } ]\n",
               {"line 3, column 43: realm 'a': listen port must be a whole number, got 'abc'"});
  expectErrors(
      "realms:\n  - name: a\n    listen: { address: 127.0.0.1 }\n",
      {"line 3, column 13: realm 'a': listen must be a list (entries starting with '- ')"});
  expectErrors(std::string(kRealmHead) + "    media: 5\n",
               {"line 4, column 12: realm 'a': media must be a map of 'key: value' entries"});
  expectErrors(std::string(kRealmHead) + "sip: { max_forwards: 7.5 }\n",
               {"line 4, column 22: sip: max_forwards must be a whole number, got '7.5'"});
}

TEST(ConfigErrors, MissingRequiredKeys) {
  expectErrors("realms:\n  - name: a\n",
               {"line 2, column 5: realm 'a': missing required key 'listen'"});
  expectErrors("realms:\n  - listen: [ { address: 127.0.0.1 } ]\n",
               {"line 2, column 5: realm #1: missing required key 'name'"});
  expectErrors("realms:\n  - name: a\n    listen: [ { port: 5060 } ]\n",
               {"line 3, column 15: realm 'a': missing required key 'address' in listen"});
  expectErrors("realms:\n  - name: a\n    listen:\n",
               {"line 3, column 5: realm 'a': listen needs a value"});
  expectErrors(std::string(kRealmHead) +
                   "routes:\n  - name: r\n    forward: { realm: a }\n    media: bypass\n",
               {"line 6, column 14: route 'r': missing required key 'host' in forward"});
  expectErrors(std::string(kRealmHead) + "routes:\n  - name: r\n    reject: { reason: x }\n",
               {"line 6, column 13: route 'r': missing required key 'code' in reject"});
}

TEST(ConfigErrors, RealmNames) {
  expectErrors(
      "realms:\n"
      "  - { name: a, listen: [ { address: 127.0.0.1 } ] }\n"
      "  - { name: a, listen: [ { address: 127.0.0.2 } ] }\n",
      {"line 3, column 13: realm 'a': defined twice (first on line 2)"});
  expectErrors("realms:\n  - { name: 'a b', listen: [ { address: 127.0.0.1 } ] }\n",
               {"line 2, column 13: realm #1: name 'a b' may use only letters, digits, '.', '_' "
                "and '-'"});
  expectErrors("realms: []\n", {"line 1, column 9: realms is empty: define at least one realm"});
}

TEST(ConfigErrors, ListenPortRange) {
  expectErrors(
      "realms:\n"
      "  - name: core\n"
      "    listen:\n"
      "      - { address: 127.0.0.1, port: 70000 }\n"
      "      - { address: 127.0.0.2, port: 0 }\n"
      "      - { address: 127.0.0.3, port: -1 }\n",
      {"line 4, column 37: realm 'core': listen port 70000 is out of range 1-65535",
       "line 5, column 37: realm 'core': listen port 0 is out of range 1-65535",
       "line 6, column 37: realm 'core': listen port -1 is out of range 1-65535"});
}

TEST(ConfigErrors, DuplicateListenAcrossRealms) {
  expectErrors(
      "realms:\n"
      "  - name: access\n"
      "    listen:\n"
      "      - { transport: udp, address: 127.0.0.1 }\n"
      "      - { transport: tcp, address: 127.0.0.1 }\n"  // another transport: fine
      "  - name: core\n"
      "    listen:\n"
      "      - { transport: udp, address: 127.0.0.1, port: 5060 }\n"
      "      - { transport: udp, address: 127.0.0.1, port: 5062 }\n",  // another port: fine
      {"line 8, column 9: realm 'core': listen udp 127.0.0.1:5060 is already used by realm "
       "'access' (line 4)"});
  // The same IPv6 address spelled two ways, and a wildcard over a specific address.
  expectErrors(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: '::1' }, { transport: tcp, address: '0.0.0.0' } ]\n"
      "    advertised_address: 127.0.0.1\n"
      "  - name: b\n"
      "    listen: [ { address: '0:0::1' }, { transport: tcp, address: 127.0.0.5 } ]\n",
      {"line 6, column 15: realm 'b': listen udp [0:0::1]:5060 is already used by realm 'a' "
       "(line 3)",
       "line 6, column 38: realm 'b': listen tcp 127.0.0.5:5060 overlaps tcp 0.0.0.0:5060 of "
       "realm 'a' (line 3)"});
}

TEST(ConfigErrors, IpLiterals) {
  expectErrors(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 127.0.0.256 }, { address: example.com, port: 5070 } ]\n"
      "    advertised_address: 1.2.3\n"
      "    media: { address: 'fe80::1::2', port_min: 30000, port_max: 30001 }\n",
      {"line 3, column 26: realm 'a': listen address '127.0.0.256' is not an IPv4 or IPv6 "
       "address",
       "line 3, column 52: realm 'a': listen address 'example.com' is not an IPv4 or IPv6 "
       "address",
       "line 4, column 25: realm 'a': advertised_address '1.2.3' is not an IPv4 or IPv6 address",
       "line 5, column 23: realm 'a': media address 'fe80::1::2' is not an IPv4 or IPv6 "
       "address"});
}

TEST(ConfigErrors, WildcardAddresses) {
  expectErrors("realms:\n  - name: a\n    listen: [ { address: 0.0.0.0 } ]\n",
               {"line 2, column 5: realm 'a': advertised_address is required when the first "
                "listen address (0.0.0.0) is a wildcard"});
  expectErrors(std::string(kRealmHead) + "    advertised_address: '::'\n",
               {"line 4, column 25: realm 'a': advertised_address '::' is a wildcard: give the "
                "address peers reach this realm at"});
}

TEST(ConfigErrors, MediaRange) {
  expectErrors(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 127.0.0.1 } ]\n"
      "    media: { address: 127.0.0.1, port_min: 30001, port_max: 30998 }\n",
      {"line 4, column 44: realm 'a': media port_min 30001 must be even (RTP takes the even "
       "port, RTCP the odd one above it)",
       "line 4, column 61: realm 'a': media port_max 30998 must be odd, so that the range ends "
       "with a whole RTP/RTCP pair"});
  expectErrors(std::string(kRealmHead) +
                   "    media: { address: 127.0.0.1, port_min: 31000, port_max: 30999 }\n",
               {"line 4, column 44: realm 'a': media port_min 31000 must be below port_max "
                "30999"});
  expectErrors(std::string(kRealmHead) + "    media: { address: 127.0.0.1, port_min: 30000 }\n",
               {"line 4, column 12: realm 'a': missing required key 'port_max' in media"});
  expectErrors(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 127.0.0.1 } ]\n"
      "    media: { address: 127.0.0.1, port_min: 30000, port_max: 30999 }\n"
      "  - name: b\n"
      "    listen: [ { address: 127.0.0.2 } ]\n"
      "    media: { address: 127.0.0.1, port_min: 30998, port_max: 31999 }\n",
      {"line 7, column 12: realm 'b': media ports 30998-31999 on 127.0.0.1 overlap realm 'a' "
       "(30000-30999)"});
}

TEST(ConfigErrors, Limits) {
  expectErrors(
      std::string(kRealmHead) + "    limits: { tcp_max_connections: 0, tcp_idle_timeout_s: 0 }\n",
      {"line 4, column 36: realm 'a': limits tcp_max_connections 0 is out of range "
       "1-1000000",
       "line 4, column 59: realm 'a': limits tcp_idle_timeout_s 0 is out of range "
       "1-86400"});
}

// TCP resource caps (issue 14, defects 5 and 6): defaults, values, ranges.
TEST(ConfigRealms, TcpResourceLimits) {
  Config d = loadOk(kRealmHead);
  EXPECT_EQ(d.realms[0].limits.tcpMaxConnectionsPerSource, 64u);
  EXPECT_EQ(d.realms[0].limits.tcpMaxOutboundConnections, 1024u);
  EXPECT_EQ(d.realms[0].limits.tcpMaxQueuedBytes, 262144u);
  Config c = loadOk(std::string(kRealmHead) +
                    "    limits: { tcp_max_connections_per_source: 3, "
                    "tcp_max_outbound_connections: 7, tcp_max_queued_bytes: 131072 }\n");
  EXPECT_EQ(c.realms[0].limits.tcpMaxConnectionsPerSource, 3u);
  EXPECT_EQ(c.realms[0].limits.tcpMaxOutboundConnections, 7u);
  EXPECT_EQ(c.realms[0].limits.tcpMaxQueuedBytes, 131072u);
  expectErrors(std::string(kRealmHead) +
                   "    limits: { tcp_max_connections_per_source: 0, "
                   "tcp_max_outbound_connections: 0, tcp_max_queued_bytes: 1000 }\n",
               {"line 4, column 47: realm 'a': limits tcp_max_connections_per_source 0 is out "
                "of range 1-1000000",
                "line 4, column 80: realm 'a': limits tcp_max_outbound_connections 0 is out of "
                "range 1-1000000",
                "line 4, column 105: realm 'a': limits tcp_max_queued_bytes 1000 is out of range "
                "131072-1073741824"});
}

TEST(ConfigErrors, SipSettings) {
  expectErrors(std::string(kRealmHead) + "sip: { timers: { t1_ms: 0 } }\n",
               {"line 4, column 25: sip: timers t1_ms 0 is out of range 1-60000"});
  expectErrors(std::string(kRealmHead) + "sip: { timers: { t1_ms: 500, t2_ms: 400 } }\n",
               {"line 4, column 37: sip: timers t2_ms 400 must not be below t1_ms 500"});
  expectErrors(std::string(kRealmHead) + "sip: { max_forwards: 256 }\n",
               {"line 4, column 22: sip: max_forwards 256 is out of range 1-255"});
  expectErrors(std::string(kRealmHead) + "sip: { response_map: { 200: 480, 503: 700 } }\n",
               {"line 4, column 24: sip: response_map code 200 is out of range 300-699",
                "line 4, column 39: sip: response_map 503: 700 is out of range 300-699"});
  expectErrors(std::string(kRealmHead) + "sip: { user_agent: \"\" }\n",
               {"line 4, column 20: sip: user_agent must be one line of printable text"});
}

// Issue 14, defect 8: the transaction tables' caps.
TEST(ConfigLoad, TransactionCaps) {
  const char* realm =
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 192.0.2.1 } ]\n";
  Config defaults = loadOk(realm);
  EXPECT_EQ(defaults.sip.maxServerTransactions, 100000u);
  EXPECT_EQ(defaults.sip.maxClientTransactions, 100000u);
  Config c = loadOk(
      std::string("sip: { max_server_transactions: 500, max_client_transactions: 300 }\n") + realm);
  EXPECT_EQ(c.sip.maxServerTransactions, 500u);
  EXPECT_EQ(c.sip.maxClientTransactions, 300u);
  expectErrors(std::string(kRealmHead) + "sip: { max_server_transactions: 0 }\n",
               {"line 4, column 33: sip: max_server_transactions 0 is out of range 1-10000000"});
  expectErrors(std::string(kRealmHead) + "sip: { max_client_transactions: -1 }\n",
               {"line 4, column 33: sip: max_client_transactions -1 is out of range 1-10000000"});
}

// Issue 14, defects 3, 7, 8: Timer C, m= lines per SDP, the B2BUA's table caps.
TEST(ConfigLoad, SipTimerCAndTableCaps) {
  Config d = loadOk(std::string(kRealmHead));
  EXPECT_EQ(d.sip.timerC, std::chrono::seconds(185));  // over 3 minutes (RFC 3261 §16.6)
  EXPECT_EQ(d.sip.maxCalls, 20000u);
  EXPECT_EQ(d.sip.maxDialogs, 40000u);
  EXPECT_EQ(d.sip.maxMediaLines, 8u);
  Config c = loadOk(std::string(kRealmHead) +
                    "sip: { timer_c_s: 200, max_calls: 500, max_dialogs: 1200, "
                    "max_media_lines: 4 }\n");
  EXPECT_EQ(c.sip.timerC, std::chrono::seconds(200));
  EXPECT_EQ(c.sip.maxCalls, 500u);
  EXPECT_EQ(c.sip.maxDialogs, 1200u);
  EXPECT_EQ(c.sip.maxMediaLines, 4u);
  // Without max_dialogs, two per call.
  Config e = loadOk(std::string(kRealmHead) + "sip: { max_calls: 30000 }\n");
  EXPECT_EQ(e.sip.maxDialogs, 60000u);
  Config r = loadOk(std::string(kRealmHead) + "    limits: { max_calls: 0 }\n");
  EXPECT_EQ(r.realms[0].limits.maxCalls, 0u);  // no realm limit; sip.max_calls holds
}

TEST(ConfigErrors, SipTimerCAndTableCaps) {
  expectErrors(std::string(kRealmHead) + "sip: { timer_c_s: 0 }\n",
               {"line 4, column 19: sip: timer_c_s 0 is out of range 1-86400"});
  expectErrors(std::string(kRealmHead) + "sip: { max_calls: 0 }\n",
               {"line 4, column 19: sip: max_calls 0 is out of range 1-10000000"});
  expectErrors(std::string(kRealmHead) + "sip: { max_media_lines: 0 }\n",
               {"line 4, column 25: sip: max_media_lines 0 is out of range 1-64"});
  expectErrors(std::string(kRealmHead) + "sip: { max_calls: 100, max_dialogs: 150 }\n",
               {"line 4, column 37: sip: max_dialogs 150 must be at least twice max_calls "
                "(100): every call holds two dialogs"});
}

TEST(ConfigErrors, LogLevel) {
  expectErrors(std::string(kRealmHead) + "log: { level: warning }\n",
               {"line 4, column 15: log: level 'warning' is not one of trace, debug, info, "
                "warn, error"});
  expectErrors(std::string(kRealmHead) + "log: { level: debg }\n",
               {"line 4, column 15: log: level 'debg' is not one of trace, debug, info, warn, "
                "error (did you mean 'debug'?)"});
}

TEST(ConfigErrors, TopologyHiding) {
  expectErrors(
      std::string(kRealmHead) +
          "    topology_hiding:\n"
          "      identity_headers: { Via: keep, Server: hide, User-Agent: { replace: \"\" } }\n"
          "      sdp_identity: strip\n",
      {"line 5, column 27: realm 'a': identity_headers 'Via' never crosses between realms (the "
       "SBC builds it for each leg): remove it",
       "line 5, column 46: realm 'a': identity_headers Server 'hide' is not one of strip, "
       "replace, keep",
       "line 5, column 75: realm 'a': identity_headers User-Agent replace must be one line of "
       "printable text",
       "line 6, column 21: realm 'a': topology_hiding sdp_identity 'strip' is not one of hide, "
       "keep"});
}

TEST(ConfigErrors, HeaderNamesAndRules) {
  expectErrors(std::string(kRealmHead) +
                   "    headers:\n"
                   "      mode: graylist\n"
                   "      names: [Event, Via, Server, 'Bad Name']\n",
               {"line 5, column 13: realm 'a': headers mode 'graylist' is not one of whitelist, "
                "blacklist",
                "line 6, column 22: realm 'a': headers names 'Via' never crosses between realms "
                "(the SBC builds it for each leg): remove it from the whitelist",
                "line 6, column 27: realm 'a': headers names 'Server' is an identity header: set "
                "its policy under topology_hiding.identity_headers instead",
                "line 6, column 35: realm 'a': headers names 'Bad Name' is not a header name"});
  // Blacklisting a header that never crosses anyway is harmless.
  loadOk(std::string(kRealmHead) + "    headers: { mode: blacklist, names: [Via, X-A] }\n");
  expectErrors(std::string(kRealmHead) +
                   "    headers:\n"
                   "      rules:\n"
                   "        - { add: X-A }\n"
                   "        - { remove: X-B, value: 1 }\n"
                   "        - { add: X-C, remove: X-D }\n"
                   "        - { replace: Contact, value: x }\n"
                   "        - { add: X-E, value: \"a\\r\\nVia: evil\" }\n"
                   "        - { value: 1 }\n",
               {"line 6, column 11: realm 'a': header rule 1 (add X-A) needs a value",
                "line 7, column 33: realm 'a': header rule 2 (remove X-B) takes no value",
                "line 8, column 11: realm 'a': header rule 3 needs exactly one of add, remove, "
                "replace",
                "line 9, column 22: realm 'a': header rule 4 may not edit 'Contact': the SBC "
                "builds it for each leg",
                "line 10, column 30: realm 'a': header rule 5 value must be one line of "
                "printable text",
                "line 11, column 11: realm 'a': header rule 6 needs exactly one of add, remove, "
                "replace"});
}

// Issue 14, defects 10 and 11: how far a realm's peers are believed, and which body types
// may cross into it.
TEST(ConfigLoad, RealmTrustAndBodies) {
  Config c = loadOk(
      "realms:\n"
      "  - { name: access, listen: [ { address: 127.0.0.1 } ] }\n"
      "  - name: carrier\n"
      "    listen: [ { address: 127.0.0.2 } ]\n"
      "    trust: trusted\n"
      "    bodies: [application/dtmf-relay, application/ISUP, message/sipfrag]\n"
      "  - { name: sdp-only, listen: [ { address: 127.0.0.3 } ], trust: untrusted, bodies: [] }\n");
  const Realm* access = c.realm("access");
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->trust, Trust::kUntrusted);  // the default: a realm is not believed
  EXPECT_EQ(access->bodies, defaultBodyTypes());
  EXPECT_EQ(access->bodies,
            (std::vector<std::string>{"application/dtmf-relay", "application/dtmf"}));
  const Realm* carrier = c.realm("carrier");
  ASSERT_NE(carrier, nullptr);
  EXPECT_EQ(carrier->trust, Trust::kTrusted);
  EXPECT_EQ(carrier->bodies, (std::vector<std::string>{"application/dtmf-relay", "application/ISUP",
                                                       "message/sipfrag"}));
  const Realm* sdpOnly = c.realm("sdp-only");
  ASSERT_NE(sdpOnly, nullptr);
  EXPECT_EQ(sdpOnly->trust, Trust::kUntrusted);
  EXPECT_TRUE(sdpOnly->bodies.empty());
}

TEST(ConfigErrors, RealmTrustAndBodies) {
  expectErrors(std::string(kRealmHead) +
                   "    trust: maybe\n"
                   "    bodies: [application, multipart/mixed, 'text/plain;charset=utf-8',\n"
                   "             application/dtmf, application/DTMF]\n",
               {"line 4, column 12: realm 'a': trust 'maybe' is not one of untrusted, trusted",
                "line 5, column 14: realm 'a': bodies 'application' is not a content type "
                "(type/subtype, no parameters)",
                "line 5, column 27: realm 'a': bodies 'multipart/mixed': multipart bodies are "
                "taken apart, list the types of the parts to keep",
                "line 5, column 44: realm 'a': bodies 'text/plain;charset=utf-8' is not a "
                "content type (type/subtype, no parameters)",
                "line 6, column 32: realm 'a': bodies 'application/DTMF' appears twice"});
  expectErrors(
      std::string(kRealmHead) + "    bodies: application/sdp\n",
      {"line 4, column 13: realm 'a': bodies must be a list (entries starting with '- ')"});
}

const char* const kTwoRealms =
    "realms:\n"
    "  - { name: access, listen: [ { address: 127.0.0.1 } ] }\n"
    "  - { name: core, listen: [ { address: 127.0.0.2 } ] }\n"
    "routes:\n";

TEST(ConfigErrors, RouteRealmsMustExist) {
  expectErrors(std::string(kTwoRealms) +
                   "  - name: r\n"
                   "    match: { source_realm: acces }\n"
                   "    forward: { realm: edge, host: 127.0.0.3 }\n"
                   "    media: bypass\n",
               {"line 6, column 28: route 'r': match source_realm 'acces' is not a defined realm "
                "(did you mean 'access'?)",
                "line 7, column 23: route 'r': forward realm 'edge' is not a defined realm"});
}

TEST(ConfigErrors, TrunkTransportNeedsAListener) {
  expectErrors(std::string(kTwoRealms) +
                   "  - { name: r, forward: { realm: core, host: 127.0.0.3, transport: tcp }, "
                   "media: bypass }\n",
               {"line 5, column 68: route 'r': forward transport tcp needs a tcp listener in "
                "realm 'core'"});
}

TEST(ConfigErrors, InvalidRegex) {
  expectErrors(std::string(kTwoRealms) +
                   "  - name: r\n"
                   "    match: { user_regex: \"^(1[0-9]+$\" }\n"
                   "    reject: { code: 404 }\n",
               {"line 6, column 26: route 'r': match user_regex '^(1[0-9]+$' is invalid: "
                "Mismatched '(' and ')' in regular expression"});
}

TEST(ConfigErrors, RouteMatchValues) {
  expectErrors(std::string(kTwoRealms) +
                   "  - name: r\n"
                   "    match: { methods: [INVTE, invite], to_domain: 'a b', from_domain: 'x:y' }\n"
                   "    reject: { code: 404 }\n",
               {"line 6, column 24: route 'r': match methods 'INVTE' is not a SIP method the SBC "
                "handles (did you mean 'INVITE'?)",
                "line 6, column 31: route 'r': match methods 'invite' is not a SIP method the SBC "
                "handles (did you mean 'INVITE'?)",
                "line 6, column 51: route 'r': match to_domain 'a b' is not a host name or IP "
                "address",
                "line 6, column 71: route 'r': match from_domain 'x:y' is not a host name or IP "
                "address"});
}

TEST(ConfigErrors, RejectCodeRange) {
  expectErrors(std::string(kTwoRealms) +
                   "  - { name: a, match: { source_realm: core }, reject: { code: 299 } }\n"
                   "  - { name: b, match: { source_realm: core }, reject: { code: 700 } }\n"
                   "  - { name: c, match: { source_realm: core }, reject: { code: 300 } }\n"
                   "  - { name: d, match: { source_realm: core }, reject: { code: 699 } }\n",
               {"line 5, column 63: route 'a': reject code 299 is out of range 300-699",
                "line 6, column 63: route 'b': reject code 700 is out of range 300-699"});
}

TEST(ConfigErrors, RouteShape) {
  expectErrors(std::string(kTwoRealms) +
                   "  - name: both\n"
                   "    match: { source_realm: core }\n"
                   "    forward: { realm: core, host: 127.0.0.3 }\n"
                   "    reject: { code: 403 }\n"
                   "  - name: neither\n"
                   "    match: { source_realm: core }\n"
                   "  - name: both\n"
                   "    match: { source_realm: access }\n"
                   "    reject: { code: 403 }\n"
                   "    rewrite: { to_user: x }\n"
                   "    media: anchor\n",
               {"line 8, column 13: route 'both': has both forward and reject: a route does one or "
                "the other",
                "line 9, column 5: route 'neither': needs either forward or reject",
                "line 11, column 11: route 'both': defined twice (first on line 5)",
                "line 14, column 14: route 'both': rewrite applies only to forward routes",
                "line 15, column 12: route 'both': media applies only to forward routes"});
}

TEST(ConfigErrors, CatchAllHidesLaterRoutes) {
  expectErrors(std::string(kTwoRealms) +
                   "  - { name: all, reject: { code: 404 } }\n"
                   "  - { name: x, match: { source_realm: core }, reject: { code: 403 } }\n"
                   "  - { name: y, match: { source_realm: core }, reject: { code: 403 } }\n",
               {"line 5, column 5: route 'all': matches every request, so the 2 routes after it "
                "can never match: move it last"});
}

TEST(ConfigErrors, RewriteTemplates) {
  expectErrors(std::string(kTwoRealms) +
                   "  - name: r\n"
                   "    match: { user_regex: '^(1)([0-9]+)$' }\n"
                   "    forward: { realm: core, host: 127.0.0.3 }\n"
                   "    rewrite: { request_uri_user: '$3', to_user: '$x', from_user: 'a$', "
                   "to_host: 'a b' }\n"
                   "    media: bypass\n"
                   "  - name: s\n"
                   "    forward: { realm: core, host: 127.0.0.3 }\n"
                   "    rewrite: { request_uri_user: '$1$$' }\n"
                   "    media: bypass\n",
               {"line 8, column 34: route 'r': rewrite request_uri_user '$3': '$3' refers to "
                "group 3 but user_regex has 2 groups",
                "line 8, column 49: route 'r': rewrite to_user '$x': '$' must be followed by 1-9, "
                "'user' or '$' (write '$$' for a literal '$')",
                "line 8, column 66: route 'r': rewrite from_user 'a$': '$' must be followed by "
                "1-9, 'user' or '$' (write '$$' for a literal '$')",
                "line 8, column 81: route 'r': rewrite to_host 'a b' is not a host name or IP "
                "address",
                "line 12, column 34: route 's': rewrite request_uri_user '$1$$': '$1' needs a "
                "user_regex with a capture group"});
}

TEST(ConfigErrors, EveryErrorInFileOrder) {
  // routes come first in the file but are read after realms: errors are still in file order.
  expectErrors(
      "routes:\n"
      "  - { name: r, forward: { realm: nowhere, host: 127.0.0.3 }, media: bypass }\n"
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 127.0.0.1, port: 99999 } ]\n"
      "log: { level: loud }\n",
      {"line 2, column 34: route 'r': forward realm 'nowhere' is not a defined realm",
       "line 5, column 43: realm 'a': listen port 99999 is out of range 1-65535",
       "line 6, column 15: log: level 'loud' is not one of trace, debug, info, warn, error"});
}

// ---------------------------------------------------------------------------------------
// Loader: the media plane, and routes that anchor media

const char* const kMediaRealms =
    "realms:\n"
    "  - name: access\n"
    "    listen: [ { address: 192.0.2.1 } ]\n"
    "    media: { address: 192.0.2.1, port_min: 20000, port_max: 20999 }\n"
    "  - name: core\n"
    "    listen: [ { address: 10.0.0.1 } ]\n"
    "    media: { address: 10.0.0.1, port_min: 30000, port_max: 30999 }\n"
    "  - name: v6\n"
    "    listen: [ { address: '2001:db8::1' } ]\n"
    "    media: { address: '2001:db8::1', port_min: 40000, port_max: 40999 }\n"
    "  - name: nomedia\n"
    "    listen: [ { address: 10.9.0.1 } ]\n";

TEST(MediaPlane, Defaults) {
  Config c = loadOk(std::string(kMediaRealms) +
                    "media_plane:\n"
                    "  interfaces: [ { realm: access, device: net_null0 } ]\n");
  const MediaPlaneSettings& m = c.mediaPlane;
  EXPECT_TRUE(m.enabled);
  EXPECT_TRUE(m.eal.empty());
  EXPECT_EQ(m.lcores, std::vector<unsigned>{1});
  ASSERT_EQ(m.interfaces.size(), 1u);
  EXPECT_EQ(m.interfaces[0].prefixLength, 24);
  EXPECT_EQ(m.interfaces[0].gateway, "");
  EXPECT_EQ(m.interfaces[0].mac, "");
  EXPECT_FALSE(m.strictSource);
  EXPECT_EQ(m.mediaTimeout, std::chrono::seconds(60));
  EXPECT_EQ(m.portQuarantine, std::chrono::milliseconds(10000));
  EXPECT_EQ(m.maxSessions, 131072u);
}

// Issue 14: how a latched media source may change (dpdk/README.md, "Latching").
TEST(MediaPlane, LatchingModeAndHandover) {
  std::string head = std::string(kMediaRealms) +
                     "media_plane:\n"  // line 13
                     "  interfaces: [ { realm: access, device: net_null0 } ]\n";
  Config d = loadOk(head);
  EXPECT_EQ(d.mediaPlane.latching, mediaplane::Latching::kLearning) << "the default";
  EXPECT_EQ(d.mediaPlane.latchHandover, std::chrono::milliseconds(2000));
  Config c = loadOk(head + "  latching: learning_any_address\n  latch_handover_ms: 0\n");
  EXPECT_EQ(c.mediaPlane.latching, mediaplane::Latching::kLearningAnyAddress);
  EXPECT_EQ(c.mediaPlane.latchHandover, std::chrono::milliseconds(0));
  mediaplane::RelaySettings r = relaySettingsOf(c);
  EXPECT_EQ(r.latching, mediaplane::Latching::kLearningAnyAddress);
  EXPECT_EQ(r.latchHandover, std::chrono::milliseconds(0));
  EXPECT_EQ(loadOk(head + "  latching: first\n").mediaPlane.latching, mediaplane::Latching::kFirst);
  expectErrors(head + "  latching: sticky\n  latch_handover_ms: 60001\n",
               {"line 15, column 13: media_plane: latching 'sticky' is not one of learning, "
                "learning_any_address, first",
                "line 16, column 22: media_plane: latch_handover_ms 60001 is out of range "
                "0-60000"});
}

TEST(MediaPlane, SectionErrors) {
  std::string head = std::string(kMediaRealms) + "media_plane:\n";  // media_plane on line 13
  expectErrors(head + "  interface: []\n",
               {"line 14, column 3: unknown key 'interface' in media_plane (did you mean "
                "'interfaces'?)"});
  expectErrors(head + "  lcores: [1]\n", {"line 14, column 3: media_plane: missing required key "
                                          "'interfaces'"});
  expectErrors(head +
                   "  interfaces: []\n"
                   "  eal: --no-huge\n"
                   "  lcores: [1, x, 1]\n"
                   "  strict_source: yes\n"
                   "  media_timeout_s: -1\n"
                   "  port_quarantine_ms: 600001\n"
                   "  max_sessions: 0\n",
               {"line 14, column 15: media_plane: interfaces is empty: give each anchoring realm "
                "one interface",
                "line 15, column 8: media_plane: eal must be a list (entries starting with '- ')",
                "line 16, column 15: media_plane: lcores must be a whole number, got 'x'",
                "line 16, column 18: media_plane: lcores 1 is listed twice",
                "line 17, column 18: media_plane: strict_source 'yes' is not one of true, false",
                "line 18, column 20: media_plane: media_timeout_s -1 is out of range 0-86400",
                "line 19, column 23: media_plane: port_quarantine_ms 600001 is out of range "
                "0-600000",
                "line 20, column 17: media_plane: max_sessions 0 is out of range 1-4194304"});
  expectErrors(head + "  interfaces: [ { realm: access, device: a } ]\n  lcores: []\n",
               {"line 15, column 11: media_plane: lcores is empty: the relay needs at least one "
                "worker lcore"});
}

TEST(MediaPlane, InterfaceErrors) {
  std::string head = std::string(kMediaRealms) + "media_plane:\n  interfaces:\n";  // line 15
  expectErrors(head +
                   "    - { realm: acess, device: a }\n"
                   "    - { realm: nomedia, device: b }\n"
                   "    - { realm: v6, device: c }\n"
                   "    - { realm: core, device: d }\n"
                   "    - { realm: core, device: e }\n"
                   "    - { realm: access, device: d }\n"
                   "    - { device: f }\n"
                   "    - { realm: access }\n",
               {"line 15, column 16: media_plane interface 'acess': realm 'acess' is not a "
                "defined realm (did you mean 'access'?)",
                "line 16, column 16: media_plane interface 'nomedia': realm 'nomedia' has no "
                "media range: add media: { address, port_min, port_max } to it",
                "line 17, column 16: media_plane interface 'v6': realm 'v6' has an IPv6 media "
                "address: the media plane relays IPv4 only for now",
                "line 19, column 16: media_plane interface 'core': realm 'core' has an "
                "interface already: one per realm",
                "line 20, column 32: media_plane interface 'access': device 'd' is used by the "
                "interface of realm 'core'",
                "line 21, column 7: media_plane interface #7: missing required key 'realm'",
                "line 22, column 7: media_plane interface 'access': missing required key "
                "'device'",
                "line 22, column 16: media_plane interface 'access': realm 'access' has an "
                "interface already: one per realm"});
  expectErrors(head +
                   "    - realm: access\n"
                   "      device: a\n"
                   "      prefix_length: 33\n"
                   "      colour: blue\n"
                   "    - { realm: core, device: b, gateway: 10.0.1.1 }\n",
               {"line 17, column 22: media_plane interface 'access': prefix_length 33 is out of "
                "range 1-32",
                "line 18, column 7: unknown key 'colour' in media_plane interface 'access'",
                "line 19, column 42: media_plane interface 'core': gateway 10.0.1.1 is outside "
                "10.0.0.1/24 (the realm's media address and prefix_length): the relay reaches "
                "its gateway on the link"});
  expectErrors(head +
                   "    - { realm: access, device: a, gateway: 192.0.2.1 }\n"
                   "    - { realm: core, device: b, gateway: router }\n",
               {"line 15, column 44: media_plane interface 'access': gateway 192.0.2.1 is the "
                "realm's media address itself",
                "line 16, column 42: media_plane interface 'core': gateway 'router' is not an "
                "IPv4 or IPv6 address"});
  expectErrors(head +
                   "    - { realm: access, device: a, mac: '02:00:00:00:00' }\n"
                   "    - { realm: core, device: b, mac: '03:00:00:00:00:01' }\n",
               {"line 15, column 40: media_plane interface 'access': mac '02:00:00:00:00' is not "
                "a MAC address (six hex bytes: 02:00:5e:00:53:01)",
                "line 16, column 38: media_plane interface 'core': mac '03:00:00:00:00:01' is "
                "not a unicast address"});
  // A wider prefix takes in the gateway.
  Config c =
      loadOk(head + "    - { realm: core, device: b, gateway: 10.0.1.1, prefix_length: 16 }\n");
  EXPECT_EQ(c.mediaPlane.interfaces[0].gateway, "10.0.1.1");
}

TEST(MediaPlane, AnchoringRoutesNeedIt) {
  std::string routes =
      "routes:\n"                                                                      // line 13
      "  - name: implicit\n"                                                           // 14
      "    match: { source_realm: access }\n"                                          // 15
      "    forward: { realm: core, host: 10.0.0.9 }\n"                                 // 16
      "  - name: explicit\n"                                                           // 17
      "    match: { source_realm: core }\n"                                            // 18
      "    forward: { realm: access, host: 192.0.2.9 }\n"                              // 19
      "    media: anchor\n"                                                            // 20
      "  - name: bypassed\n"                                                           // 21
      "    match: { source_realm: nomedia }\n"                                         // 22
      "    forward: { realm: core, host: 10.0.0.9 }\n"                                 // 23
      "    media: bypass\n"                                                            // 24
      "  - { name: rejected, match: { source_realm: v6 }, reject: { code: 403 } }\n";  // 25
  expectErrors(std::string(kMediaRealms) + routes,
               {"line 14, column 5: route 'implicit': anchors media (the default for forward "
                "routes) but there is no media_plane: set media: bypass or configure media_plane",
                "line 20, column 12: route 'explicit': anchors media (the default for forward "
                "routes) but there is no media_plane: set media: bypass or configure "
                "media_plane"});
  std::string plane =
      "media_plane:\n"
      "  interfaces:\n"
      "    - { realm: access, device: a }\n"
      "    - { realm: core, device: b }\n";
  Config c = loadOk(std::string(kMediaRealms) + routes + plane);
  EXPECT_EQ(c.routes[0].media, Route::Media::kAnchor);
  EXPECT_EQ(c.routes[2].media, Route::Media::kBypass);

  // Each realm an anchoring route touches needs an interface.
  std::string onlyAccess = "media_plane: { interfaces: [ { realm: access, device: a } ] }\n";
  expectErrors(std::string(kMediaRealms) + routes + onlyAccess,
               {"line 14, column 5: route 'implicit': anchors media into realm 'core', which has "
                "no media_plane interface: set media: bypass or configure media_plane with an "
                "interface for 'core'",
                "line 20, column 12: route 'explicit': anchors media from realm 'core' but realm "
                "'core' has no media_plane interface: set media: bypass or configure media_plane "
                "with an interface for 'core'"});
  expectErrors(std::string(kMediaRealms) + plane +
                   "routes:\n"
                   "  - { name: any, forward: { realm: core, host: 10.0.0.9 } }\n",
               {"line 18, column 5: route 'any': anchors media from any realm but realm 'v6' has "
                "no media_plane interface: set media: bypass or configure media_plane with an "
                "interface for 'v6'"});
  // A media_plane in error speaks for itself: routes are not blamed for it too.
  expectErrors(std::string(kMediaRealms) + routes +
                   "media_plane: { interfaces: [ { realm: access, device: a } ], lcores: [x] }\n",
               {"line 26, column 71: media_plane: lcores must be a whole number, got 'x'"});
}

TEST(MediaPlane, LabAndExampleConfigs) {
  // loopback.yaml bypasses media and has no media_plane; edge.yaml anchors with one.
  LoadResult lab = loadConfigFile(SBC_SOURCE_DIR "/config/lab/loopback.yaml");
  ASSERT_TRUE(lab.ok()) << ::testing::PrintToString(errorLines(lab));
  EXPECT_FALSE(lab.config->mediaPlane.enabled);
  LoadResult edge = loadConfigFile(SBC_SOURCE_DIR "/config/examples/edge.yaml");
  ASSERT_TRUE(edge.ok()) << ::testing::PrintToString(errorLines(edge));
  const MediaPlaneSettings& m = edge.config->mediaPlane;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.lcores, (std::vector<unsigned>{1, 2}));
  ASSERT_EQ(m.interfaces.size(), 2u);
  EXPECT_EQ(m.interfaces[1].realm, "carrier");
  EXPECT_EQ(m.interfaces[1].gateway, "10.0.0.1");
  EXPECT_EQ(m.interfaces[1].mac, "02:00:0a:00:00:0a");
  EXPECT_EQ(m.maxSessions, 20000u);
}

// ---------------------------------------------------------------------------------------
// Route table

TEST(ConfigLoad, MetricsSection) {
  Config off = loadOk(kRealmHead);
  EXPECT_FALSE(off.metrics.enabled);  // no section, no listener
  Config defaults = loadOk(std::string(kRealmHead) + "metrics: {}\n");
  EXPECT_TRUE(defaults.metrics.enabled);
  EXPECT_EQ(defaults.metrics.address, "127.0.0.1");
  EXPECT_EQ(defaults.metrics.port, 9464);
  EXPECT_TRUE(defaults.metrics.username.empty());
  Config c = loadOk(std::string(kRealmHead) +
                    "metrics:\n"
                    "  address: ::1\n"
                    "  port: 9100\n"
                    "  basic_auth: { username: prom, password: s3cret }\n");
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.address, "::1");
  EXPECT_EQ(c.metrics.port, 9100);
  EXPECT_EQ(c.metrics.username, "prom");
  EXPECT_EQ(c.metrics.password, "s3cret");
  EXPECT_FALSE(loadOk(std::string(kRealmHead) + "metrics: { enabled: false }\n").metrics.enabled);
}

TEST(ConfigErrors, MetricsSection) {
  expectErrors(std::string(kRealmHead) + "metrics: { port: 0 }\n",
               {"line 4, column 18: metrics: port 0 is out of range 1-65535"});
  expectErrors(
      std::string(kRealmHead) + "metrics: { address: example.org }\n",
      {"line 4, column 21: metrics: address 'example.org' is not an IPv4 or IPv6 address"});
  expectErrors(std::string(kRealmHead) + "metrics: { basic_auth: { username: prom } }\n",
               {"line 4, column 24: metrics: missing required key 'password' in basic_auth"});
  expectErrors(
      std::string(kRealmHead) + "metrics: { basic_auth: { username: 'a:b', password: x } }\n",
      {"line 4, column 24: metrics: basic_auth needs a non-empty username (without ':') "
       "and a non-empty password"});
  expectErrors(std::string(kRealmHead) + "metrics: { listen: 1 }\n",
               {"line 4, column 12: unknown key 'listen' in metrics"});
}

TEST(ConfigLoad, OverloadSection) {
  Config d = loadOk(kRealmHead);
  EXPECT_EQ(d.overload.callsPerSecond, 0u);  // no caps unless configured
  EXPECT_EQ(d.overload.sourceRequests, 0u);  // no per-source limit unless configured
  EXPECT_TRUE(d.overload.dropScanners);      // scanners are dropped by default
  EXPECT_EQ(d.overload.retryAfter, std::chrono::seconds(5));
  Config c = loadOk(std::string(kRealmHead) +
                    "  - name: b\n"
                    "    listen: [ { address: 127.0.0.2 } ]\n"
                    "routes:\n"
                    "  - name: out\n"
                    "    match: { source_realm: a }\n"
                    "    forward: { realm: b, host: 127.0.0.3 }\n"
                    "    media: bypass\n"
                    "overload:\n"
                    "  retry_after_s: 10\n"
                    "  shed_loop_lag_ms: 200\n"
                    "  calls_per_second: 500\n"
                    "  calls_per_second_burst: 50\n"
                    "  realms: [ { realm: a, calls_per_second: 100, burst: 20 } ]\n"
                    "  trunks: [ { route: out, max_calls: 30 } ]\n"
                    "  source_limit:\n"
                    "    requests: 40\n"
                    "    window_ms: 2000\n"
                    "    block_s: 60\n"
                    "    table_size: 1024\n"
                    "    realms: [ a ]\n"
                    "    exempt: [ 192.0.2.1, '2001:db8::1' ]\n"
                    "  scanners:\n"
                    "    drop: false\n"
                    "    user_agents: [ friendly-scanner, EvilDialer ]\n"
                    "    served_domains: [ sbc.example.com ]\n");
  const OverloadSettings& o = c.overload;
  EXPECT_EQ(o.retryAfter, std::chrono::seconds(10));
  EXPECT_EQ(o.shedLoopLag, std::chrono::milliseconds(200));
  EXPECT_EQ(o.callsPerSecond, 500u);
  EXPECT_EQ(o.callsPerSecondBurst, 50u);
  ASSERT_EQ(o.realms.size(), 1u);
  EXPECT_EQ(o.realms[0].realm, "a");
  EXPECT_EQ(o.realms[0].callsPerSecond, 100u);
  EXPECT_EQ(o.realms[0].burst, 20u);
  ASSERT_EQ(o.trunks.size(), 1u);
  EXPECT_EQ(o.trunks[0].route, "out");
  EXPECT_EQ(o.trunks[0].maxCalls, 30u);
  EXPECT_EQ(o.sourceRequests, 40u);
  EXPECT_EQ(o.sourceWindow, std::chrono::milliseconds(2000));
  EXPECT_EQ(o.sourceBlock, std::chrono::seconds(60));
  EXPECT_EQ(o.sourceTableSize, 1024u);
  EXPECT_EQ(o.sourceRealms, std::vector<std::string>{"a"});
  EXPECT_EQ(o.sourceExempt, (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  EXPECT_FALSE(o.dropScanners);
  EXPECT_EQ(o.scannerUserAgents, (std::vector<std::string>{"friendly-scanner", "EvilDialer"}));
  EXPECT_EQ(o.servedDomains, std::vector<std::string>{"sbc.example.com"});
}

TEST(ConfigErrors, OverloadSection) {
  expectErrors(
      std::string(kRealmHead) + "overload: { realms: [ { realm: x, calls_per_second: 5 } ] }\n",
      {"line 4, column 32: overload: realms names unknown realm 'x'"});
  expectErrors(std::string(kRealmHead) + "overload: { trunks: [ { route: r, max_calls: 5 } ] }\n",
               {"line 4, column 32: overload: trunks names unknown route 'r'"});
  expectErrors(
      std::string(kRealmHead) + "overload: { source_limit: { window_ms: 5 } }\n",
      {"line 4, column 27: overload: missing required key 'requests' in source_limit",
       "line 4, column 40: overload: source_limit window_ms 5 is out of range 10-3600000"});
  expectErrors(
      std::string(kRealmHead) + "overload: { source_limit: { requests: 5, exempt: [ foo ] } }\n",
      {"line 4, column 52: overload: source_limit exempt 'foo' is not an IPv4 or IPv6 address"});
  expectErrors(std::string(kRealmHead) + "overload: { scanners: { drop: maybe } }\n",
               {"line 4, column 31: overload: scanners drop 'maybe' is not one of true, false"});
  expectErrors(std::string(kRealmHead) + "overload: { cps: 5 }\n",
               {"line 4, column 13: unknown key 'cps' in overload"});
}

}  // namespace
}  // namespace sbc::config

namespace sbc::config {
namespace {

// One validator: a media-plane mistake only the relay's rules catch (mediaplane::validate,
// which dpdk::validateConfig runs at start) is what `sbcd --check-config` reports, at the
// offending key.
TEST(MediaPlaneValidator, CheckConfigReportsTheRelaysProblem) {
  std::string realms = "realms:\n";
  std::string interfaces;
  for (int i = 1; i <= 17; ++i) {
    std::string n = std::to_string(i);
    realms += "  - { name: r" + n + ", listen: [ { address: 10.0." + n +
              ".1 } ], media: { address: 10.0." + n + ".1, port_min: 30000, port_max: 30099 } }\n";
    interfaces += "    - { realm: r" + n + ", device: d" + n + " }\n";
  }
  // media_plane on line 19, its interfaces from line 21 on
  std::string yaml = realms + "media_plane:\n  interfaces:\n" + interfaces;
  LoadResult r = parseConfig(yaml);
  ASSERT_EQ(r.errors.size(), 1u);

  mediaplane::RelaySettings relay;
  relay.lcores = {1};
  for (int i = 1; i <= 17; ++i) {
    mediaplane::RelayInterface itf;
    itf.realm = "r" + std::to_string(i);
    itf.device = "d" + std::to_string(i);
    itf.address = *net::IpAddress::parse("10.0." + std::to_string(i) + ".1");
    relay.interfaces.push_back(itf);
  }
  std::vector<mediaplane::Problem> problems = mediaplane::validate(relay);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "at most 16 media interfaces");
  EXPECT_EQ(r.errors[0].toString(), "line 21, column 5: media_plane: " + problems[0].message);
}

// A loaded media_plane section converts to settings the relay's validator accepts.
TEST(MediaPlaneValidator, LoadedSettingsPassTheRelaysRules) {
  LoadResult r = loadConfigFile(SBC_SOURCE_DIR "/config/examples/edge.yaml");
  ASSERT_TRUE(r.ok());
  mediaplane::RelaySettings relay = relaySettingsOf(*r.config);
  EXPECT_EQ(relay.interfaces.size(), r.config->mediaPlane.interfaces.size());
  EXPECT_TRUE(mediaplane::validate(relay).empty());
}

}  // namespace
}  // namespace sbc::config
