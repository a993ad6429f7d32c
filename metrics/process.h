#pragma once

// process_* metrics as the Prometheus client libraries export them (CPU, memory, file
// descriptors, start time), read from /proc/self on each scrape.

#include "metrics/snapshot.h"

namespace sbc::metrics {

// Adds process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds and
// process_max_fds. What /proc does not give (another OS) is left out, never guessed.
void sampleProcess(Snapshot& out);

}  // namespace sbc::metrics
