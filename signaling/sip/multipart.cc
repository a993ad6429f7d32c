#include "signaling/sip/multipart.h"

#include <optional>

#include "signaling/sip/charset.h"

namespace sbc::sip {
namespace {

// bcharsnospace (RFC 2046 §5.1.1); a space may appear inside a boundary, not at its end.
bool isBoundaryChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// After a delimiter: "--" closes; otherwise transport padding (LWSP) and CRLF.
// `at` moves past what was read; false when neither follows.
bool readDelimiterEnd(std::string_view body, size_t& at, bool& close) {
  if (startsWith(body.substr(at), "--")) {
    close = true;
    at += 2;
    return true;
  }
  close = false;
  while (at < body.size() && isWsp(body[at]))
    ++at;
  if (!startsWith(body.substr(at), "\r\n")) return false;
  at += 2;
  return true;
}

// The header section of one part: Content-Type and Content-Disposition are kept, other
// MIME headers (Content-ID, Content-Transfer-Encoding, ...) are read and forgotten.
const char* readPartHeaders(std::string_view headers, BodyPart& part) {
  while (!headers.empty()) {
    size_t end = headers.find("\r\n");
    // Folded lines continue a header (RFC 5322 §2.2.3).
    while (end != std::string_view::npos && end + 2 < headers.size() && isWsp(headers[end + 2]))
      end = headers.find("\r\n", end + 2);
    std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 2);
    if (line.empty()) return "empty line inside the headers of a body part";
    for (char c : line) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7f)
        return "control character in the headers of a body part";
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return "body part header without a colon";
    std::string_view name = trimLws(line.substr(0, colon));
    if (name.empty()) return "body part header without a name";
    for (char c : name) {
      if (!is(c, kToken)) return "malformed header name in a body part";
    }
    std::string_view value = trimLws(line.substr(colon + 1));
    if (iequals(name, "Content-Type")) {
      if (!part.contentType.empty()) return "body part with two Content-Type headers";
      MediaType ct;
      if (parseMediaType(value, false, ct)) return "malformed Content-Type in a body part";
      part.contentType = value;
    } else if (iequals(name, "Content-Disposition")) {
      if (value.empty()) return "empty Content-Disposition in a body part";
      part.contentDisposition = value;
    }
  }
  return nullptr;
}

}  // namespace

const char* multipartBoundary(const MediaType& contentType, std::string_view& boundary) {
  std::optional<std::string_view> b = contentType.params.get("boundary");
  if (!b) return "multipart body without a boundary parameter";
  std::string_view v = *b;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 70) return "multipart boundary must be 1 to 70 characters";
  if (v.back() == ' ') return "multipart boundary ends with a space";
  for (char c : v) {
    if (!isBoundaryChar(c)) return "invalid character in the multipart boundary";
  }
  boundary = v;
  return nullptr;
}

const char* parseMultipart(std::string_view body, std::string_view boundary,
                           const MultipartLimits& limits, std::vector<BodyPart>& out) {
  out.clear();
  std::string dash = "--" + std::string(boundary);
  std::string delimiter = "\r\n" + dash;
  // The first delimiter opens the body or follows the preamble's CRLF.
  size_t at = 0;
  if (startsWith(body, dash)) {
    at = dash.size();
  } else {
    size_t first = body.find(delimiter);
    if (first == std::string_view::npos) return "multipart body without its boundary";
    at = first + delimiter.size();
  }
  bool close = false;
  if (!readDelimiterEnd(body, at, close)) return "multipart boundary followed by other text";
  if (close) return "multipart body without parts";
  while (!close) {
    if (out.size() == limits.maxParts) return "too many parts in a multipart body";
    size_t next = body.find(delimiter, at);
    if (next == std::string_view::npos) return "multipart body not closed by its boundary";
    std::string_view content = body.substr(at, next - at);
    at = next + delimiter.size();
    if (!readDelimiterEnd(body, at, close)) return "multipart boundary followed by other text";

    BodyPart part;
    std::string_view headers;
    if (startsWith(content, "\r\n")) {
      part.body = content.substr(2);  // no headers: text/plain (RFC 2046 §5.1.1)
    } else {
      size_t blank = content.find("\r\n\r\n");
      if (blank == std::string_view::npos) {
        // Headers and no body: the blank line's last CRLF is the delimiter's.
        if (content.size() < 2 || content.substr(content.size() - 2) != "\r\n")
          return "body part without an empty line after its headers";
        headers = content.substr(0, content.size() - 2);
      } else {
        headers = content.substr(0, blank);
        part.body = content.substr(blank + 4);
      }
    }
    if (headers.size() > limits.maxPartHeaderBytes) return "body part headers too long";
    if (const char* err = readPartHeaders(headers, part)) return err;
    out.push_back(part);
  }
  return nullptr;
}

std::string buildMultipart(const std::vector<BodyPart>& parts, std::string_view boundary) {
  std::string out;
  for (const BodyPart& p : parts) {
    out.append("--").append(boundary).append("\r\n");
    if (!p.contentType.empty()) out.append("Content-Type: ").append(p.contentType).append("\r\n");
    if (!p.contentDisposition.empty())
      out.append("Content-Disposition: ").append(p.contentDisposition).append("\r\n");
    out.append("\r\n").append(p.body).append("\r\n");
  }
  out.append("--").append(boundary).append("--\r\n");
  return out;
}

}  // namespace sbc::sip
