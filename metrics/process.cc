#include "metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sbc::metrics {

namespace {

// Boot time (seconds since the epoch), which /proc/self/stat's start time is relative to.
double bootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace

void sampleProcess(Snapshot& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (std::getline(in, line)) {
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::vector<std::string> f;
      for (std::string s; fields >> s;)
        f.push_back(s);
      // f[0] is field 3 (state): utime = field 14, stime 15, starttime 22, vsize 23, rss 24.
      if (f.size() > 21) {
        const double ticks = double(sysconf(_SC_CLK_TCK));
        const double page = double(sysconf(_SC_PAGESIZE));
        double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        out.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                   Kind::kCounter)
            .add({}, cpu);
        out.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", Kind::kGauge)
            .add({}, std::stod(f[20]));
        out.family("process_resident_memory_bytes", "Resident memory size in bytes.", Kind::kGauge)
            .add({}, std::stod(f[21]) * page);
        if (double boot = bootTime(); boot > 0) {
          out.family("process_start_time_seconds",
                     "Start time of the process since unix epoch in seconds.", Kind::kGauge)
              .add({}, boot + std::stod(f[19]) / ticks);
        }
      }
    }
  }
  std::error_code ec;
  size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  if (!ec) {
    out.family("process_open_fds", "Number of open file descriptors.", Kind::kGauge)
        .add({}, double(fds));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.family("process_max_fds", "Maximum number of open file descriptors.", Kind::kGauge)
        .add({}, double(limit.rlim_cur));
  }
}

}  // namespace sbc::metrics
