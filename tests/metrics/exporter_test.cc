// The Prometheus endpoint over a real socket: what a scrape serves, basic auth, a sampler
// that cannot answer, a port already taken, and the exposition checked by promtool.

#include "metrics/exporter.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace sbc::metrics {
namespace {

using boost::asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string body;
};

// One HTTP/1.0 GET on loopback, read to the end.
Reply get(uint16_t port, const std::string& authorization = {}) {
  boost::asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!authorization.empty()) request += "Authorization: Basic " + authorization + "\r\n";
  request += "\r\n";
  boost::asio::write(s, boost::asio::buffer(request));
  std::string all;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(boost::asio::buffer(buf), ec);
    all.append(buf, n);
    if (ec) break;
  }
  Reply r;
  if (all.size() > 12) r.status = std::stoi(all.substr(9, 3));
  size_t body = all.find("\r\n\r\n");
  if (body != std::string::npos) r.body = all.substr(body + 4);
  return r;
}

Snapshot example(double calls) {
  Snapshot s;
  s.family("sbc_calls_total", "Calls.", Kind::kCounter)
      .add({{"realm", "access"}, {"result", "answered"}}, calls);
  s.family("sbc_calls_active", "Active.", Kind::kGauge).add({{"realm", "access"}}, 2);
  s.family("sbc_call_setup_seconds", "Setup.", Kind::kHistogram)
      .add({}, HistogramValue{{0.1, 1}, {1, 2, 1}, 4.5, 4});
  return s;
}

bool has(const std::string& body, const std::string& line) {
  return body.find("\n" + line + "\n") != std::string::npos;
}

TEST(Exporter, ServesTheSnapshotWithProcessAndBuildInfo) {
  std::string error;
  double calls = 3;
  auto e = Exporter::start(
      {"127.0.0.1", 0, "", "", "1.2.3"},
      [&](const std::atomic<bool>&) { return std::optional<Snapshot>(example(calls)); }, error);
  ASSERT_TRUE(e) << error;
  Reply r = get(e->port());
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(has(r.body, "sbc_calls_total{realm=\"access\",result=\"answered\"} 3")) << r.body;
  EXPECT_TRUE(has(r.body, "sbc_calls_active{realm=\"access\"} 2"));
  // Buckets are cumulative on the wire; +Inf is the count.
  EXPECT_TRUE(has(r.body, "sbc_call_setup_seconds_bucket{le=\"0.1\"} 1"));
  EXPECT_TRUE(has(r.body, "sbc_call_setup_seconds_bucket{le=\"1\"} 3"));
  EXPECT_TRUE(has(r.body, "sbc_call_setup_seconds_bucket{le=\"+Inf\"} 4"));
  EXPECT_TRUE(has(r.body, "sbc_call_setup_seconds_sum 4.5"));
  EXPECT_TRUE(has(r.body, "sbc_build_info{version=\"1.2.3\"} 1"));
  EXPECT_TRUE(has(r.body, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_NE(r.body.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_open_fds "), std::string::npos);
  // Every scrape samples again.
  calls = 7;
  EXPECT_TRUE(has(get(e->port()).body, "sbc_calls_total{realm=\"access\",result=\"answered\"} 7"));
  EXPECT_EQ(e->scrapes(), 2u);
}

TEST(Exporter, BasicAuthRefusesWithoutTheRightCredentials) {
  std::string error;
  auto e = Exporter::start(
      {"127.0.0.1", 0, "prom", "s3cret", "1"},
      [](const std::atomic<bool>&) { return std::optional<Snapshot>(example(1)); }, error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(get(e->port()).status, 401);
  EXPECT_EQ(get(e->port(), "cHJvbTp3cm9uZw==").status, 401);  // prom:wrong
  EXPECT_EQ(get(e->port(), "eDpzM2NyZXQ=").status, 401);      // x:s3cret
  Reply ok = get(e->port(), "cHJvbTpzM2NyZXQ=");              // prom:s3cret
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(has(ok.body, "sbc_calls_active{realm=\"access\"} 2"));
}

TEST(Exporter, ASamplerThatCannotAnswerServesThePreviousValuesAndCountsIt) {
  std::string error;
  bool answer = true;
  auto e = Exporter::start(
      {"127.0.0.1", 0, "", "", "1"},
      [&](const std::atomic<bool>&) -> std::optional<Snapshot> {
        if (!answer) return std::nullopt;
        return example(5);
      },
      error);
  ASSERT_TRUE(e) << error;
  EXPECT_TRUE(has(get(e->port()).body, "sbc_metrics_sample_failures_total 0"));
  answer = false;
  std::string body = get(e->port()).body;
  EXPECT_TRUE(has(body, "sbc_calls_total{realm=\"access\",result=\"answered\"} 5")) << body;
  EXPECT_TRUE(has(body, "sbc_metrics_sample_failures_total 1"));
}

// A scrape waiting on a sampler that cannot answer (sbcd's control thread stopped) ends as
// soon as the exporter is destroyed, with the previous values; nothing hangs.
TEST(Exporter, DestroyingItEndsAScrapeInFlight) {
  std::string error;
  std::atomic<bool> entered{false};
  auto e = Exporter::start(
      {"127.0.0.1", 0, "", "", "1"},
      [&](const std::atomic<bool>& stopping) -> std::optional<Snapshot> {
        entered = true;
        for (int i = 0; i < 3000 && !stopping.load(); ++i)  // up to 30 s, like a stuck thread
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return std::nullopt;
      },
      error);
  ASSERT_TRUE(e) << error;
  uint16_t port = e->port();
  std::thread client([port] { get(port); });
  while (!entered.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t0 = std::chrono::steady_clock::now();
  e.reset();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

// A client that connects and sends nothing does not keep Prometheus out.
TEST(Exporter, AnIdleConnectionDoesNotBlockScrapes) {
  std::string error;
  auto e = Exporter::start(
      {"127.0.0.1", 0, "", "", "1"},
      [](const std::atomic<bool>&) { return std::optional<Snapshot>(example(4)); }, error);
  ASSERT_TRUE(e) << error;
  boost::asio::io_context io;
  tcp::socket idle(io);
  idle.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), e->port()));
  auto t0 = std::chrono::steady_clock::now();
  Reply r = get(e->port());
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(Exporter, APortInUseIsAnErrorThatSaysWhere) {
  std::string error;
  auto first = Exporter::start({"127.0.0.1", 0, "", "", "1"}, {}, error);
  ASSERT_TRUE(first) << error;
  auto second = Exporter::start({"127.0.0.1", first->port(), "", "", "1"}, {}, error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(first->port())),
            std::string::npos)
      << error;
}

TEST(Exporter, ExpositionPassesPromtoolCheckMetrics) {
  std::string error;
  auto e = Exporter::start(
      {"127.0.0.1", 0, "", "", "1"},
      [](const std::atomic<bool>&) { return std::optional<Snapshot>(example(9)); }, error);
  ASSERT_TRUE(e) << error;
  std::string body = get(e->port()).body;
  ASSERT_FALSE(body.empty());
  std::string path = testing::TempDir() + "/exposition.txt";
  std::ofstream(path) << body;
  // The real promtool (Debian `prometheus`): the test fails, never skips, without it.
  std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p))
    out.append(buf, n);
  int status = pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool check metrics failed (is the `prometheus` package installed?):\n"
      << out;
}

}  // namespace
}  // namespace sbc::metrics
