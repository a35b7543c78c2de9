#pragma once

// An in-memory Runtime for unit tests of the controller: containers "run" until a test says
// they exited, exec answers what the test set, builds succeed unless a test made them fail.
// Records every call so tests can check what the controller did.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string_view>

#include "runtime/runtime.h"

namespace yard::controller::testing {

class FakeRuntime final : public runtime::Runtime {
 public:
  struct Container {
    runtime::ContainerSpec spec;
    runtime::ContainerInfo info;
  };

  Result<runtime::EngineInfo> Ping() override;
  Result<std::optional<runtime::ImageInfo>> InspectImage(const std::string& ref) override;
  Status PullImage(const std::string& ref, const runtime::LineSink& progress) override;
  Result<runtime::BuildOutcome> BuildImage(const runtime::BuildSpec& spec,
                                           const runtime::LineSink& progress) override;
  Result<std::vector<runtime::ImageInfo>> ListImages(const runtime::Labels& match) override;
  Status RemoveImage(const std::string& ref) override;
  Result<runtime::NetworkInfo> CreateNetwork(const runtime::NetworkSpec& spec) override;
  Result<std::vector<runtime::NetworkInfo>> ListNetworks(const runtime::Labels& match) override;
  Status RemoveNetwork(const std::string& name_or_id) override;
  Result<std::string> CreateContainer(const runtime::ContainerSpec& spec) override;
  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, std::chrono::seconds grace) override;
  Status RemoveContainer(const std::string& id) override;
  Status PauseContainer(const std::string& id) override;
  Status UnpauseContainer(const std::string& id) override;
  Result<std::optional<runtime::ContainerInfo>> InspectContainer(const std::string& id) override;
  Result<std::vector<runtime::ContainerInfo>> ListContainers(const runtime::Labels& match) override;
  Result<std::string> Logs(const std::string& id, const runtime::LogOptions& options) override;
  /// Hands on what WriteLogs gave the container, all of it (`since_ns` is not looked at:
  /// engines may send earlier lines too), in pieces of SetLogChunkBytes; then, while the
  /// container runs, what is written next, until it stops, is removed or `cancel` is set.
  Status FollowLogs(const std::string& id, int64_t since_ns, const runtime::LogChunkSink& sink,
                    const std::atomic<bool>* cancel) override;
  Result<runtime::ExecResult> Exec(const std::string& id, const runtime::ExecSpec& spec) override;
  /// The process ends at once: the stream is a socketpair whose far end is closed, and the
  /// exit code is SetExecExit's.
  Result<runtime::ExecStream> StartExecStream(const std::string& id,
                                              const runtime::ExecStreamSpec& spec) override;
  Status ResizeExec(const std::string& exec_id, int rows, int cols) override;
  Result<runtime::ExecInfo> InspectExec(const std::string& exec_id) override;
  Result<runtime::Stats> ContainerStats(const std::string& id) override;

  // Test controls.
  void AddImage(const std::string& ref);
  /// Builds of tags containing `fragment` fail with `error`.
  void FailBuilds(const std::string& fragment, const std::string& error);
  /// Exec exits with `code` in containers whose name contains `fragment`.
  void SetExecExit(const std::string& fragment, int code);
  /// Containers (install steps included) whose command contains `fragment` exit at start
  /// with `code`.
  void ExitOnStart(const std::string& fragment, int code);
  /// Makes a running container exit now with `code`.
  void Crash(const std::string& name_fragment, int code);
  /// An object not made by Stackyard (no labels), which must never be touched.
  void AddForeignContainer(const std::string& name);
  /// Appends to the log stream of a container (by id or name), as the engine sends it
  /// (framed records "<time> <text>"; see Runtime::FollowLogs).
  void WriteLogs(const std::string& id, std::string_view stream);
  /// FollowLogs passes its stream on in pieces of at most this many bytes (64 KiB at first).
  void SetLogChunkBytes(size_t bytes);
  /// What ContainerStats answers for a container (by id; zeros unless set).
  void SetStats(const std::string& id, runtime::Stats stats);
  /// How many times FollowLogs was called.
  int follows() { std::lock_guard lock(mutex_); return follows_; }

  std::vector<Container> containers();
  std::vector<runtime::NetworkInfo> networks();
  int builds() { std::lock_guard lock(mutex_); return builds_; }
  int creates() { std::lock_guard lock(mutex_); return creates_; }
  bool removed_foreign() { std::lock_guard lock(mutex_); return removed_foreign_; }

 private:
  Container* Find(const std::string& id);
  bool Matches(const runtime::Labels& labels, const runtime::Labels& match) const;

  std::mutex mutex_;
  std::condition_variable logs_written_;
  std::map<std::string, std::string> logs_;  // container id -> its log stream
  size_t log_chunk_bytes_ = 64 * 1024;
  int follows_ = 0;
  std::map<std::string, runtime::ImageInfo> images_;
  std::map<std::string, std::string> failing_builds_;
  std::map<std::string, int> exec_exit_;
  std::map<std::string, int> exit_on_start_;
  std::map<std::string, int> exec_streams_;  // exec id -> exit code
  std::map<std::string, runtime::Stats> stats_;  // container id -> its figures
  std::vector<Container> containers_;
  std::vector<runtime::NetworkInfo> networks_;
  int next_id_ = 1;
  int next_exec_ = 1;
  int builds_ = 0;
  int creates_ = 0;
  bool removed_foreign_ = false;
};

}  // namespace yard::controller::testing
