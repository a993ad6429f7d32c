#include "dpdk/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>

namespace sbc::dpdk {
namespace {

enum class EalState { kNone, kUp, kCleanedUp };
std::atomic<EalState> ealState{EalState::kNone};

}  // namespace

bool initEal(const std::vector<std::string>& args, std::string& error) {
  EalState expected = EalState::kNone;
  if (!ealState.compare_exchange_strong(expected, EalState::kUp)) {
    error = expected == EalState::kUp
                ? "the DPDK EAL is already initialised in this process"
                : "the DPDK EAL failed or was cleaned up in this process: DPDK cannot "
                  "initialise it again";
    return false;
  }
  // getopt permutes argv and the EAL may keep pointers into it: the strings live on.
  static std::vector<std::unique_ptr<char[]>> storage;
  std::vector<char*> argv;
  auto keep = [&argv](const std::string& s) {
    auto copy = std::make_unique<char[]>(s.size() + 1);
    std::memcpy(copy.get(), s.c_str(), s.size() + 1);
    argv.push_back(copy.get());
    storage.push_back(std::move(copy));
  };
  keep("sbc");
  for (const std::string& a : args)
    keep(a);
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(argv.size() - 1), argv.data()) < 0) {
    error = std::string("rte_eal_init failed: ") + rte_strerror(rte_errno);
    // Most failures leave the EAL unusable; DPDK refuses a second attempt either way.
    ealState = EalState::kCleanedUp;
    return false;
  }
  return true;
}

bool ealInitialized() {
  return ealState == EalState::kUp;
}

void cleanupEal() {
  EalState expected = EalState::kUp;
  if (!ealState.compare_exchange_strong(expected, EalState::kCleanedUp)) return;
  std::string runtimeDir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  // Only a per-prefix directory below DPDK's own run directory, never anything wider.
  std::filesystem::path dir(runtimeDir);
  if (!runtimeDir.empty() && dir.parent_path().filename() == "dpdk") {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace sbc::dpdk
