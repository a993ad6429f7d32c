#pragma once

// The SIP message model. A Message owns the bytes it was parsed from and describes them
// with offsets: the start line, one HeaderField per header line (its name, its value and
// the whole raw line, folding included) and the body. Typed accessors parse a header the
// moment they are called. Edits never touch the received bytes: new text goes to a side
// buffer and the field is marked, so serialize() re-emits every untouched line byte for
// byte and re-encodes only what changed.
//
// Offsets rather than string_views keep a Message movable (a moved std::string may move
// its bytes). Views returned by accessors stay valid until the message is edited or
// destroyed.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/address.h"
#include "signaling/sip/fields.h"
#include "signaling/sip/header_id.h"
#include "signaling/sip/via.h"

namespace sbc::sip {

enum class Framing : uint8_t;
struct Limits;
class Status;

enum class Method : uint8_t {
  kUnknown,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kUpdate,
  kInfo,
  kSubscribe,
  kNotify,
  kRefer,
  kMessage,
  kPublish,
};

// Methods are case-sensitive (RFC 3261 §7.1).
Method methodFromName(std::string_view name);
std::string_view methodName(Method m);

// A region of one of the message's two buffers.
struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct HeaderField {
  HeaderId id = HeaderId::kUnknown;
  bool edited = false;   // name and value live in the edit buffer; `line` is unused
  bool removed = false;  // skipped by accessors and serialize()
  Span name;
  Span value;  // without surrounding LWS; a folded value keeps its inner CRLF SP
  Span line;   // the raw line(s) with their terminator
};

// The result of a typed accessor: the value, or why the header could not be read.
template <class T>
struct Parsed {
  T value{};
  const char* error = nullptr;  // nullptr: parsed
  bool present = true;          // false when the header is absent (error is set too)
  explicit operator bool() const { return error == nullptr; }
};

class Message {
 public:
  enum class Kind : uint8_t { kRequest, kResponse };

  Message() = default;

  // Builders for messages that originate here (the UAC leg of the B2BUA).
  static Message request(std::string_view method, std::string_view requestUri);
  static Message response(int status, std::string_view reason);

  Kind kind() const { return kind_; }
  bool isRequest() const { return kind_ == Kind::kRequest; }
  bool isResponse() const { return kind_ == Kind::kResponse; }

  // Start line.
  std::string_view method() const { return view(method_, startEdited_); }
  Method methodId() const { return methodId_; }
  std::string_view requestUri() const { return view(uri_, startEdited_); }
  std::string_view version() const { return view(version_, startEdited_); }
  int statusCode() const { return status_; }
  std::string_view reasonPhrase() const { return view(reason_, startEdited_); }

  // Header fields in message order. Removed fields are still listed (removed == true).
  const std::vector<HeaderField>& fields() const { return fields_; }
  std::string_view name(const HeaderField& f) const { return view(f.name, f.edited); }
  std::string_view value(const HeaderField& f) const { return view(f.value, f.edited); }

  // The first live field with this id, or nullptr.
  const HeaderField* first(HeaderId id) const;
  // Number of live header lines with this id.
  size_t count(HeaderId id) const;
  // The first value of a header, or empty.
  std::string_view header(HeaderId id) const;
  // By name, for headers without an id (case-insensitive; compact forms resolve too).
  std::string_view header(std::string_view name) const;

  // Calls f(std::string_view item) for every value of a list header across all its
  // lines, in order. Returns nullptr, or the first splitting error / error f returned.
  // An empty line is an empty list where the header's grammar allows it (allowsEmptyList).
  template <class F>
  const char* forEachValue(HeaderId id, F&& f) const;

  // Typed accessors.
  std::string_view callId() const { return header(HeaderId::kCallId); }
  Parsed<CSeq> cseq() const;
  Parsed<NameAddr> from() const { return address(HeaderId::kFrom); }
  Parsed<NameAddr> to() const { return address(HeaderId::kTo); }
  Parsed<Via> topVia() const;
  Parsed<uint32_t> maxForwards() const { return number(HeaderId::kMaxForwards, 255); }
  Parsed<uint32_t> contentLength() const { return number(HeaderId::kContentLength, 0xffffffff); }
  Parsed<uint32_t> number(HeaderId id, uint32_t max) const;  // 1*DIGIT headers
  Parsed<MediaType> contentType() const;
  Parsed<Uri> requestUriParsed() const;
  Parsed<NameAddr> address(HeaderId id) const;  // From, To, single-valued addresses

  std::string_view body() const { return view(body_, bodyEdited_); }

  // Edits.
  void setRequestUri(std::string_view uri);
  void setStatus(int status, std::string_view reason);
  // Replaces every line of `id` with one line holding `value` (appended if absent).
  void setHeader(HeaderId id, std::string_view value);
  void setHeader(std::string_view name, std::string_view value);
  // Adds a line: at the top, before the first header of the same name (for Via and
  // Record-Route), or at the bottom of the header section.
  enum class Where : uint8_t { kTop, kBottom };
  void addHeader(HeaderId id, std::string_view value, Where where = Where::kBottom);
  void addHeader(std::string_view name, std::string_view value, Where where = Where::kBottom);
  // Removes every line of this header; returns how many were removed.
  size_t removeHeader(HeaderId id);
  size_t removeHeader(std::string_view name);
  void removeField(size_t index);
  // Replaces a single field's value (keeps its position and name).
  void setFieldValue(size_t index, std::string_view value);
  // Replaces the body and keeps Content-Length (and Content-Type, when given) in step.
  void setBody(std::string_view body, std::string_view contentType = {});

  // Appends the wire form to `out`.
  void serializeTo(std::string& out) const;
  std::string serialize() const;

  // The bytes the message was parsed from (one message: trailing datagram bytes that
  // were not part of it are not included).
  std::string_view raw() const { return std::string_view(raw_).substr(0, rawEnd_); }

 private:
  friend Status parseMessage(std::string_view bytes, Framing framing, const Limits& limits,
                             Message& out);

  std::string_view view(Span s, bool edited) const {
    return std::string_view(edited ? edits_ : raw_).substr(s.off, s.len);
  }
  Span appendEdit(std::string_view text);
  void insertField(size_t at, HeaderField f);
  void reindex();
  void clear();

  std::string raw_;    // the received bytes
  std::string edits_;  // text of edited start line, headers and body
  uint32_t rawEnd_ = 0;
  Kind kind_ = Kind::kRequest;
  Method methodId_ = Method::kUnknown;
  bool startEdited_ = false;
  bool bodyEdited_ = false;
  int status_ = 0;
  Span startLine_;  // the raw start line with its terminator
  Span method_, uri_, version_, reason_;
  Span headerEnd_;  // the raw empty line that ends the header section
  Span body_;
  std::vector<HeaderField> fields_;
  // Index of the first live field per HeaderId (kNone if absent): O(1) typed access.
  static constexpr uint16_t kNone = 0xffff;
  std::array<uint16_t, kHeaderIdCount> first_{};
};

template <class F>
const char* Message::forEachValue(HeaderId id, F&& f) const {
  uint16_t start = first_[static_cast<size_t>(id)];
  if (start == kNone) return nullptr;
  for (size_t i = start; i < fields_.size(); ++i) {
    const HeaderField& h = fields_[i];
    if (h.id != id || h.removed) continue;
    // "Supported:" is an empty list, where the grammar allows one (baresip sends it).
    if (value(h).empty() && allowsEmptyList(id)) continue;
    if (const char* err = forEachListItem(value(h), f)) return err;
  }
  return nullptr;
}

}  // namespace sbc::sip
