#include "tests/support/recording_plane.h"

#include <utility>

namespace sbc::test {

mediaplane::Error RecordingPlane::createSession(const mediaplane::SessionSpec& s) {
  created.push_back(s);
  return failNext;
}

mediaplane::Error RecordingPlane::updateSession(const mediaplane::SessionSpec& s) {
  updated.push_back(s);
  return {};
}

void RecordingPlane::deleteSession(uint64_t id) {
  deleted.push_back(id);
}

std::optional<mediaplane::SessionStats> RecordingPlane::stats(uint64_t) const {
  return std::nullopt;
}

std::vector<mediaplane::MediaEvent> RecordingPlane::pollEvents() {
  return std::exchange(events, {});
}

}  // namespace sbc::test
