#pragma once

// The lines of one SDP level: the session level (v= up to the first m=) or one media
// section (an m= line and the lines after it). Each line keeps its value exactly as
// received and its own line terminator, so an untouched description serializes back
// byte for byte; typed accessors parse a line when they are called.
//
// Views returned by accessors point into the stored lines: they stay valid until the
// section is edited or destroyed. Setters may be passed such views (they build the new
// line before replacing the old one).
//
// Setters that take text validate it and return nullptr, or a reason (and change
// nothing): whatever they write parses again.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sdp/fields.h"

namespace sbc::sdp {

// How a line ended in the input. kDefault is used for lines added by edits and for a
// last line that had no terminator: it serializes as the description's line ending.
enum class LineEnd : uint8_t { kDefault, kCrlf, kLf };

struct Line {
  char type = 'a';
  LineEnd end = LineEnd::kDefault;
  std::string value{};  // the text after "<type>="
};

class Section {
 public:
  // Every line of this level in order; for a media section, without its m= line.
  const std::vector<Line>& lines() const { return lines_; }

  // Attributes ("a=<name>[:<value>]"); names compare case-sensitively.
  // The value of the first attribute named `name` ("" for a flag), nullopt if absent.
  std::optional<std::string_view> attribute(std::string_view name) const;
  // The values of every attribute named `name`, in order.
  std::vector<std::string_view> attributes(std::string_view name) const;
  bool hasAttribute(std::string_view name) const { return attribute(name).has_value(); }
  // Appends "a=<name>" (a flag) or "a=<name>:<value>" at the end of this level.
  [[nodiscard]] const char* addAttribute(std::string_view name);
  [[nodiscard]] const char* addAttribute(std::string_view name, std::string_view value);
  // Replaces the first attribute named `name` in place and removes the others (appends
  // it when absent).
  [[nodiscard]] const char* setAttribute(std::string_view name);
  [[nodiscard]] const char* setAttribute(std::string_view name, std::string_view value);
  // Removes every attribute named `name`; returns how many lines went.
  size_t removeAttribute(std::string_view name);
  // Removes the RFC 8839 ICE attributes of this level; returns how many lines went.
  size_t removeIceAttributes();

  // Removes every line of one of the optional descriptive types of this level (i=, u=,
  // e=, p=, ...); returns how many went. The structural lines (v= o= s= t= c= m=) cannot
  // be removed this way (0).
  size_t removeLines(char type);
  // Points the RTCP CNAME of every "a=ssrc:<ssrc-id> cname:<cname>" line of this level
  // (RFC 5576 §4.1) at `cname`, keeping the ssrc-id; other source attributes stay. nullptr,
  // or the reason when `cname` is empty or not line text (then nothing changes).
  [[nodiscard]] const char* setSsrcCnames(std::string_view cname);

  // c= of this level (the first one: a media section may list several multicast groups).
  std::optional<Connection> connection() const;
  // Replaces this level's c= lines with one (added in RFC 4566 order when absent).
  [[nodiscard]] const char* setConnection(const Connection& c);
  bool hasConnection() const { return findLine('c') != nullptr; }

  // The direction attribute of this level, nullopt when it has none.
  std::optional<Direction> direction() const;
  // Replaces the first direction attribute in place (removing any others), or appends one.
  void setDirection(Direction d);

 protected:
  friend class SessionDescription;

  // Only the two levels exist on their own (no slicing copies of a Section).
  Section() = default;
  Section(const Section&) = default;
  Section(Section&&) noexcept = default;
  Section& operator=(const Section&) = default;
  Section& operator=(Section&&) noexcept = default;
  ~Section() = default;

  const Line* findLine(char type) const;
  std::vector<Line>::iterator findAttribute(std::string_view name);
  std::vector<Line>::const_iterator findAttribute(std::string_view name) const;
  // Sets the first attribute named `name` to the new line value and erases the others;
  // appends when absent. `lineValue` is the whole "name[:value]".
  void putAttribute(std::string_view name, std::string lineValue);
  void appendLine(char type, std::string value);
  // Removes the lines from index `from` on that match; returns how many went.
  template <class Pred>
  size_t removeLinesIf(Pred pred, size_t from = 0);

  std::vector<Line> lines_;
};

class MediaDescription : public Section {
 public:
  // The m= line.
  MediaField mediaField() const;
  std::string_view type() const { return mediaField().type; }
  uint16_t port() const;
  std::string_view proto() const { return mediaField().proto; }
  std::vector<std::string_view> formats() const { return mediaField().formats; }
  const std::string& mediaLine() const { return media_.value; }

  // Rewrites only the port (a "/<numports>" suffix and the rest of the line are kept).
  void setPort(uint16_t port);
  [[nodiscard]] const char* setProto(std::string_view proto);
  [[nodiscard]] const char* setFormats(std::span<const std::string_view> formats);
  // Drops a format from the m= line along with its a=rtpmap, a=fmtp and a=rtcp-fb lines.
  // Fails when the format is absent or is the last one (m= needs at least one).
  [[nodiscard]] const char* removeFormat(std::string_view format);

  // a=rtpmap.
  std::optional<RtpMap> rtpmap(uint8_t payloadType) const;
  std::vector<RtpMap> rtpmaps() const;
  // Replaces the rtpmap of r.payloadType in place, or appends one.
  [[nodiscard]] const char* setRtpmap(const RtpMap& r);

  // a=fmtp: the format specific parameters, nullopt when there is no fmtp for it.
  std::optional<std::string_view> fmtp(std::string_view format) const;
  std::optional<std::string_view> fmtp(uint8_t payloadType) const;
  [[nodiscard]] const char* setFmtp(std::string_view format, std::string_view params);

  // a=rtcp (RFC 3605).
  std::optional<Rtcp> rtcp() const;
  [[nodiscard]] const char* setRtcp(const Rtcp& r);
  bool removeRtcp() { return removeAttribute("rtcp") > 0; }

  // a=rtcp-mux (RFC 5761).
  bool rtcpMux() const { return hasAttribute("rtcp-mux"); }
  void setRtcpMux(bool on);

  // a=crypto (RFC 4568): every well-formed crypto line, in order.
  std::vector<Crypto> cryptos() const;
  [[nodiscard]] const char* addCrypto(const Crypto& c);
  size_t removeCryptos() { return removeAttribute("crypto"); }

 private:
  friend class SessionDescription;

  Line media_{'m', LineEnd::kDefault, {}};
};

}  // namespace sbc::sdp
