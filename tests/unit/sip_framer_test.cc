#include <gtest/gtest.h>

#include <string>

#include "signaling/sip/stream_framer.h"

namespace sbc::sip {
namespace {

const std::string kMsg1 = "MESSAGE sip:u@h SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 5\r\n\r\nhello";
const std::string kMsg2 = "OPTIONS sip:u@h SIP/2.0\r\ni: 2\r\nl: 0\r\n\r\n";

TEST(StreamFramer, TwoMessagesInOneRead) {
  StreamFramer f;
  f.append(kMsg1 + kMsg2);
  ASSERT_EQ(f.next(), StreamFramer::Result::kMessage);
  EXPECT_EQ(f.message(), kMsg1);
  ASSERT_EQ(f.next(), StreamFramer::Result::kMessage);
  EXPECT_EQ(f.message(), kMsg2);
  EXPECT_EQ(f.next(), StreamFramer::Result::kNeedMore);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(StreamFramer, ByteByByteDelivery) {
  StreamFramer f;
  std::string all = kMsg1 + kMsg2;
  std::vector<std::string> got;
  for (char c : all) {
    f.append(std::string_view(&c, 1));
    StreamFramer::Result r;
    while ((r = f.next()) == StreamFramer::Result::kMessage)
      got.emplace_back(f.message());
    ASSERT_EQ(r, StreamFramer::Result::kNeedMore);
  }
  EXPECT_EQ(got, (std::vector<std::string>{kMsg1, kMsg2}));
}

TEST(StreamFramer, FoldedAndCompactContentLength) {
  StreamFramer f;
  std::string m = "MESSAGE sip:u@h SIP/2.0\r\nl:\r\n 3\r\n\r\nabc";
  f.append(m);
  ASSERT_EQ(f.next(), StreamFramer::Result::kMessage);
  EXPECT_EQ(f.message(), m);
}

TEST(StreamFramer, KeepAlivePingsAndStrayCrlf) {
  StreamFramer f;
  f.append("\r\n\r\n");
  EXPECT_EQ(f.next(), StreamFramer::Result::kKeepAlive);
  f.append("\r\n" + kMsg2);  // a single CRLF (pong) before a message is skipped
  ASSERT_EQ(f.next(), StreamFramer::Result::kMessage);
  EXPECT_EQ(f.message(), kMsg2);
}

TEST(StreamFramer, MissingOrBadContentLengthClosesTheStream) {
  {
    StreamFramer f;
    f.append("OPTIONS sip:u@h SIP/2.0\r\nCall-ID: 1\r\n\r\n");
    ASSERT_EQ(f.next(), StreamFramer::Result::kError);
    EXPECT_EQ(f.error().code(), 400);
    EXPECT_EQ(f.error().reason(), "missing Content-Length on a stream transport");
    EXPECT_EQ(f.message(), "OPTIONS sip:u@h SIP/2.0\r\nCall-ID: 1\r\n\r\n");  // enough to answer
    f.append(kMsg2);
    EXPECT_EQ(f.next(), StreamFramer::Result::kError);  // stays failed
  }
  {
    StreamFramer f;
    f.append("OPTIONS sip:u@h SIP/2.0\r\nContent-Length: -5\r\n\r\n");
    ASSERT_EQ(f.next(), StreamFramer::Result::kError);
    EXPECT_EQ(f.error().reason(), "invalid Content-Length");
  }
  {
    StreamFramer f;
    f.append("OPTIONS sip:u@h SIP/2.0\r\nContent-Length: 5\r\nl: 6\r\n\r\n");
    ASSERT_EQ(f.next(), StreamFramer::Result::kError);
    EXPECT_EQ(f.error().reason(), "conflicting Content-Length values");
  }
}

TEST(StreamFramer, BoundedMemoryAgainstSlowAndHugePeers) {
  Limits limits;
  limits.maxMessageBytes = 1000;
  limits.maxBodyBytes = 500;
  {
    // A peer that never ends its header section.
    StreamFramer f(limits);
    f.append("OPTIONS sip:u@h SIP/2.0\r\n");
    StreamFramer::Result r = StreamFramer::Result::kNeedMore;
    for (int i = 0; i < 200 && r == StreamFramer::Result::kNeedMore; ++i) {
      f.append("X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
      r = f.next();
    }
    ASSERT_EQ(r, StreamFramer::Result::kError);
    EXPECT_EQ(f.error().code(), 513);
    EXPECT_LE(f.buffered(), 1100u);
  }
  {
    StreamFramer f(limits);
    f.append("MESSAGE sip:u@h SIP/2.0\r\nContent-Length: 100000\r\n\r\n");
    ASSERT_EQ(f.next(), StreamFramer::Result::kError);
    EXPECT_EQ(f.error().code(), 413);
  }
  {
    StreamFramer f(limits);
    f.append("MESSAGE sip:u@h SIP/2.0\r\n" + std::string(600, 'Y') +
             ": z\r\nContent-Length: 450\r\n\r\n");
    ASSERT_EQ(f.next(), StreamFramer::Result::kError);
    EXPECT_EQ(f.error().code(), 513);
  }
}

TEST(StreamFramer, BodyArrivesLater) {
  StreamFramer f;
  f.append("MESSAGE sip:u@h SIP/2.0\r\nContent-Length: 5\r\n\r\nhel");
  EXPECT_EQ(f.next(), StreamFramer::Result::kNeedMore);
  f.append("lo");
  ASSERT_EQ(f.next(), StreamFramer::Result::kMessage);
  EXPECT_EQ(f.message().substr(f.message().size() - 5), "hello");
}

}  // namespace
}  // namespace sbc::sip
