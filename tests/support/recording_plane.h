#pragma once

// A mediaplane::MediaPlane that records the sessions it is asked to create, update and
// delete, answers createSession with `failNext` (empty: success), and hands out the events
// a test queues in `events`. It stands in for the DPDK relay (tested on its own).

#include <cstdint>
#include <optional>
#include <vector>

#include "mediaplane/api/media_plane.h"

namespace sbc::test {

class RecordingPlane : public mediaplane::MediaPlane {
 public:
  mediaplane::Error createSession(const mediaplane::SessionSpec& s) override;
  mediaplane::Error updateSession(const mediaplane::SessionSpec& s) override;
  void deleteSession(uint64_t id) override;
  std::optional<mediaplane::SessionStats> stats(uint64_t id) const override;
  std::vector<mediaplane::MediaEvent> pollEvents() override;

  std::vector<mediaplane::SessionSpec> created, updated;
  std::vector<uint64_t> deleted;
  std::vector<mediaplane::MediaEvent> events;
  mediaplane::Error failNext;  // what every createSession answers while set
};

}  // namespace sbc::test
