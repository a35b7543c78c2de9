// DockerRuntime's streaming calls: build, pull, logs, exec and stats (docker_runtime.h).

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "base/log.h"
#include "runtime/build_cgroup.h"
#include "runtime/docker_runtime.h"
#include "runtime/docker_stream.h"
#include "runtime/podman_log_file.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kCallTimeout = seconds(30);
constexpr milliseconds kLogsTimeout = seconds(60);
// A pull may run for many minutes while layers download, but never silently for long: Podman
// reports progress as it goes, and fails within seconds when no registry answers.
constexpr milliseconds kPullTimeout = std::chrono::hours(1);
constexpr milliseconds kPullIdleTimeout = seconds(90);
// Kept of an unsuccessful streamed answer, for its error message.
constexpr size_t kErrorBodyBytes = 64 * 1024;
// Between the end of an exec's output and the engine recording its exit code.
constexpr milliseconds kExecSettlePoll{50};
constexpr milliseconds kExecSettleLimit = seconds(5);
// Podman reports one CPU sample per stats answer; a first call takes a second one this much
// later to have an interval.
constexpr milliseconds kStatsInterval{500};
constexpr auto kStatsKeep = std::chrono::minutes(10);
// Stopping an abandoned build (build_cgroup.h): its cgroup must stay empty this long, in case
// a step was just starting, and the whole stop is given up after the limit.
constexpr milliseconds kBuildStopQuiet = seconds(2);
constexpr milliseconds kBuildStopLimit = seconds(30);
// A process killed by SIGKILL, as buildah reports a RUN step the kernel's OOM killer ended.
constexpr std::string_view kKilledStatus = "exit status 137";

std::string Api(std::string_view path) {
  return std::string(docker::kApiPrefix) + std::string(path);
}

// A streamed exchange: `on_chunk` sees the body as it arrives; the start of the body is kept
// for the error message of an unsuccessful status.
struct Streamed {
  int status = 0;
  std::string head;
};

Result<Streamed> Stream(const http::Endpoint& endpoint, http::ClientRequest request,
                        milliseconds timeout, milliseconds idle_timeout,
                        const std::function<void(std::string_view)>& on_chunk,
                        std::string_view what) {
  Streamed streamed;
  http::Client client(endpoint);
  auto response =
      TRY_CTX(client.SendStreaming(
                  request, timeout,
                  [&](std::string_view chunk) {
                    if (streamed.head.size() < kErrorBodyBytes) {
                      streamed.head.append(chunk.substr(0, kErrorBodyBytes - streamed.head.size()));
                    }
                    on_chunk(chunk);
                  },
                  idle_timeout),
              what);
  streamed.status = response.status;
  return streamed;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

// "docker.io/library/debian" -> also names the tag, or Docker pulls every tag of the repository.
std::string WithTag(const std::string& ref) {
  size_t slash = ref.rfind('/');
  std::string_view last = std::string_view(ref).substr(slash == std::string::npos ? 0 : slash + 1);
  if (last.find(':') != std::string_view::npos || ref.find('@') != std::string::npos) return ref;
  return ref + ":latest";
}

ErrorCode PullErrorCode(const std::string& message) {
  for (std::string_view needle : {"manifest unknown", "name unknown", "not found", "does not exist",
                                  "repository name must", "invalid reference"}) {
    if (message.find(needle) != std::string::npos) return ErrorCode::kNotFound;
  }
  return ErrorCode::kUnavailable;
}

// Whether builds on the engine at `endpoint` can be given a cgroup of their own through
// which Stackyard stops them (build_cgroup.h): Podman on this host (a unix socket) with the
// cgroupfs manager (a systemd-managed engine wants another form of cgroup path), and this
// process root, to signal the build's processes. Asked once per engine (GET /info takes
// most of a second on Podman); not remembered when the engine cannot say.
bool UsesBuildCgroups(const http::Endpoint& endpoint) {
  static std::mutex mutex;
  static std::map<std::string, bool> known;  // by endpoint; guarded by mutex
  if (endpoint.kind != http::Endpoint::Kind::kUnix || ::geteuid() != 0) return false;
  std::string key = endpoint.ToString();
  {
    std::lock_guard lock(mutex);
    if (auto it = known.find(key); it != known.end()) return it->second;
  }
  http::ClientRequest request;
  request.target = Api("/info");
  auto response = http::Client(endpoint).Send(request, kCallTimeout);
  if (!response || response->status != 200) return false;
  auto info = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object()) return false;
  bool uses = info.value("CgroupDriver", "") == "cgroupfs";
  std::lock_guard lock(mutex);
  known[key] = uses;
  return uses;
}

// Makes sure nothing of an abandoned build keeps running on the engine. Best effort: the
// build fails either way, and at worst its current step runs to its end.
void StopBuild(const std::string& cgroup, std::string_view what) {
  if (cgroup.empty()) return;
  auto killed = KillCgroup(cgroup, kBuildStopQuiet, kBuildStopLimit);
  if (!killed) {
    log::Warn("{}: could not stop the build's processes: {}", what, killed.error().message);
  } else if (*killed > 0) {
    log::Info("{}: stopped {} build processes", what, *killed);
  }
}

std::string Mebibytes(int64_t bytes) {
  return bytes % (1 << 20) == 0 ? fmt::format("{} MiB", bytes >> 20)
                                : fmt::format("{} bytes", bytes);
}

}  // namespace

// ---- Build and pull -----------------------------------------------------------------------

Result<BuildOutcome> DockerRuntime::BuildImage(const BuildSpec& spec, const LineSink& progress) {
  std::string what = fmt::format("build image {}", spec.tag);
  if (spec.tag.empty()) return Unexpected(ErrorCode::kInvalidArgument, what + ": no tag");
  if (spec.context_tar.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument, what + ": empty build context");
  }
  auto cancelled = [&] { return Unexpected(ErrorCode::kCancelled, what + ": cancelled"); };
  if (spec.cancel != nullptr && spec.cancel->load()) return cancelled();
  BuildSpec managed;
  managed.tag = spec.tag;
  managed.dockerfile = spec.dockerfile;
  managed.args = spec.args;
  managed.labels = ManagedLabels(spec.labels);
  managed.cpus = spec.cpus;
  managed.memory_bytes = spec.memory_bytes;

  http::ClientRequest request;
  request.method = "POST";
  bool podman = TRY(IsPodman());
  // Podman goes on with the step in progress when the connection closes; Docker stops the
  // build by itself.
  std::string cgroup =
      podman && UsesBuildCgroups(endpoint_) ? NewBuildCgroupName(installation_id_) : std::string();
  request.target =
      Api("/build?" + docker::BuildQuery(
                          managed,
                          podman ? docker::BuildLabels::kSortedList : docker::BuildLabels::kObject,
                          cgroup.empty() ? std::string() : "/" + cgroup));
  request.content_type = "application/x-tar";
  request.body = spec.context_tar;
  request.cancel = spec.cancel;

  BuildOutcome outcome;
  docker::ProgressDecoder decoder;
  std::vector<docker::ProgressDecoder::Event> events;
  auto handle = [&] {
    for (auto& event : events) {
      switch (event.kind) {
        case docker::ProgressDecoder::Event::Kind::kLine:
          outcome.log += event.text + "\n";
          if (progress) progress(event.text);
          break;
        case docker::ProgressDecoder::Event::Kind::kError:
          if (outcome.error.empty()) outcome.error = event.text;
          outcome.log += event.text + "\n";
          if (progress) progress(event.text);
          break;
        case docker::ProgressDecoder::Event::Kind::kImageId:
          outcome.image_id = event.text;
          break;
      }
    }
    events.clear();
  };
  auto streamed = Stream(
      endpoint_, std::move(request), std::chrono::duration_cast<milliseconds>(spec.timeout),
      milliseconds::max(),
      [&](std::string_view chunk) {
        decoder.Feed(chunk, events);
        handle();
      },
      what);
  if (!streamed) {
    // A cancel, the timeout or a broken connection: the engine may still be building.
    StopBuild(cgroup, what);
    if (streamed.error().code == ErrorCode::kCancelled ||
        (spec.cancel != nullptr && spec.cancel->load())) {
      return cancelled();
    }
    if (streamed.error().code == ErrorCode::kTimeout) {
      return Unexpected(ErrorCode::kTimeout,
                        fmt::format("{}: did not finish within {} s", what, spec.timeout.count()));
    }
    return Unexpected(streamed.error());
  }
  if (streamed->status != 200) {
    return Unexpected(docker::EngineError(streamed->status, streamed->head, what));
  }
  decoder.Finish(events);
  handle();
  if (!outcome.error.empty()) {
    if (spec.memory_bytes > 0 && outcome.error.find(kKilledStatus) != std::string::npos) {
      // The engine reports only the status; say what most likely sent the signal.
      std::string hint = fmt::format(
          "the step was killed, most likely for going over the build's memory limit of {}",
          Mebibytes(spec.memory_bytes));
      outcome.log += hint + "\n";
      if (progress) progress(hint);
      outcome.error += " (" + hint + ")";
    }
    outcome.ok = false;
    outcome.image_id.clear();
    return outcome;
  }
  if (outcome.image_id.empty()) {
    // Docker's classic builder reports the id only as "Successfully built ID"; ask for it.
    auto image = TRY(InspectImage(spec.tag));
    if (!image) {
      return Unexpected(ErrorCode::kInternal,
                        what + ": the engine reported success but the image does not exist");
    }
    outcome.image_id = image->id;
  }
  outcome.ok = true;
  return outcome;
}

Status DockerRuntime::PullImage(const std::string& ref, const LineSink& progress) {
  std::string what = fmt::format("pull image {}", ref);
  if (ref.empty()) return Unexpected(ErrorCode::kInvalidArgument, "pull image: no reference");
  http::ClientRequest request;
  request.method = "POST";
  request.target = Api("/images/create?fromImage=" + http::PercentEncode(WithTag(ref)));

  std::string error;
  docker::ProgressDecoder decoder;
  std::vector<docker::ProgressDecoder::Event> events;
  auto handle = [&] {
    for (auto& event : events) {
      if (event.kind == docker::ProgressDecoder::Event::Kind::kError) {
        if (error.empty()) error = event.text;
      } else if (event.kind == docker::ProgressDecoder::Event::Kind::kLine && progress) {
        progress(event.text);
      }
    }
    events.clear();
  };
  auto streamed = Stream(
      endpoint_, std::move(request), kPullTimeout, kPullIdleTimeout,
      [&](std::string_view chunk) {
        decoder.Feed(chunk, events);
        handle();
      },
      what);
  if (!streamed) {
    if (streamed.error().code != ErrorCode::kTimeout) return Unexpected(streamed.error());
    return Unexpected(ErrorCode::kUnavailable,
                      fmt::format("{}: no progress for {} s; is the registry reachable?", what,
                                  std::chrono::duration_cast<seconds>(kPullIdleTimeout).count()));
  }
  if (streamed->status != 200) {
    Error engine_error = docker::EngineError(streamed->status, streamed->head, what);
    if (engine_error.code == ErrorCode::kInternal) {
      engine_error.code = PullErrorCode(engine_error.message);
    }
    return Unexpected(std::move(engine_error));
  }
  decoder.Finish(events);
  handle();
  if (!error.empty()) return Unexpected(PullErrorCode(error), fmt::format("{}: {}", what, error));
  return Ok();
}

// ---- Logs and exec ------------------------------------------------------------------------

Result<std::string> DockerRuntime::Logs(const std::string& id, const LogOptions& options) {
  std::string what = fmt::format("read the logs of container {}", id);
  std::string target = Api(fmt::format(
      "/containers/{}/logs?stdout=1&stderr=1&tail={}&timestamps={}", docker::EscapeRef(id),
      options.tail < 0 ? "all" : std::to_string(options.tail), options.timestamps ? 1 : 0));
  if (options.since_unix > 0) target += fmt::format("&since={}", options.since_unix);
  http::ClientRequest request;
  request.method = "GET";
  request.target = std::move(target);
  docker::Demuxer demuxer;
  auto streamed = TRY(Stream(
      endpoint_, std::move(request), kLogsTimeout, milliseconds::max(),
      [&](std::string_view chunk) { demuxer.Feed(chunk); }, what));
  if (streamed.status != 200) {
    return Unexpected(docker::EngineError(streamed.status, streamed.head, what));
  }
  demuxer.Finish();
  return demuxer.TakeOutput();
}

Status DockerRuntime::FollowLogs(const std::string& id, int64_t since_ns,
                                 const LogChunkSink& sink, const std::atomic<bool>* cancel) {
  std::string what = fmt::format("follow the logs of container {}", id);
  bool podman = TRY(IsPodman());
  if (podman && endpoint_.kind == http::Endpoint::Kind::kUnix) {
    // Podman's own follow loses lines (docker_runtime.h): a local one's log file is read.
    auto inspected = TRY(Call(
        "GET", std::string(docker::kLibpodPrefix) + "/containers/" + docker::EscapeRef(id) + "/json",
        "", kCallTimeout, what));
    if (inspected.status == 404) {
      return Unexpected(ErrorCode::kNotFound, what + ": no such container");
    }
    if (inspected.status != 200) {
      return Unexpected(docker::EngineError(inspected.status, inspected.body, what));
    }
    PodmanLogFile file = TRY_CTX(ParsePodmanLogFile(inspected.body), what);
    // Not readable here: an engine of another user, or in a container of its own.
    std::string dir = file.path.substr(0, file.path.rfind('/') + 1);
    if (file.driver == "k8s-file" && !file.path.empty() &&
        (::access(file.path.c_str(), R_OK) == 0 ||
         (errno == ENOENT && !dir.empty() && ::access(dir.c_str(), R_OK | X_OK) == 0))) {
      return FollowLogFile(file, since_ns, sink, cancel);
    }
  }
  // A container that does not run is read without following, which Podman does completely.
  auto info = TRY(InspectContainer(id));
  if (!info) return Unexpected(ErrorCode::kNotFound, what + ": no such container");
  bool follow = info->state == ContainerState::kRunning ||
                info->state == ContainerState::kPaused ||
                info->state == ContainerState::kRestarting;
  std::string target = Api(fmt::format("/containers/{}/logs?stdout=1&stderr=1&timestamps=1&follow={}",
                                       docker::EscapeRef(id), follow ? 1 : 0));
  if (since_ns > 0) {
    // Podman takes lines after `since`, Docker from it: one nanosecond earlier includes
    // since_ns with both.
    int64_t since = since_ns - 1;
    target += fmt::format("&since={}.{:09}", since / 1'000'000'000, since % 1'000'000'000);
  }
  http::ClientRequest request;
  request.method = "GET";
  request.target = std::move(target);
  request.cancel = cancel;
  auto streamed = Stream(endpoint_, std::move(request), milliseconds::max(), milliseconds::max(),
                         sink, what);
  if (!streamed) {
    if (streamed.error().code == ErrorCode::kCancelled) {
      return Unexpected(ErrorCode::kCancelled, what + ": cancelled");
    }
    return Unexpected(streamed.error());
  }
  if (streamed->status == 404) {
    return Unexpected(ErrorCode::kNotFound, what + ": no such container");
  }
  if (streamed->status != 200) {
    return Unexpected(docker::EngineError(streamed->status, streamed->head, what));
  }
  return Ok();
}

Result<ExecResult> DockerRuntime::Exec(const std::string& id, const ExecSpec& spec) {
  std::string what = fmt::format("run '{}' in container {}", Join(spec.cmd), id);
  if (spec.cmd.empty()) return Unexpected(ErrorCode::kInvalidArgument, what + ": no command");
  const auto deadline = SteadyClock::now() + spec.timeout;
  auto left = [&] {
    return std::max(milliseconds(1),
                    std::chrono::ceil<milliseconds>(deadline - SteadyClock::now()));
  };
  auto timed_out = [&] {
    return Unexpected(ErrorCode::kTimeout,
                      fmt::format("{}: did not finish within {} s (it may still be running)", what,
                                  spec.timeout.count()));
  };

  auto created = TRY(Call("POST", Api("/containers/" + docker::EscapeRef(id) + "/exec"),
                          docker::ExecCreateBody(spec), std::min(left(), kCallTimeout), what));
  if (!(created.status >= 200 && created.status < 300)) {
    return Unexpected(docker::EngineError(created.status, created.body, what));
  }
  std::string exec_id = TRY(docker::ParseId(created.body));

  http::ClientRequest start;
  start.method = "POST";
  start.target = Api("/exec/" + docker::EscapeRef(exec_id) + "/start");
  start.body = R"({"Detach":false,"Tty":false})";
  docker::Demuxer demuxer;
  auto streamed = Stream(
      endpoint_, std::move(start), left(), milliseconds::max(),
      [&](std::string_view chunk) { demuxer.Feed(chunk); }, what);
  if (!streamed) {
    if (streamed.error().code == ErrorCode::kTimeout) return timed_out();
    return Unexpected(streamed.error());
  }
  if (streamed->status != 200) {
    return Unexpected(docker::EngineError(streamed->status, streamed->head, what));
  }
  demuxer.Finish();

  // The output ends when the process does, but the engine may record the exit code a moment
  // later.
  const auto settle_until = SteadyClock::now() + kExecSettleLimit;
  while (true) {
    auto inspected = TRY(Call("GET", Api("/exec/" + docker::EscapeRef(exec_id) + "/json"), "",
                              std::min(left(), kCallTimeout), what));
    if (inspected.status != 200) {
      return Unexpected(docker::EngineError(inspected.status, inspected.body, what));
    }
    docker::ExecState state = TRY(docker::ParseExecState(inspected.body));
    if (!state.running) {
      ExecResult result;
      result.exit_code = state.exit_code;
      result.output = demuxer.TakeOutput();
      return result;
    }
    auto now = SteadyClock::now();
    if (now >= deadline) return timed_out();
    if (now >= settle_until) {
      return Unexpected(ErrorCode::kInternal,
                        what + ": the output ended but the engine still reports it running");
    }
    std::this_thread::sleep_for(kExecSettlePoll);
  }
}

// ---- Stats --------------------------------------------------------------------------------

Result<docker::StatsSample> DockerRuntime::StatsSample(const std::string& id) {
  std::string what = fmt::format("read the resource usage of container {}", id);
  auto response =
      TRY(Call("GET", Api("/containers/" + docker::EscapeRef(id) + "/stats?stream=false"), "",
               kCallTimeout, what));
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  // Podman answers an empty 200 for a container that is not running.
  if (response.body.find_first_not_of(" \r\n") == std::string::npos) {
    return Unexpected(ErrorCode::kFailedPrecondition, what + ": the container is not running");
  }
  return docker::ParseStats(response.body);
}

Result<Stats> DockerRuntime::ContainerStats(const std::string& id) {
  docker::StatsSample sample = TRY(StatsSample(id));
  std::optional<docker::StatsSample> before;
  if (sample.pre_read_ns > 0 && sample.pre_cpu_total_ns > 0) {
    // Docker: the answer holds the previous sample too.
    before =
        docker::StatsSample{.read_ns = sample.pre_read_ns, .cpu_total_ns = sample.pre_cpu_total_ns};
  } else {
    std::lock_guard lock(mutex_);
    auto it = last_stats_.find(id);
    if (it != last_stats_.end() && it->second.read_ns < sample.read_ns) before = it->second;
  }
  if (!before) {
    before = sample;
    std::this_thread::sleep_for(kStatsInterval);
    sample = TRY(StatsSample(id));
  }
  {
    std::lock_guard lock(mutex_);
    const int64_t keep_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(kStatsKeep).count();
    std::erase_if(last_stats_, [&](const auto& entry) {
      return entry.second.read_ns < sample.read_ns - keep_ns;
    });
    last_stats_[id] = sample;
  }
  Stats stats;
  stats.cpu_percent = docker::CpuPercent(before->cpu_total_ns, before->read_ns, sample.cpu_total_ns,
                                         sample.read_ns);
  stats.cpu_total_ns = sample.cpu_total_ns;
  stats.memory_bytes = sample.memory_bytes;
  stats.memory_limit_bytes = sample.memory_limit_bytes;
  return stats;
}

}  // namespace yard::runtime
