// Hostile input in the unit suite (the libFuzzer runs go further): deterministic
// mutations of real messages, pathological sizes and shapes. Nothing may crash or hang,
// and whatever the parser accepts must serialize back to exactly its bytes.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "signaling/sip/stream_framer.h"
#include "signaling/sip/validator.h"

namespace sbc::sip {
namespace {

std::vector<std::string> sampleMessages() {
  std::vector<std::string> out;
  for (const char* dir : {"/config/lab/sample-call", "/tests/data/sip"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(SBC_SOURCE_DIR) + dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  return out;
}

TEST(SipRobustness, MutatedMessagesNeverBreakTheModel) {
  std::vector<std::string> samples = sampleMessages();
  ASSERT_GE(samples.size(), 7u);
  std::mt19937 rng(4475);
  const char specials[] = {'\r', '\n', ' ',  '\t', ':', ';',  ',', '"',
                           '<',  '>',  '\\', '%',  '@', '\0', '='};
  Message m;
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s = samples[rng() % samples.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0:
          s[at] = specials[rng() % sizeof(specials)];
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        case 2:
          s.insert(at, 1, specials[rng() % sizeof(specials)]);
          break;
        default:
          s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 16));
      }
    }
    Verdict v = check(s, Framing::kDatagram, Limits{}, ValidationPolicy{}, m);
    if (v.accepted()) {
      ++accepted;
      ASSERT_EQ(m.serialize(), m.raw()) << s;
    } else {
      EXPECT_FALSE(v.reason.empty());
      for (char c : v.reason)
        ASSERT_TRUE(c != '\r' && c != '\n') << "reason phrase must fit a status line";
    }
  }
  // The mutations must leave a good share valid, or this test would prove little.
  EXPECT_GT(accepted, 1000u);
}

TEST(SipRobustness, PathologicalShapesAreBoundedAndFast) {
  auto start = std::chrono::steady_clock::now();
  Message m;
  Limits limits;
  // 60 KB of one header value, 60 KB of tiny headers, deep folding, a sea of commas.
  std::string head = "OPTIONS sip:a@b SIP/2.0\r\n";
  std::vector<std::string> inputs = {
      head + "X: " + std::string(60000, 'a') + "\r\n\r\n",
      head +
          [] {
            std::string h;
            while (h.size() < 60000)
              h += "a:b\r\n";
            return h;
          }() +
          "\r\n",
      head + "Via: SIP/2.0/UDP h" +
          [] {
            std::string h;
            while (h.size() < 60000)
              h += "\r\n ;x=y";
            return h;
          }() +
          "\r\n\r\n",
      head + "Contact: " + std::string(60000, ',') + "\r\n\r\n",
      head + "To: \"" + std::string(60000, '\\') + "\r\n\r\n",
      std::string(65535, '\n'),
      std::string(65535, ' '),
  };
  for (const std::string& in : inputs) {
    Verdict v = check(in, Framing::kDatagram, limits, ValidationPolicy{}, m);
    EXPECT_FALSE(v.accepted());
    StreamFramer f(limits);
    for (size_t i = 0; i < in.size(); i += 4096) {
      f.append(std::string_view(in).substr(i, 4096));
      while (f.next() == StreamFramer::Result::kMessage) {
      }
    }
    EXPECT_LE(f.buffered(), limits.maxMessageBytes + 4096);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  // Linear work: a few milliseconds; a quadratic path would take seconds.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 2000);
}

}  // namespace
}  // namespace sbc::sip

namespace sbc::sip {
namespace {

// RFC 3261's grammar has no control characters in a header value (issue 14, defect 14): a
// NUL in Subject, or any other C0 control or DEL, is a 400 that names the header, never a
// message that would be relayed. Tabs, folding (CRLF + whitespace), UTF-8 and a quoted-pair
// (a backslash-escaped control character, RFC 4475 intmeth) stay valid.
TEST(SipRobustness, ControlCharactersInHeaderValuesAre400) {
  auto invite = [](std::string_view subject) {
    return "INVITE sip:bob@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
           "To: <sip:bob@example.com>\r\nCall-ID: c1@192.0.2.1\r\nCSeq: 1 INVITE\r\n"
           "Subject: " +
           std::string(subject) + "\r\nContent-Length: 0\r\n\r\n";
  };
  Message m;
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    std::string value = std::string("a") + static_cast<char>(c) + "b";
    Verdict v = check(invite(value), Framing::kDatagram, Limits{}, ValidationPolicy{}, m);
    ASSERT_FALSE(v.accepted()) << "control character " << c;
    EXPECT_EQ(v.status, 400) << c;
    EXPECT_NE(v.reason.find("control character in header field 'Subject'"), std::string::npos)
        << v.reason;
  }
  for (std::string bad : {std::string("a\x7f"
                                      "b"),
                          std::string("a\rb"), std::string("a\r b"),
                          std::string("a\\\\\x07"
                                      "!")}) {  // an escaped backslash, then BEL
    Verdict v = check(invite(bad), Framing::kDatagram, Limits{}, ValidationPolicy{}, m);
    EXPECT_FALSE(v.accepted()) << bad;
  }
  for (std::string good :
       {std::string("tab\there"), std::string("folded\r\n continued"),
        std::string("caf\xc3\xa9 \xe2\x98\x8e"), std::string("\"escaped \\\x07 bell\"", 17)}) {
    Verdict v = check(invite(good), Framing::kDatagram, Limits{}, ValidationPolicy{}, m);
    EXPECT_TRUE(v.accepted()) << good << ": " << v.reason;
  }
}

// The byte-at-a-time rule of RFC 3261 §25.1 as a reference model: outside a quoted-pair, a
// byte below 0x20 other than HTAB, or DEL, makes the value invalid. (CR and LF are left out
// of the alphabet: they end the header line, and the folding cases are tested above.)
bool referenceHasControl(std::string_view value) {
  bool escaped = false;
  for (unsigned char c : value) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

// Fuzzes the character classes against the reference: the parser scans eight bytes at a
// time, so every class (control, DEL, backslash, HTAB, space, printable, UTF-8 and stray
// high bytes) is put at every offset of values up to 40 bytes long, behind names of two
// lengths so the value starts at different alignments. A verdict that differs from the
// model is a bug in the fast path (or a control character let through).
TEST(SipRobustness, HeaderValueCharacterClassesMatchTheGrammar) {
  const std::string classes[] = {
      std::string(1, '\0'), "\x01", "\x1f", "\x7f", "\\", "\t", " ", "a", "\"", "%",
      "\xc3\xa9",           "\x80", "\xff"};
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<size_t> pickClass(0, std::size(classes) - 1);
  std::uniform_int_distribution<int> pickLength(0, 40);
  std::uniform_int_distribution<int> pickByte(1, 255);
  Message m;
  int accepted = 0, refused = 0;
  for (int round = 0; round < 60000; ++round) {
    std::string value;
    const int length = pickLength(rng);
    // Mostly plain text with a few special classes, and now and then any byte at all.
    while (static_cast<int>(value.size()) < length) {
      int roll = static_cast<int>(rng() % 16);
      if (roll < 10) {
        value += static_cast<char>('a' + rng() % 26);
      } else if (roll < 15) {
        value += classes[pickClass(rng)];
      } else {
        char c = static_cast<char>(pickByte(rng));
        if (c != '\r' && c != '\n') value += c;
      }
    }
    // The parser trims surrounding LWS before it checks: keep the value non-blank at both
    // ends so that the model sees the same bytes.
    value = "<" + value + ">";
    const std::string name = round % 2 ? "Subject" : "X-Fuzz-Header";
    const std::string msg =
        "OPTIONS sip:bob@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
        "To: <sip:bob@example.com>\r\nCall-ID: c1@192.0.2.1\r\nCSeq: 1 OPTIONS\r\n" +
        name + ": " + value + "\r\nContent-Length: 0\r\n\r\n";
    Verdict v = check(msg, Framing::kDatagram, Limits{}, ValidationPolicy{}, m);
    const bool bad = referenceHasControl(value);
    ASSERT_EQ(v.accepted(), !bad) << "value bytes: " << testing::PrintToString(value) << " -> "
                                  << v.status << " " << v.reason;
    if (bad) {
      ASSERT_EQ(v.status, 400);
      ASSERT_NE(v.reason.find("control character in header field '" + name + "'"),
                std::string::npos)
          << v.reason;
      ++refused;
    } else {
      ++accepted;
    }
  }
  // Both verdicts were exercised in earnest, not one of them by accident.
  EXPECT_GT(accepted, 10000);
  EXPECT_GT(refused, 10000);
}

}  // namespace
}  // namespace sbc::sip
