#pragma once

// Known SIP header names: their canonical spelling, compact form (RFC 3261 §7.3.3 and
// the extensions that registered one) and whether their values form a comma-separated
// list that may be split (§7.3.1) or must stay whole (WWW-Authenticate, Date, ...).

#include <cstdint>
#include <string_view>

namespace sbc::sip {

enum class HeaderId : uint8_t {
  kUnknown = 0,
  kAccept,
  kAcceptContact,
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAllowEvents,
  kAuthenticationInfo,
  kAuthorization,
  kCallId,
  kCallInfo,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLanguage,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kErrorInfo,
  kEvent,
  kExpires,
  kFrom,
  kIdentity,
  kIdentityInfo,
  kInReplyTo,
  kMaxForwards,
  kMinExpires,
  kMinSE,
  kMimeVersion,
  kOrganization,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kPath,
  kPriority,
  kPrivacy,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRAck,
  kRSeq,
  kReason,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRejectContact,
  kReplaces,
  kReplyTo,
  kRequestDisposition,
  kRequire,
  kRetryAfter,
  kRoute,
  kServer,
  kServiceRoute,
  kSessionExpires,
  kSubject,
  kSubscriptionState,
  kSupported,
  kTimestamp,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
  kCount,  // not a header: the number of ids
};

inline constexpr size_t kHeaderIdCount = static_cast<size_t>(HeaderId::kCount);

struct HeaderInfo {
  std::string_view name;  // canonical spelling, used when a header is (re)encoded
  char compact;           // compact form, or 0
  bool list;              // value is a comma-separated list that may be split
  bool single;            // may appear at most once in a message
};

const HeaderInfo& headerInfo(HeaderId id);

// True for the lists whose grammar brackets its elements, `HCOLON [ elem *(COMMA elem) ]`
// (RFC 3261 §25.1: Accept, Accept-Encoding, Accept-Language, Allow, Supported): an empty
// value is an empty list. Every other list needs at least one element (Require,
// Unsupported, Via, ...), and no list may have an empty element between commas.
bool allowsEmptyList(HeaderId id);

// Maps a header name as written (any case, full or compact form) to its id.
HeaderId lookupHeader(std::string_view name);

}  // namespace sbc::sip
