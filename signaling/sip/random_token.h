#pragma once

// The random tokens the SBC puts in SIP messages: Via branches, From/To tags and
// Call-IDs. They come from the operating system's CSPRNG (getrandom(2)) through a small
// per-thread buffer, so that one observed token tells nothing about the next (a branch
// predicted from the last one lets a third party forge responses, issue 14 defect 1) and
// a token costs a memcpy, not a system call.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sbc::sip {

// Fills `out` with bytes from the OS CSPRNG.
void randomBytes(std::span<uint8_t> out);
// `n` lower-case letters and digits, uniformly drawn (log2(36) = 5.17 bits each). Lower
// case only: some peers (SIPp 3.6) look for "CSeq" anywhere in a message, and a random
// token that spells it breaks their parsing.
std::string randomToken(size_t n);
// A Via branch: the RFC 3261 magic cookie and 22 random characters (113 bits).
std::string randomBranch();

}  // namespace sbc::sip
