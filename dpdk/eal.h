#pragma once

// The EAL is process-wide and DPDK initialises it once per process: after rte_eal_cleanup()
// it cannot come back. An application that starts and stops relays (tests, a daemon that
// reloads) initialises it here once and passes RelayConfig::eal empty.

#include <string>
#include <vector>

namespace sbc::dpdk {

// rte_eal_init with `args` (argv[0] is supplied). The calling thread becomes the main lcore
// and is pinned to its CPU. False with `error` when the EAL refuses or was initialised before.
bool initEal(const std::vector<std::string>& args, std::string& error);
bool ealInitialized();
// rte_eal_cleanup, and removes the runtime directory (/var/run/dpdk/<file-prefix>) that
// DPDK would leave behind. Lcores must be idle and ports closed.
void cleanupEal();

}  // namespace sbc::dpdk
