// logs_capture_bench [SECONDS [LINES_PER_SECOND]]: a container writes numbered lines for
// SECONDS (10) as fast as it can (or at LINES_PER_SECOND), and the capture stores them. Prints
// the lines written, how many the capture stored while the container wrote and after, that
// every line was stored once, and the process's peak memory. Runs its own podman service in
// a temp dir (as root, like the integration tests) and removes what it made.

#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "http/client.h"
#include "logs/capture.h"
#include "logs/store.h"
#include "runtime/docker_runtime.h"
#include "runtime/engine_process.h"
#include "runtime/podman_log_file.h"
#include "testing/temp_dir.h"

namespace yard::logs {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kBaseImage = "docker.io/library/debian:bookworm-slim";

double Seconds(SteadyClock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

// What the writer wrote, from the end of conmon's log file: the number of its last whole
// line, and the start of a line it was ended in the middle of.
struct Written {
  int64_t whole = 0;
  std::string cut;
};

Result<Written> WrittenLines(const http::Endpoint& engine, const std::string& id) {
  http::ClientRequest request;
  request.target = "/v4.0.0/libpod/containers/" + id + "/json";
  auto inspected = TRY(http::Client(engine).Send(request, 30s));
  runtime::PodmanLogFile file = TRY(runtime::ParsePodmanLogFile(inspected.body));
  std::ifstream in(file.path, std::ios::binary);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - 65536));
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Records "<time> stdout <F|P> <text>": the text of the last F, and the P pieces after it.
  Written written;
  std::string line, open;
  std::istringstream records(tail.substr(tail.find('\n') + 1));
  while (std::getline(records, line)) {
    size_t tags = line.find(" stdout ");
    if (tags == std::string::npos) continue;
    std::string text = line.substr(std::min(line.size(), tags + 10));
    if (line[tags + 8] == 'F') {
      written.whole = std::atoll((open + text).c_str());
      open.clear();
    } else {
      open += text;
    }
  }
  written.cut = open;
  return written;
}

long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int Run(int seconds, int rate) {
  testing::TempDir engine_dir;
  testing::TempDir store_dir;
  runtime::EngineProcess engine(runtime::EngineOptions{.data_dir = engine_dir.path()});
  if (Status started = engine.Start(); !started) {
    std::fprintf(stderr, "cannot start podman: %s\n", started.error().message.c_str());
    return 1;
  }
  std::mt19937 random(std::random_device{}());
  std::string installation = fmt::format("bench-{:08x}", static_cast<uint32_t>(random()));
  runtime::DockerRuntime runtime(engine.endpoint(), installation);
  // Everything made here goes, whatever happens.
  struct Cleanup {
    runtime::DockerRuntime& runtime;
    runtime::EngineProcess& engine;
    ~Cleanup() {
      if (auto containers = runtime.ListContainers({})) {
        for (const auto& container : *containers) (void)runtime.RemoveContainer(container.id);
      }
      engine.Stop();
    }
  } cleanup{runtime, engine};

  // seq as fast as it can; perl at a rate (pacing every 5 ms).
  std::string script = rate > 0 ? fmt::format(
                                      "exec perl -MTime::HiRes=time,sleep -e '$t0 = time; $n = 0; "
                                      "while ((my $e = time - $t0) < {}) {{ $w = int($e * {}); "
                                      "print ++$n, \"\\n\" while $n < $w; sleep 0.005 }}'",
                                      seconds, rate)
                                : fmt::format("exec timeout {} seq 1 inf", seconds);
  runtime::ContainerSpec spec{
      .name = installation + "-flood",
      .image = kBaseImage,
      .entrypoint = std::vector<std::string>{"sh", "-c"},
      .cmd = {script},
      .labels = {{std::string(runtime::kLabelDeployment), "1"},
                 {std::string(runtime::kLabelComponent), "flood"},
                 {std::string(runtime::kLabelGeneration), "1"},
                 {std::string(runtime::kLabelRole), "service"}},
  };
  auto id = runtime.CreateContainer(spec);
  if (!id) {
    std::fprintf(stderr, "cannot create the container: %s\n", id.error().message.c_str());
    return 1;
  }

  // Nothing pruned: every line is checked afterwards.
  Store store(StoreOptions{.dir = store_dir.path(), .service_bytes = size_t{1} << 40});
  Capture capture(runtime, store, CaptureOptions{.scan_interval = 100ms});
  capture.Start();
  const auto start = SteadyClock::now();
  if (Status started = runtime.StartContainer(*id); !started) {
    std::fprintf(stderr, "cannot start the container: %s\n", started.error().message.c_str());
    return 1;
  }
  // While it writes.
  while (true) {
    auto info = runtime.InspectContainer(*id);
    if (!info || !*info || (*info)->state != runtime::ContainerState::kRunning) break;
    std::this_thread::sleep_for(50ms);
  }
  const auto wrote = SteadyClock::now();
  const int64_t during = capture.stats().lines;
  Status drained = capture.Drain(*id, 30min);
  const auto end = SteadyClock::now();
  if (!drained) {
    std::fprintf(stderr, "drain: %s\n", drained.error().message.c_str());
    return 1;
  }
  const int64_t captured = capture.stats().lines;
  capture.Stop();

  auto written_lines = WrittenLines(engine.endpoint(), *id);
  if (!written_lines) {
    std::fprintf(stderr, "conmon's log: %s\n", written_lines.error().message.c_str());
    return 1;
  }
  const int64_t written = written_lines->whole + (written_lines->cut.empty() ? 0 : 1);
  // Every line once and in order: "1".."N", and the one cut short.
  int64_t next = 1, wrong = 0;
  Cursor cursor;
  while (true) {
    auto read = store.ReadAfter(1, Query{.services = {"flood"}}, cursor, 0ms, 100'000);
    if (!read) {
      std::fprintf(stderr, "read: %s\n", read.error().message.c_str());
      return 1;
    }
    if (read->lines.empty()) break;
    for (const StoredLine& line : read->lines) {
      std::string expected =
          next > written_lines->whole ? written_lines->cut : std::to_string(next);
      if (line.line.text != expected && wrong++ < 5) {
        std::fprintf(stderr, "line %lld is '%s'\n", static_cast<long long>(next),
                     line.line.text.c_str());
      }
      ++next;
    }
    cursor = read->cursor;
  }

  const double write_seconds = Seconds(wrote - start);
  std::printf("writer: %s for %d s\n",
              rate > 0 ? fmt::format("{} lines/s", rate).c_str() : "as fast as it can", seconds);
  std::printf("captured: %lld lines of %lld written, %s\n", static_cast<long long>(captured),
              static_cast<long long>(written),
              wrong == 0 && captured == written && next - 1 == written
                  ? "each once and in order"
                  : fmt::format("{} out of place", wrong).c_str());
  std::printf("  while the container wrote (%.1f s): %lld lines, %.0f lines/s\n", write_seconds,
              static_cast<long long>(during), static_cast<double>(during) / write_seconds);
  std::printf("  the rest drained in %.1f s after it ended; overall %.0f lines/s\n",
              Seconds(end - wrote), static_cast<double>(captured) / Seconds(end - start));
  std::printf("peak RSS: %.1f MiB\n", static_cast<double>(PeakRssKib()) / 1024.0);
  return wrong == 0 && captured == written && next - 1 == written ? 0 : 1;
}

}  // namespace
}  // namespace yard::logs

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  int rate = argc > 2 ? std::atoi(argv[2]) : 0;
  if (seconds <= 0 || rate < 0) {
    std::fprintf(stderr, "usage: logs_capture_bench [SECONDS [LINES_PER_SECOND]]\n");
    return 2;
  }
  return yard::logs::Run(seconds, rate);
}
