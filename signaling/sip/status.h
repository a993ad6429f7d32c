#pragma once

// Errors as values: what went wrong with a message, as the SIP response a UAS would
// answer with (RFC 3261 §21) and a reason phrase a person understands.

#include <cstdint>
#include <string>
#include <utility>

namespace sbc::sip {

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  static Status error(uint16_t code, std::string reason) { return Status(code, std::move(reason)); }

  bool ok() const { return code_ == 0; }
  uint16_t code() const { return code_; }
  const std::string& reason() const { return reason_; }

 private:
  Status(uint16_t code, std::string reason) : code_(code), reason_(std::move(reason)) {}
  uint16_t code_ = 0;
  std::string reason_;
};

}  // namespace sbc::sip
