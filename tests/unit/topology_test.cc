#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/loader.h"
#include "signaling/sip/parser.h"
#include "tests/unit/config_loading.h"
#include "topology/header_filter.h"
#include "topology/route_table.h"

// Routes, topology hiding and header rules (topology/). Realms and routes come from YAML
// through the loader, as the daemon builds them.

namespace sbc::topology {
namespace {

using config::Config;
using config::ConfigError;
using config::LoadResult;
using config::parseConfig;
using sip::HeaderId;
using sip::Message;

using config::testing::errorLines;
using config::testing::loadOk;

// Two realms and the start of a routes list.
const char* const kTwoRealms =
    "realms:\n"
    "  - { name: access, listen: [ { address: 127.0.0.1 } ] }\n"
    "  - { name: core, listen: [ { address: 127.0.0.2 } ] }\n"
    "routes:\n";

Message parse(std::string_view bytes) {
  Message m;
  sip::Status st = sip::parseMessage(bytes, sip::Framing::kDatagram, sip::Limits{}, m);
  EXPECT_TRUE(st.ok()) << st.reason();
  return m;
}

Message request(std::string_view method, std::string_view requestUri,
                std::string_view from = "<sip:alice@atlanta.example.com>;tag=1",
                std::string_view to = "<sip:bob@example.net>") {
  std::string text = std::string(method) + " " + std::string(requestUri) + " SIP/2.0\r\n" +
                     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n" +
                     "Max-Forwards: 70\r\n" + "From: " + std::string(from) + "\r\n" +
                     "To: " + std::string(to) + "\r\n" + "Call-ID: 1@192.0.2.1\r\n" + "CSeq: 1 " +
                     std::string(method) + "\r\n" + "Content-Length: 0\r\n\r\n";
  return parse(text);
}

// The live header lines of a message as "Name: value".
std::vector<std::string> headerLines(const Message& m) {
  std::vector<std::string> out;
  for (const sip::HeaderField& f : m.fields()) {
    if (!f.removed) out.push_back(std::string(m.name(f)) + ": " + std::string(m.value(f)));
  }
  return out;
}

const char* const kRouting = R"yaml(realms:
  - { name: access, listen: [ { address: 127.0.0.1 } ] }
  - { name: core, listen: [ { address: 127.0.0.2 }, { transport: tcp, address: 127.0.0.2 } ], advertised_address: "2001:db8::2" }
routes:
  - name: by-method
    match: { source_realm: core, methods: [OPTIONS] }
    reject: { code: 405 }
  - name: blocked
    match: { source_realm: access, user_prefix: "+1900" }
    reject: { code: 403, reason: "Premium" }
  - name: national
    match: { source_realm: access, user_regex: "^\\+?1([2-9][0-9]{2})([0-9]{7})$" }
    forward: { realm: core, host: 127.0.0.3, port: 5080 }
    media: bypass
  - name: to-domain
    match: { source_realm: access, to_domain: Biloxi.Example.COM }
    forward: { realm: core, host: "2001:db8::3", transport: tcp }
    media: bypass
  - name: from-domain
    match: { source_realm: access, from_domain: "[2001:db8::9]" }
    forward: { realm: core, host: 127.0.0.4 }
    media: bypass
  - name: unanchored
    match: { source_realm: access, user_regex: "7(7+)"
}
    forward: { realm: core, host: 127.0.0.5 }
    media: bypass
  - name: core-to-access
    match: { source_realm: core }
    forward: { realm: access, host: 127.0.0.6 }
    media: bypass
)yaml";

class RouteTableTest : public ::testing::Test {
 protected:
  RouteTableTest() : config_(loadOk(kRouting)), table_(config_.routes, config_.realms) {}

  std::string routeFor(const Message& m, std::string_view realm) {
    auto d = table_.match(m, realm);
    return d ? d->route->name : "(none)";
  }

  Config config_;
  RouteTable table_;
};

TEST_F(RouteTableTest, SourceRealmAndMethod) {
  EXPECT_EQ(routeFor(request("OPTIONS", "sip:x@127.0.0.2"), "core"), "by-method");
  EXPECT_EQ(routeFor(request("INVITE", "sip:x@127.0.0.2"), "core"), "core-to-access");
  EXPECT_EQ(routeFor(request("OPTIONS", "sip:x@127.0.0.1"), "access"), "(none)");
  EXPECT_EQ(routeFor(request("INVITE", "sip:x@127.0.0.1"), "elsewhere"), "(none)");
}

TEST_F(RouteTableTest, UserPrefixOnTheDecodedUser) {
  EXPECT_EQ(routeFor(request("INVITE", "sip:+19005551234@h"), "access"), "blocked");
  EXPECT_EQ(routeFor(request("INVITE", "sip:%2B19005551234@h"), "access"), "blocked");
  EXPECT_EQ(routeFor(request("INVITE", "tel:+19005551234"), "access"), "blocked");
}

TEST_F(RouteTableTest, RegexCapturesAndPrecedence) {
  auto d = table_.match(request("INVITE", "sip:+12125551234@h"), "access");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->route->name, "national");
  EXPECT_EQ(d->captures[0], "+12125551234");
  EXPECT_EQ(d->captures[1], "212");
  EXPECT_EQ(d->captures[2], "5551234");
  EXPECT_EQ(d->captures[3], "");
  // +1900... also matches 'national', but 'blocked' comes first.
  EXPECT_EQ(routeFor(request("INVITE", "sip:+19005551234@h"), "access"), "blocked");
}

TEST_F(RouteTableTest, RegexSearchIsUnanchoredUnlessWritten) {
  auto d = table_.match(request("INVITE", "sip:abc777x@h"), "access");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->route->name, "unanchored");
  EXPECT_EQ(d->captures[0], "777");
  EXPECT_EQ(d->captures[1], "77");
}

TEST_F(RouteTableTest, OverlongUsersNeverMatchARegex) {
  std::string user = "1" + std::string(300, '7');
  EXPECT_EQ(routeFor(request("INVITE", "sip:" + user + "@h"), "access"), "(none)");
  // ...but a prefix still applies to them.
  EXPECT_EQ(routeFor(request("INVITE", "sip:+1900" + std::string(300, '1') + "@h"), "access"),
            "blocked");
}

TEST_F(RouteTableTest, ToAndFromDomains) {
  EXPECT_EQ(
      routeFor(request("INVITE", "sip:bob@h", "<sip:a@x>;tag=1", "<sip:bob@biloxi.example.com>"),
               "access"),
      "to-domain")
      << "case-insensitive";
  EXPECT_EQ(routeFor(request("INVITE", "sip:bob@h", "<sip:a@[2001:DB8::9]>;tag=1", "<sip:b@y>"),
                     "access"),
            "from-domain")
      << "IPv6 brackets and case ignored";
  EXPECT_EQ(routeFor(request("INVITE", "sip:bob@h", "<sip:a@x>;tag=1", "<sip:b@y>"), "access"),
            "(none)");
}

TEST_F(RouteTableTest, RejectRouteIsADecision) {
  auto d = table_.match(request("OPTIONS", "sip:x@h"), "core");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->route->action, Route::Action::kReject);
  EXPECT_EQ(d->route->rejectCode, 405);
  EXPECT_EQ(d->route->rejectReason, "Method Not Allowed");
}

TEST_F(RouteTableTest, EmptyTableMatchesNothing) {
  RouteTable empty;
  EXPECT_FALSE(empty.match(request("INVITE", "sip:x@h"), "access"));
}

TEST_F(RouteTableTest, AnEmptyMatchMatchesEverything) {
  Config c = loadOk(std::string(kTwoRealms) + "  - { name: all, reject: { code: 404 } }\n");
  RouteTable t(c.routes, c.realms);
  EXPECT_TRUE(t.match(request("BYE", "sip:h"), "anything"));
}

TEST_F(RouteTableTest, Expand) {
  Message m = request("INVITE", "sip:+12125551234@h");
  auto d = table_.match(m, "access");
  ASSERT_TRUE(d);
  EXPECT_EQ(table_.expand("$1-$2", *d, m), "212-5551234");
  EXPECT_EQ(table_.expand("00$user", *d, m), "00+12125551234");
  EXPECT_EQ(table_.expand("$$1 costs $$$1", *d, m), "$1 costs $212");
  EXPECT_EQ(table_.expand("$10", *d, m), "2120") << "$1 then a literal 0";
  EXPECT_EQ(table_.expand("$9", *d, m), "") << "a group the regex does not have";
  EXPECT_EQ(table_.expand("plain", *d, m), "plain");
  EXPECT_EQ(table_.expand("a$", *d, m), "a$") << "left literal at run time";
  EXPECT_EQ(table_.expand("$x", *d, m), "$x");
  EXPECT_EQ(table_.expand("", *d, m), "");
}

TEST_F(RouteTableTest, OutboundUris) {
  Message m = request("INVITE", "sip:+12125551234@127.0.0.1", "\"A\" <sip:alice@a.example>;tag=1",
                      "<sip:%2B12125551234@b.example>");
  auto d = table_.match(m, "access");
  ASSERT_TRUE(d);
  EXPECT_EQ(table_.requestUri(*d, m), "sip:+12125551234@127.0.0.3:5080");
  EXPECT_EQ(table_.fromUri(*d, m), "sip:alice@[2001:db8::2]") << "the trunk realm's advertised";
  EXPECT_EQ(table_.toUri(*d, m), "sip:+12125551234@127.0.0.3");

  Message toDomain =
      request("INVITE", "sip:bob@h", "<sip:a@x>;tag=1", "<sip:b@biloxi.example.com>");
  auto t = table_.match(toDomain, "access");
  ASSERT_TRUE(t);
  EXPECT_EQ(table_.requestUri(*t, toDomain), "sip:bob@[2001:db8::3]:5060;transport=tcp");
}

TEST(RouteTable, RewritesAndEscaping) {
  Config c = loadOk(std::string(kTwoRealms) +
                    "  - name: r\n"
                    "    match: { user_regex: '^\\*(7[0-9])#?$' }\n"
                    "    forward: { realm: core, host: 127.0.0.3, port: 5080 }\n"
                    "    rewrite: { request_uri_user: 'fc$1#', request_uri_host: carrier.example, "
                    "from_user: '', from_host: 'f.example', to_user: '$user', to_host: "
                    "'t.example' }\n"
                    "    media: bypass\n");
  RouteTable table(c.routes, c.realms);
  Message m = request("INVITE", "sip:*72%23@127.0.0.1");
  auto d = table.match(m, "access");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->captures[1], "72");
  // The rewritten host is the logical target: no trunk port, no transport parameter.
  EXPECT_EQ(table.requestUri(*d, m), "sip:fc72%23@carrier.example");
  EXPECT_EQ(table.fromUri(*d, m), "sip:f.example") << "an empty user leaves out 'user@'";
  EXPECT_EQ(table.toUri(*d, m), "sip:*72%23@t.example");
}

TEST(RouteTable, TemplateErrorsAndHelpers) {
  EXPECT_EQ(templateError("$1-$2$$ $user", 2), "");
  EXPECT_EQ(templateError("$2", 1), "'$2' refers to group 2 but user_regex has 1 group");
  EXPECT_EQ(templateError("$1", 0), "'$1' needs a user_regex with a capture group");
  EXPECT_EQ(templateError("$", 0),
            "'$' must be followed by 1-9, 'user' or '$' (write '$$' for a literal '$')");
  EXPECT_EQ(templateError("$0", 3),
            "'$' must be followed by 1-9, 'user' or '$' (write '$$' for a literal '$')");
  EXPECT_EQ(escapeUser("+1-555 #9;x=y"), "+1-555%20%239;x=y");
  EXPECT_EQ(requestUser(request("INVITE", "sip:%41lice@h")), "Alice");
  EXPECT_EQ(requestUser(request("INVITE", "sip:h")), "");
}

// ---------------------------------------------------------------------------------------
// Header filters

const char* const kInbound =
    "INVITE sip:bob@198.51.100.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP 10.1.1.2:5060;branch=z9hG4bK2\r\n"
    "Record-Route: <sip:10.1.1.2;lr>\r\n"
    "Route: <sip:198.51.100.2;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"Alice\" <sip:alice@10.1.1.1>;tag=a\r\n"
    "To: <sip:bob@198.51.100.2>\r\n"
    "i: c1@10.1.1.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@10.1.1.1:5060>\r\n"
    "Accept-Language: en, de\r\n"
    "Accept-Language: fr\r\n"
    "s: hello\r\n"
    "Allow: INVITE, ACK, BYE, NOTIFY\r\n"
    "User-Agent: PBX 9.1 (10.1.1.1)\r\n"
    "Organization: Internal Corp\r\n"
    "P-Asserted-Identity: <sip:+15550100@10.1.1.1>\r\n"
    "Warning: 399 10.1.1.1 \"internal\"\r\n"
    "x-internal-id: 42\r\n"
    "X-Tenant: blue\r\n"
    "Supported: timer\r\n"
    "Require: 100rel\r\n"
    "Proxy-Authorization: Digest username=\"a\"\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

Message outbound() {
  return Message::request("INVITE", "sip:bob@127.0.0.3:5080");
}

HeaderRules whitelist(std::vector<std::string> names) {
  HeaderRules r;
  r.mode = HeaderRules::Mode::kWhitelist;
  r.names = std::move(names);
  return r;
}

HeaderRules blacklist(std::vector<std::string> names) {
  HeaderRules r;
  r.mode = HeaderRules::Mode::kBlacklist;
  r.names = std::move(names);
  return r;
}

TEST(CopyAllowedHeaders, WhitelistCopiesOnlyNamedInOrder) {
  Message in = parse(kInbound);
  Message out = outbound();
  copyAllowedHeaders(in, out, whitelist({"subject", "Accept-Language", "X-TENANT"}));
  EXPECT_EQ(headerLines(out),
            (std::vector<std::string>{"Accept-Language: en, de", "Accept-Language: fr",
                                      "Subject: hello", "X-Tenant: blue"}))
      << "order of the inbound message, every line, compact names expanded";
}

TEST(CopyAllowedHeaders, BlacklistCopiesAllButNamedAndNeverSensitive) {
  Message in = parse(kInbound);
  Message out = outbound();
  copyAllowedHeaders(in, out, blacklist({"X-Internal-Id"}));
  EXPECT_EQ(headerLines(out),
            (std::vector<std::string>{"Accept-Language: en, de", "Accept-Language: fr",
                                      "Subject: hello", "X-Tenant: blue"}));
}

TEST(CopyAllowedHeaders, NeverCopiedEvenWhenListed) {
  Message in = parse(kInbound);
  Message out = outbound();
  std::vector<std::string> everything;
  for (std::string_view name : neverCopiedHeaders())
    everything.emplace_back(name);
  everything.push_back("i");  // the compact form of Call-ID
  copyAllowedHeaders(in, out, whitelist(everything));
  EXPECT_TRUE(headerLines(out).empty()) << ::testing::PrintToString(headerLines(out));
}

TEST(CopyAllowedHeaders, SensitiveOnlyWhenWhitelisted) {
  Message in = parse(kInbound);
  Message out = outbound();
  copyAllowedHeaders(in, out, whitelist({"P-Asserted-Identity", "Warning"}));
  EXPECT_EQ(headerLines(out),
            (std::vector<std::string>{"P-Asserted-Identity: <sip:+15550100@10.1.1.1>",
                                      "Warning: 399 10.1.1.1 \"internal\""}));
  Message none = outbound();
  copyAllowedHeaders(in, none, whitelist({}));
  EXPECT_TRUE(headerLines(none).empty());
}

TEST(CopyAllowedHeaders, IdentityPolicy) {
  Message in = parse(kInbound);
  // By default (no policy given) identity headers are stripped, even from a blacklist.
  Message out = outbound();
  copyAllowedHeaders(in, out, whitelist({"Subject"}));
  EXPECT_EQ(headerLines(out), std::vector<std::string>{"Subject: hello"});

  std::vector<IdentityHeader> policy = {
      {"User-Agent", HeaderPolicy::kReplace, "SBC"},
      {"Organization", HeaderPolicy::kKeep, ""},
      {"X-Tenant", HeaderPolicy::kStrip, ""},  // a realm's own identity header beats the list
  };
  Message kept = outbound();
  copyAllowedHeaders(in, kept, blacklist({}), policy);
  EXPECT_EQ(headerLines(kept),
            (std::vector<std::string>{"Accept-Language: en, de", "Accept-Language: fr",
                                      "Subject: hello", "User-Agent: SBC",
                                      "Organization: Internal Corp", "x-internal-id: 42"}));
}

TEST(CopyAllowedHeaders, ReplacedIdentityGetsOneLine) {
  Message in = parse(
      "OPTIONS sip:h SIP/2.0\r\nServer: a\r\nSubject: x\r\nServer: b\r\nContent-Length: "
      "0\r\n\r\n");
  Message out = outbound();
  Realm realm;
  realm.identityHeaders = {{"Server", HeaderPolicy::kReplace, "SBC"}};
  realm.headers = whitelist({"Subject"});
  copyAllowedHeaders(in, out, realm);
  EXPECT_EQ(headerLines(out), (std::vector<std::string>{"Server: SBC", "Subject: x"}));
}

TEST(CopyAllowedHeaders, DefaultRulesAreTheSafeWhitelist) {
  Message in = parse(kInbound);
  Message out = outbound();
  copyAllowedHeaders(in, out, Realm{});
  EXPECT_EQ(headerLines(out), (std::vector<std::string>{"Accept-Language: en, de",
                                                        "Accept-Language: fr", "Subject: hello"}));
}

// The default whitelist lets Reason and Session-ID cross for their meaning; the free
// text their grammars allow (Reason text=, Session-ID parameters) names the far side.
TEST(CopyAllowedHeaders, FreeTextStaysBehind) {
  Message in = parse(
      "BYE sip:h SIP/2.0\r\n"
      "Reason: SIP ;cause=200 ;text=\"Call completed elsewhere by pbx3.corp (10.1.1.7)\"\r\n"
      "Reason: Q.850;cause=16;text=\"Normal, switch MSC-East\";location=LN, "
      "X.Y;text=\"no cause\"\r\n"
      "Reason: SIP;text=\"only text\"\r\n"
      "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"
      ";host=pbx3.corp\r\n"
      "Session-ID: 6a1b3c4d5e6f11e8a1b2001122334455\r\n"
      "Session-ID: not-a-uuid\r\n"
      "Content-Length: 0\r\n\r\n");
  Message out = outbound();
  copyAllowedHeaders(in, out, Realm{});
  EXPECT_EQ(
      headerLines(out),
      (std::vector<std::string>{
          "Reason: SIP;cause=200", "Reason: Q.850;cause=16",
          "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"}))
      << "a version 1 UUID (the maker's MAC) and a value that is no UUID do not cross";
  Message black = outbound();
  copyAllowedHeaders(in, black, blacklist({}));
  EXPECT_EQ(headerLines(black), headerLines(out)) << "blacklist mode too";
  for (const std::string& line : headerLines(out)) {
    EXPECT_EQ(line.find("corp"), std::string::npos) << line;
    EXPECT_EQ(line.find("text"), std::string::npos) << line;
  }
}

TEST(HeaderClasses, Classify) {
  EXPECT_EQ(classifyHeader("via"), HeaderClass::kNeverCopied);
  EXPECT_EQ(classifyHeader("v"), HeaderClass::kNeverCopied);
  EXPECT_EQ(classifyHeader("Security-Client"), HeaderClass::kNeverCopied);
  EXPECT_EQ(classifyHeader("p-asserted-identity"), HeaderClass::kSensitive);
  EXPECT_EQ(classifyHeader("History-Info"), HeaderClass::kSensitive);
  EXPECT_EQ(classifyHeader("SERVER"), HeaderClass::kIdentity);
  EXPECT_EQ(classifyHeader("Subject"), HeaderClass::kOrdinary);
  EXPECT_EQ(classifyHeader("X-Anything"), HeaderClass::kOrdinary);
  for (std::string_view n : neverCopiedHeaders())
    EXPECT_EQ(classifyHeader(n), HeaderClass::kNeverCopied) << n;
  for (std::string_view n : sensitiveHeaders())
    EXPECT_EQ(classifyHeader(n), HeaderClass::kSensitive) << n;
  for (std::string_view n : builtinIdentityHeaders())
    EXPECT_EQ(classifyHeader(n), HeaderClass::kIdentity) << n;
  for (const std::string& n : defaultHeaderWhitelist())
    EXPECT_EQ(classifyHeader(n), HeaderClass::kOrdinary) << n;
  EXPECT_TRUE(isHeaderName("X-A.b!"));
  EXPECT_FALSE(isHeaderName("X A"));
  EXPECT_FALSE(isHeaderName(""));
  EXPECT_TRUE(isHeaderValue("a\tb \xc3\xa9"));
  EXPECT_FALSE(isHeaderValue("a\r\nVia: x"));
}

const char* const kFilterInput =
    "OPTIONS sip:h SIP/2.0\r\n"
    "User-Agent: a\r\n"
    "Server: s1\r\n"
    "Server: s2\r\n"
    "s: topic\r\n"
    "X-A: 1\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(HeaderFilters, Identity) {
  Message m = parse(kFilterInput);
  IdentityHeaderFilter({"Server", HeaderPolicy::kStrip, ""}).apply(m);
  EXPECT_EQ(m.count(HeaderId::kServer), 0u);

  m = parse(kFilterInput);
  IdentityHeaderFilter({"Server", HeaderPolicy::kReplace, "SBC"}).apply(m);
  EXPECT_EQ(headerLines(m), (std::vector<std::string>{"User-Agent: a", "Server: SBC", "s: topic",
                                                      "X-A: 1", "Content-Length: 0"}));

  m = parse(kFilterInput);
  IdentityHeaderFilter({"Organization", HeaderPolicy::kReplace, "SBC"}).apply(m);
  EXPECT_EQ(m.count(HeaderId::kOrganization), 0u) << "replace never adds";

  m = parse(kFilterInput);
  IdentityHeaderFilter({"User-Agent", HeaderPolicy::kKeep, ""}).apply(m);
  EXPECT_EQ(m.header(HeaderId::kUserAgent), "a");
}

TEST(HeaderFilters, RemoveAddReplace) {
  Message m = parse(kFilterInput);
  RemoveHeaderFilter("Subject").apply(m);  // removes the compact "s:" line too
  RemoveHeaderFilter("x-a").apply(m);
  EXPECT_EQ(headerLines(m), (std::vector<std::string>{"User-Agent: a", "Server: s1", "Server: s2",
                                                      "Content-Length: 0"}));

  m = parse(kFilterInput);
  AddHeaderFilter("X-A", "2").apply(m);
  EXPECT_EQ(headerLines(m).back(), "X-A: 2") << "added at the bottom, the old line stays";
  EXPECT_EQ(headerLines(m)[4], "X-A: 1");

  m = parse(kFilterInput);
  ReplaceHeaderFilter("Server", "new").apply(m);
  ReplaceHeaderFilter("X-Absent", "v").apply(m);
  EXPECT_EQ(headerLines(m), (std::vector<std::string>{"User-Agent: a", "Server: new", "s: topic",
                                                      "X-A: 1", "Content-Length: 0"}));
}

TEST(HeaderFilters, ChainAppliesInOrder) {
  Message m = parse(kFilterInput);
  FilterChain addThenReplace;
  addThenReplace.add(std::make_unique<AddHeaderFilter>("X-B", "1"))
      .add(std::make_unique<ReplaceHeaderFilter>("X-B", "2"));
  addThenReplace.apply(m);
  EXPECT_EQ(m.header("X-B"), "2");

  m = parse(kFilterInput);
  FilterChain replaceThenAdd;
  replaceThenAdd.add(std::make_unique<ReplaceHeaderFilter>("X-B", "2"))
      .add(std::make_unique<AddHeaderFilter>("X-B", "1"));
  replaceThenAdd.apply(m);
  EXPECT_EQ(m.header("X-B"), "1");
}

TEST(HeaderFilters, ForRealmIdentityFirstThenRules) {
  Config c = loadOk(
      "realms:\n"
      "  - name: a\n"
      "    listen: [ { address: 127.0.0.1 } ]\n"
      "    topology_hiding: { identity_headers: { Server: { replace: SBC } } }\n"
      "    headers:\n"
      "      rules:\n"
      "        - { add: User-Agent, value: mine }\n"
      "        - { remove: X-A }\n"
      "        - { replace: Subject, value: call }\n");
  FilterChain chain = FilterChain::forRealm(c.realms[0]);
  EXPECT_EQ(chain.size(), 6u) << "3 identity filters, 3 rules";
  Message m = parse(kFilterInput);
  chain.apply(m);
  // The inbound User-Agent is stripped by the identity policy, then the rule adds ours.
  EXPECT_EQ(headerLines(m), (std::vector<std::string>{"Server: SBC", "Subject: call",
                                                      "Content-Length: 0", "User-Agent: mine"}));
}

TEST(HeaderFilters, HandBuiltRealmStripsBuiltinIdentities) {
  Message m = parse(
      "OPTIONS sip:h SIP/2.0\r\nUser-Agent: a\r\nServer: b\r\nOrganization: c\r\n"
      "Content-Length: 0\r\n\r\n");
  FilterChain::forRealm(Realm{}).apply(m);
  EXPECT_EQ(headerLines(m), std::vector<std::string>{"Content-Length: 0"});
}

}  // namespace
}  // namespace sbc::topology
