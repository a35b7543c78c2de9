#include "testing/fake_clock.h"

namespace yard::testing {

std::chrono::system_clock::time_point FakeClock::Now() const {
  return std::chrono::system_clock::time_point(std::chrono::seconds(now_seconds_.load()));
}

}  // namespace yard::testing
