#pragma once

// The container runtime as the controller sees it: images, networks, containers, logs, exec,
// stats, pause/resume. The single-host driver (docker_runtime.h) speaks the Docker-compatible
// REST API of Podman or Docker Engine; tests of pure logic use FakeRuntime. Nothing outside
// src/runtime knows which one is in use.
//
// Every object Stackyard creates carries the labels below. Listing always filters on
// kLabelManaged, and callers never remove an object they did not find through a labelled
// listing or create themselves: objects of other tools on the same engine are left alone.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace yard::runtime {

inline constexpr std::string_view kLabelManaged = "io.stackyard.managed";  // value "true"
/// The installation (its data dir's id): two servers on one engine never touch each other.
inline constexpr std::string_view kLabelInstallation = "io.stackyard.installation";
inline constexpr std::string_view kLabelProject = "io.stackyard.project";
inline constexpr std::string_view kLabelDeployment = "io.stackyard.deployment";
inline constexpr std::string_view kLabelComponent = "io.stackyard.component";
inline constexpr std::string_view kLabelGeneration = "io.stackyard.generation";
/// What an object is for: "service", "install", "build", "network", "catalog-image".
inline constexpr std::string_view kLabelRole = "io.stackyard.role";

using Labels = std::map<std::string, std::string>;

/// Called with each line of progress output (build steps, pull progress), without the newline.
using LineSink = std::function<void(std::string_view line)>;

/// Called with each piece of a followed log stream (FollowLogs), in order, on the caller's
/// thread. It may block: the engine is read no faster than it returns.
using LogChunkSink = std::function<void(std::string_view chunk)>;

struct EngineInfo {
  std::string name;     // "podman" or "docker"
  std::string version;  // the engine's own version
  std::string api_version;
};

// ---- Images -------------------------------------------------------------------------------

struct ImageInfo {
  std::string id;
  std::vector<std::string> tags;
  Labels labels;
  int64_t created_unix = 0;
  int64_t size_bytes = 0;
};

struct BuildSpec {
  std::string tag;          // e.g. "localhost/stackyard/shop/web:3f2a1c…"
  std::string context_tar;  // an uncompressed tar of the build context
  std::string dockerfile;   // path inside the context; empty: "Dockerfile"
  std::map<std::string, std::string> args;
  Labels labels;
  /// Limits for the build's containers (every RUN step); 0: none. The memory limit covers
  /// swap too: a step that needs more fails (exit status 137) instead of paging.
  double cpus = 0;
  int64_t memory_bytes = 0;
  /// Past it the build fails with kTimeout; as with a cancel, nothing of it keeps running.
  std::chrono::seconds timeout{1800};
  /// When set, another thread may store true to stop the build: BuildImage then fails with
  /// kCancelled within a few seconds, once the step in progress has been stopped.
  const std::atomic<bool>* cancel = nullptr;
};

/// A build that ran: `ok` false when the Dockerfile failed (the log says why). Engine and
/// transport failures are errors of the Result instead.
struct BuildOutcome {
  bool ok = false;
  std::string image_id;  // when ok
  std::string error;     // when !ok: the engine's one-line reason
  std::string log;       // the whole build output
};

// ---- Networks -----------------------------------------------------------------------------

struct NetworkSpec {
  std::string name;
  Labels labels;
  /// Isolated from every other network (Podman's isolate=true). Always true for deployments.
  bool isolate = true;
};

struct NetworkInfo {
  std::string id;
  std::string name;
  Labels labels;
  /// The host's address on the network (its first subnet's gateway); empty when the engine
  /// names none. Listed networks only.
  std::string gateway;
};

// ---- Containers ---------------------------------------------------------------------------

struct Mount {
  std::string source;  // absolute host path (volumes are directories under the data dir)
  std::string target;  // path in the container
  bool read_only = false;
};

struct PortPublish {
  int container_port = 0;
  std::string host_ip = "127.0.0.1";  // never 0.0.0.0: the edge is the only way in
  int host_port = 0;                  // 0: one below the ephemeral range (host_ports.h)
};

struct ContainerSpec {
  std::string name;
  std::string image;
  /// Empty: the image's own. Set: replaces the image's entrypoint.
  std::optional<std::vector<std::string>> entrypoint;
  /// Empty: the image's own CMD.
  std::vector<std::string> cmd;
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;  // empty: the image's
  std::string user;     // empty: the image's
  Labels labels;
  std::string network;               // network name; empty: none
  std::vector<std::string> aliases;  // DNS names on `network` (the service id)
  std::string hostname;
  /// "NAME:IP" lines added to the container's /etc/hosts.
  std::vector<std::string> extra_hosts;
  std::vector<Mount> mounts;
  std::vector<PortPublish> ports;
  double cpus = 0;           // 0: unlimited
  int64_t memory_bytes = 0;  // 0: unlimited
  /// Run a minimal init as PID 1 so signals reach the app and zombies are reaped.
  bool init = true;
};

enum class ContainerState { kCreated, kRunning, kPaused, kRestarting, kExited, kDead, kUnknown };
std::string_view ContainerStateName(ContainerState state);

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;     // as given at create
  std::string image_id;  // inspect only
  Labels labels;
  ContainerState state = ContainerState::kUnknown;
  int exit_code = 0;
  bool oom_killed = false;
  int64_t started_unix = 0;   // 0: never started
  int64_t finished_unix = 0;  // 0: not finished
  /// Container port -> host port on 127.0.0.1 (published ports only).
  std::map<int, int> published;
  std::string ip;  // on the container's network, inspect only
  /// The host pid of the container's first process while it runs; 0 otherwise. Inspect only.
  int64_t pid = 0;
  /// The file naming the container's network namespace (Podman with netavark:
  /// /run/netns/netns-…, Docker: /var/run/docker/netns/…); empty when the engine names none,
  /// for example for a container sharing the host's network. Inspect only.
  std::string netns_path;
};

struct LogOptions {
  int tail = 200;  // last N lines; -1: all
  int64_t since_unix = 0;
  bool timestamps = false;
};

struct ExecSpec {
  std::vector<std::string> cmd;
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;
  std::string user;
  std::chrono::seconds timeout{60};
};

struct ExecResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved, as the process wrote them
};

/// An interactive exec: the process's stdin, stdout and stderr on one connection.
struct ExecStreamSpec {
  std::vector<std::string> cmd;
  /// Added to the container's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;  // empty: the container's
  std::string user;     // empty: the container's
  /// A terminal: stdout and stderr merged into it, the size below applied before the process
  /// starts (where the engine can).
  bool tty = false;
  int rows = 24;
  int cols = 80;
};

struct ExecStream {
  std::string exec_id;
  /// Both directions of the process's standard streams, blocking and close-on-exec. Writes
  /// are its stdin; shutdown(SHUT_WR) is its end of input. Reads are its output, raw with a
  /// TTY and otherwise framed (docker::FrameDecoder); EOF once it closed its output.
  UniqueFd socket;
  bool multiplexed = false;
};

/// An exec as the engine sees it.
struct ExecInfo {
  bool running = false;
  /// Once it stopped; 128+N when a signal N ended it. -1 while running or when unknown.
  int exit_code = -1;
  /// The process's host pid while it runs (it leads its own session and process group); 0
  /// once it stopped.
  int64_t pid = 0;
};

struct Stats {
  double cpu_percent = 0;  // of one core, since the previous sample the engine keeps
  int64_t cpu_total_ns = 0;  // CPU time used since the container started (a counter)
  int64_t memory_bytes = 0;
  int64_t memory_limit_bytes = 0;
};

// ---- The interface ------------------------------------------------------------------------

/// Errors: kUnavailable when the engine cannot be reached, kTimeout, kNotFound for a missing
/// object where the method says so, kAlreadyExists for a name already in use, kInternal for an
/// engine answer that makes no sense. (There is no kConflict: a name in use is
/// kAlreadyExists, an object in use kFailedPrecondition.) Methods are thread-safe.
class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual Result<EngineInfo> Ping() = 0;

  // Images.
  virtual Result<std::optional<ImageInfo>> InspectImage(const std::string& ref) = 0;
  /// kUnavailable when the registry cannot be reached (the normal case here: offline).
  virtual Status PullImage(const std::string& ref, const LineSink& progress) = 0;
  virtual Result<BuildOutcome> BuildImage(const BuildSpec& spec, const LineSink& progress) = 0;
  virtual Result<std::vector<ImageInfo>> ListImages(const Labels& match) = 0;
  /// Removes an image by id or tag; kNotFound when it is gone; kFailedPrecondition when in use.
  virtual Status RemoveImage(const std::string& ref) = 0;

  // Networks.
  virtual Result<NetworkInfo> CreateNetwork(const NetworkSpec& spec) = 0;
  virtual Result<std::vector<NetworkInfo>> ListNetworks(const Labels& match) = 0;
  /// kNotFound when it is gone.
  virtual Status RemoveNetwork(const std::string& name_or_id) = 0;

  // Containers.
  /// Returns the id. kAlreadyExists when the name is taken.
  virtual Result<std::string> CreateContainer(const ContainerSpec& spec) = 0;
  /// Already running is success.
  virtual Status StartContainer(const std::string& id) = 0;
  /// SIGTERM, then SIGKILL after `grace`. Already stopped is success.
  virtual Status StopContainer(const std::string& id, std::chrono::seconds grace) = 0;
  /// Removes even a running container (force) with its anonymous volumes; kNotFound when gone.
  virtual Status RemoveContainer(const std::string& id) = 0;
  virtual Status PauseContainer(const std::string& id) = 0;
  virtual Status UnpauseContainer(const std::string& id) = 0;
  /// nullopt when no such container.
  virtual Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) = 0;
  /// Containers whose labels include every pair of `match`, running or not. Fields marked
  /// "inspect only" are empty.
  virtual Result<std::vector<ContainerInfo>> ListContainers(const Labels& match) = 0;
  /// stdout and stderr interleaved.
  virtual Result<std::string> Logs(const std::string& id, const LogOptions& options) = 0;
  /// Follows a container's output as the engine's log stream: records of one stream each,
  /// "<RFC 3339 time> <text>", in 8-byte-header frames by stream (docker::FrameDecoder), or
  /// unframed for a container with a TTY. A record without a final newline is a piece of a
  /// longer line, continued by the next record of its stream. Records from `since_ns` on
  /// (Unix ns, inclusive; 0: all); some earlier ones may come too, as engines filter less
  /// finely, so a caller that must not see a line twice skips by time. Returns Ok once the
  /// container is not running (exited, or never started) and everything it wrote has been
  /// passed to `sink`; kCancelled when `cancel` turns true (seen within ~100 ms);
  /// kNotFound when there is no such container.
  virtual Status FollowLogs(const std::string& id, int64_t since_ns, const LogChunkSink& sink,
                            const std::atomic<bool>* cancel) = 0;
  /// Runs a command in a running container and waits for it (up to spec.timeout).
  virtual Result<ExecResult> Exec(const std::string& id, const ExecSpec& spec) = 0;
  /// Starts a command in a running container with its standard streams attached to the
  /// returned connection, and returns once it runs. kNotFound when the container is gone,
  /// kFailedPrecondition when it is not running. The process outlives the connection: closing
  /// it does not end the process.
  virtual Result<ExecStream> StartExecStream(const std::string& id, const ExecStreamSpec& spec) = 0;
  /// Sets the terminal size of a TTY exec. kNotFound for an unknown exec, kFailedPrecondition
  /// when it is not running.
  virtual Status ResizeExec(const std::string& exec_id, int rows, int cols) = 0;
  /// kNotFound when the engine does not know the exec (it forgets them a while after they end).
  virtual Result<ExecInfo> InspectExec(const std::string& exec_id) = 0;
  virtual Result<Stats> ContainerStats(const std::string& id) = 0;
};

}  // namespace yard::runtime
