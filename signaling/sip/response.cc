#include "signaling/sip/response.h"

#include <string>

namespace sbc::sip {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      break;
  }
  switch (status / 100) {
    case 1:
      return "Trying";
    case 2:
      return "OK";
    case 3:
      return "Redirection";
    case 4:
      return "Client Error";
    case 5:
      return "Server Error";
    default:
      return "Global Failure";
  }
}

Message makeResponse(const Message& request, int status, std::string_view reason,
                     std::string_view toTag) {
  Message r = Message::response(status, reason.empty() ? reasonPhrase(status) : reason);
  for (const HeaderField& f : request.fields()) {
    if (!f.removed && f.id == HeaderId::kVia) r.addHeader(HeaderId::kVia, request.value(f));
  }
  for (HeaderId id : {HeaderId::kFrom, HeaderId::kTo, HeaderId::kCallId, HeaderId::kCSeq}) {
    const HeaderField* f = request.first(id);
    if (!f) continue;
    std::string_view v = request.value(*f);
    if (id == HeaderId::kTo && !toTag.empty() && !request.to().value.hasTag()) {
      r.addHeader(id, std::string(v) + ";tag=" + std::string(toTag));
    } else {
      r.addHeader(id, v);
    }
  }
  r.setBody("");
  return r;
}

}  // namespace sbc::sip
