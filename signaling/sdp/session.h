#pragma once

// An SDP session description (RFC 4566), as the B2BUA parses an offer or answer,
// rewrites it and serializes it again (RFC 3264 offer/answer).
//
// The description keeps every line it was given, in order and with its own terminator:
// unknown line types and attributes pass through, and serialize() of an untouched
// description reproduces the input byte for byte (CRLF or bare LF alike). One exception:
// a last line without a terminator gets the description's line ending (that of v=, so
// CRLF unless the input used bare LF).
//
// The members inherited from Section act on the session level; media(i) gives the media
// sections. parse() validates what the B2BUA relies on and answers with the line and
// reason of the first problem, which becomes the 488 Warning text.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signaling/sdp/fields.h"
#include "signaling/sdp/section.h"

namespace sbc::sdp {

struct ParseError {
  uint32_t line = 0;  // 1-based; 0 when the problem is the description as a whole
  std::string reason{};

  // "line 4: malformed c= line: network type must be IN", or the reason alone for line 0.
  std::string toString() const;
};

class ParseResult;

class SessionDescription : public Section {
 public:
  // Bounds on what parse() accepts: an SDP body is a few KiB at most.
  static constexpr size_t kMaxBytes = 64 * 1024;
  static constexpr size_t kMaxLines = 1000;

  static ParseResult parse(std::string_view text);

  std::string serialize() const;
  // Appends the wire form to `out`.
  void serializeTo(std::string& out) const;

  // The line ending of the description (that of its v= line): CRLF or LF.
  LineEnd lineEnd() const { return eol_; }

  // o=.
  std::optional<Origin> origin() const;
  [[nodiscard]] const char* setOrigin(const Origin& o);
  // Adds one to sess-version (RFC 3264 §8: each new offer or answer of a session does).
  // Works on the decimal text, so any length is fine. False when there is no valid o=.
  bool bumpVersion();

  // s=.
  std::string_view sessionName() const;
  // Replaces the s= text (RFC 4566 §5.3: one line, at least one character; "-" when the
  // session has no meaningful name). nullptr, or the reason (then nothing changes).
  [[nodiscard]] const char* setSessionName(std::string_view name);

  // Media sections, in m= order.
  size_t mediaCount() const { return media_.size(); }
  MediaDescription& media(size_t index) { return media_[index]; }
  const MediaDescription& media(size_t index) const { return media_[index]; }
  std::span<MediaDescription> media() { return media_; }
  std::span<const MediaDescription> media() const { return media_; }

  // The direction of a media section: its own attribute, else the session level's, else
  // sendrecv (RFC 3264 §5.1).
  Direction effectiveDirection(size_t mediaIndex) const;
  // The c= of a media section, falling back to the session level's.
  std::optional<Connection> effectiveConnection(size_t mediaIndex) const;

  // Points every c= line of the description at `c` (each level keeps one line; adds one
  // at session level when there is none anywhere). This is the media relay's rewrite.
  [[nodiscard]] const char* rewriteConnections(const Connection& c);

  // Removes the RFC 8839 ICE attributes at every level; returns how many lines went.
  size_t stripIce();

 private:
  std::vector<MediaDescription> media_;
  std::string trailer_;  // blank lines after the last line, kept for the round trip
  LineEnd eol_ = LineEnd::kCrlf;
};

// Either a description or the first problem found in the text.
class [[nodiscard]] ParseResult {
 public:
  ParseResult(SessionDescription sd) : value_(std::move(sd)) {}
  ParseResult(ParseError error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }

  // The description: empty when !ok().
  const SessionDescription& value() const& { return value_; }
  SessionDescription& value() & { return value_; }
  SessionDescription value() && { return std::move(value_); }

  // The problem: line 0 and an empty reason when ok().
  const ParseError& error() const { return error_; }

 private:
  SessionDescription value_;
  ParseError error_;
  bool ok_ = true;
};

}  // namespace sbc::sdp
