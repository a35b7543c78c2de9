// DockerRuntime's interactive execs (docker_runtime.h): a hijacked exec stream, its terminal
// size and its state.
//
// What Podman 4.3.1 does here, found by hand over its socket:
// - POST /exec/{id}/start with "Connection: Upgrade" and "Upgrade: tcp" answers
//   "101 UPGRADED" (Content-Type application/vnd.docker.raw-stream), and without them
//   "200 OK" followed by the same duplex stream; http::Client::Upgrade takes either.
// - shutdown(SHUT_WR) on the stream ends the process's stdin and its output still arrives in
//   full: `cat; echo done >&2; exit 3` gave a stdout frame "hello\n", a stderr frame "done\n",
//   EOF, then Running false and ExitCode 3 from GET /exec/{id}/json.
// - Closing the stream does not end the process. While it runs, "Pid" is its host pid; the
//   process leads its own session and process group (with and without a TTY), conmon is its
//   parent, and /proc/PID/cgroup names the container's id. A process ended by signal N
//   reports ExitCode 128+N. Once it stopped, "Pid" is 0; the engine keeps the exec for five
//   minutes (conmon's --exit-delay 300).
// - Twenty clients each running five such execs at once against one container all got
//   their output and exit codes, with no errors in the service's log: no cap is needed.

#include <fmt/core.h>

#include "http/client.h"
#include "runtime/docker_runtime.h"

namespace yard::runtime {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kCallTimeout = std::chrono::seconds(30);
// Resize and inspect run on an SSH connection's thread while its user waits.
constexpr milliseconds kQuickCallTimeout = std::chrono::seconds(5);

std::string Api(std::string_view path) {
  return std::string(docker::kApiPrefix) + std::string(path);
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

}  // namespace

Result<ExecStream> DockerRuntime::StartExecStream(const std::string& id,
                                                  const ExecStreamSpec& spec) {
  std::string what = fmt::format("start '{}' in container {}", Join(spec.cmd), id);
  if (spec.cmd.empty()) return Unexpected(ErrorCode::kInvalidArgument, what + ": no command");
  if (spec.tty && (spec.rows <= 0 || spec.cols <= 0)) {
    return Unexpected(ErrorCode::kInvalidArgument, what + ": bad terminal size");
  }
  auto created = TRY(Call("POST", Api("/containers/" + docker::EscapeRef(id) + "/exec"),
                          docker::ExecStreamCreateBody(spec), kCallTimeout, what));
  if (!(created.status >= 200 && created.status < 300)) {
    return Unexpected(docker::EngineError(created.status, created.body, what));
  }
  ExecStream stream;
  stream.exec_id = TRY(docker::ParseId(created.body));
  stream.multiplexed = !spec.tty;

  http::ClientRequest start;
  start.method = "POST";
  start.target = Api("/exec/" + docker::EscapeRef(stream.exec_id) + "/start");
  start.body = docker::ExecStreamStartBody(spec);
  http::Client client(endpoint_);
  auto upgraded = TRY_CTX(client.Upgrade(start, kCallTimeout), what);
  if (!upgraded.socket) {
    return Unexpected(docker::EngineError(upgraded.status, upgraded.body, what));
  }
  stream.socket = std::move(upgraded.socket);
  if (spec.tty) {
    // Podman took the size with the start. Docker before API 1.42 ignores it there; the
    // process may already have read a size of 0x0, but a shell gets SIGWINCH and catches up.
    // A process that already ended makes this fail, harmlessly.
    auto podman = IsPodman();
    if (!podman || !*podman) (void)ResizeExec(stream.exec_id, spec.rows, spec.cols);
  }
  return stream;
}

Status DockerRuntime::ResizeExec(const std::string& exec_id, int rows, int cols) {
  std::string what = fmt::format("resize the terminal of exec {}", exec_id);
  if (rows <= 0 || cols <= 0 || rows > 0xffff || cols > 0xffff) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{}: bad size {}x{}", what, rows, cols));
  }
  auto response = TRY(Call(
      "POST", Api(fmt::format("/exec/{}/resize?h={}&w={}", docker::EscapeRef(exec_id), rows, cols)),
      "", kQuickCallTimeout, what));
  // Podman answers 201, Docker 200.
  if (!(response.status >= 200 && response.status < 300)) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  return Ok();
}

Result<ExecInfo> DockerRuntime::InspectExec(const std::string& exec_id) {
  std::string what = fmt::format("inspect exec {}", exec_id);
  auto response = TRY(Call("GET", Api("/exec/" + docker::EscapeRef(exec_id) + "/json"), "",
                           kQuickCallTimeout, what));
  if (response.status != 200) {
    return Unexpected(docker::EngineError(response.status, response.body, what));
  }
  docker::ExecState state = TRY_CTX(docker::ParseExecState(response.body), what);
  ExecInfo info;
  info.running = state.running;
  // Podman reports ExitCode 0 while the process runs.
  info.exit_code = state.running ? -1 : state.exit_code;
  info.pid = state.running ? state.pid : 0;
  return info;
}

}  // namespace yard::runtime
