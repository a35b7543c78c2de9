#include "base/periodic_task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace yard {
namespace {

using namespace std::chrono_literals;

// Counts rounds and lets the test wait for the n-th one.
struct Rounds {
  std::mutex mutex;
  std::condition_variable changed;
  int count = 0;

  Status Run(bool fail) {
    std::lock_guard lock(mutex);
    ++count;
    changed.notify_all();
    if (fail) return Unexpected(ErrorCode::kIo, "this round failed");
    return {};
  }
  bool WaitFor(int n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 30s, [&] { return count >= n; });
  }
};

TEST(PeriodicTaskTest, RunsAtStartAndWhenPokedUntilStopped) {
  Rounds rounds;
  // An interval no test waits for: every round after the first is a poke.
  PeriodicTask task("test", std::chrono::hours(1), [&] { return rounds.Run(false); });
  task.Start();
  ASSERT_TRUE(rounds.WaitFor(1));
  task.Poke();
  ASSERT_TRUE(rounds.WaitFor(2));
  task.Stop();
  int stopped_at = rounds.count;
  task.Poke();  // no thread: nothing runs
  task.Stop();  // twice is fine
  EXPECT_EQ(rounds.count, stopped_at);
}

TEST(PeriodicTaskTest, AFailedRoundDoesNotEndTheTask) {
  Rounds rounds;
  PeriodicTask task("test", 1ms, [&] { return rounds.Run(true); });
  task.Start();
  EXPECT_TRUE(rounds.WaitFor(3));
}

TEST(PeriodicTaskTest, CanStartAgainAfterStop) {
  Rounds rounds;
  PeriodicTask task("test", std::chrono::hours(1), [&] { return rounds.Run(false); });
  task.Start();
  ASSERT_TRUE(rounds.WaitFor(1));
  task.Stop();
  task.Start();
  EXPECT_TRUE(rounds.WaitFor(2));
}

}  // namespace
}  // namespace yard
