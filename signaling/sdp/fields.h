#pragma once

// The typed SDP fields the B2BUA and the media plane read and rewrite: o=, c=, m= and the
// attributes a=rtpmap, a=fmtp, a=rtcp (RFC 3605), a=crypto (RFC 4568) and the direction
// attributes (RFC 3264). Parsers take a line's value (the text after "<type>=") and give
// views into it; formatters build a value from the struct.
//
// Every parser returns nullptr on success, else a reason a person understands; the
// session parser prefixes it with the line ("malformed c= line: ...") for the 488
// Warning. Fields are split on runs of SP/HTAB: RFC 4566 asks for a single SP, but some
// endpoints pad, and the line is re-emitted untouched unless edited anyway.
//
// Every struct member has an initializer, so that callers may write the leading fields
// only ({"IN", "IP4", address}) without -Wmissing-field-initializers.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::sdp {

// RFC 4566 §5.14: "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>".
struct Origin {
  std::string_view username{};
  std::string_view sessionId{};       // 1*DIGIT, kept as text: it may exceed 64 bits
  std::string_view sessionVersion{};  // 1*DIGIT
  std::string_view netType{};
  std::string_view addrType{};
  std::string_view address{};
};

// RFC 4566 §5.7: "<nettype> <addrtype> <address>[/<ttl>][/<number of addresses>]".
// IP4 multicast carries a ttl and optionally a count; IP6 carries only a count.
struct Connection {
  std::string_view netType = "IN";
  std::string_view addrType = "IP4";
  std::string_view address{};
  std::optional<uint32_t> ttl{};           // IP4 only, 0-255
  std::optional<uint32_t> addressCount{};  // the "/<number of addresses>" suffix
};

// RFC 4566 §5.14: "<media> <port>[/<numports>] <proto> <fmt> ...".
struct MediaField {
  std::string_view type{};  // audio, video, application, ...
  uint16_t port = 0;
  std::optional<uint32_t> portCount{};  // the "/<numports>" suffix
  std::string_view proto{};             // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, ...
  std::vector<std::string_view> formats{};
};

// RFC 4566 §6: "a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]".
struct RtpMap {
  uint8_t payloadType = 0;
  std::string_view encoding{};
  uint32_t clockRate = 0;
  std::optional<uint32_t> channels{};  // the encoding parameters (audio channels)
};

// RFC 3605: "a=rtcp:<port> [<nettype> <addrtype> <connection-address>]".
struct Rtcp {
  uint16_t port = 0;
  std::string_view netType{};  // the three are all empty, or all set
  std::string_view addrType{};
  std::string_view address{};
};

// RFC 4568 §9.1: "a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]".
struct Crypto {
  uint32_t tag = 0;  // 1*9DIGIT
  std::string_view suite{};
  std::string_view keyParams{};      // "inline:<key||salt>[|lifetime][|MKI:len]", ';'-separated
  std::string_view sessionParams{};  // the rest of the line (may be empty)
};

// RFC 3264 §5.1: a stream without a direction attribute at either level is sendrecv.
enum class Direction : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };

std::string_view directionName(Direction d);
std::optional<Direction> directionFromName(std::string_view name);

// The next SP/HTAB-separated field of `rest` (empty at the end); advances `rest`.
std::string_view nextField(std::string_view& rest);

const char* parseOrigin(std::string_view value, Origin& out);
const char* parseConnection(std::string_view value, Connection& out);
const char* parseMediaField(std::string_view value, MediaField& out);
const char* parseRtpMap(std::string_view value, RtpMap& out);
const char* parseRtcp(std::string_view value, Rtcp& out);
const char* parseCrypto(std::string_view value, Crypto& out);
// "a=fmtp:<format> <format specific parameters>": splits the format from the parameters.
const char* parseFmtp(std::string_view value, std::string_view& format, std::string_view& params);

std::string formatOrigin(const Origin& o);
std::string formatConnection(const Connection& c);
std::string formatMediaField(const MediaField& m);
std::string formatRtpMap(const RtpMap& r);
std::string formatRtcp(const Rtcp& r);
std::string formatCrypto(const Crypto& c);

// Checks that `c` formats into a c= value that parses back to the same fields.
const char* checkConnection(const Connection& c);

// Checks an address for a c= / a=rtcp line of this address type: an IP4 address is a
// dotted quad unless it is a hostname, an IP6 address must parse as one (or be a hostname).
const char* checkAddress(std::string_view addrType, std::string_view address);

// An attribute line's value split at the first ':' ("a=<name>" or "a=<name>:<value>").
struct Attribute {
  std::string_view name{};
  std::string_view value{};
  bool hasValue = false;
};
Attribute splitAttribute(std::string_view lineValue);

// Checks the value of attributes the parser validates (rtpmap, rtcp, crypto); nullptr
// for the others.
const char* checkAttribute(std::string_view name, std::string_view value);

// The RFC 8839 ICE attributes, which a B2BUA relaying media strips from an offer.
bool isIceAttribute(std::string_view name);

// Text that may go into a line value: no NUL, CR, LF or other control byte (HTAB is allowed).
const char* checkLineText(std::string_view text);

// token per RFC 4566 §9 (visible US-ASCII minus separators).
bool isToken(std::string_view s);

}  // namespace sbc::sdp
