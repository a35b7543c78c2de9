#include "testing/yard_server.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "edge/caddy_process.h"
#include "runtime/engine_process.h"

namespace yard::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kPollInterval{20};
constexpr milliseconds kClientTimeout{30000};

std::string& BinaryPath() {
  static std::string path;
  return path;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// What server.json says once it is complete and written by `pid`; nullopt before that.
struct ServerInfo {
  std::string api;
  uint16_t port = 0;
  int ssh_port = 0;  // 0: the gateway is off
};

std::optional<ServerInfo> ReadServerInfo(const std::string& path, pid_t pid) {
  auto text = fs::ReadFile(path);
  if (!text) return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  // A file left by an earlier server on the same data dir is not ours.
  if (!json.contains("pid") || !json["pid"].is_number_integer() || json["pid"].get<pid_t>() != pid) {
    return std::nullopt;
  }
  if (!json.contains("api") || !json["api"].is_string()) return std::nullopt;
  ServerInfo info;
  info.api = json["api"].get<std::string>();
  size_t colon = info.api.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const char* begin = info.api.data() + colon + 1;
  const char* end = info.api.data() + info.api.size();
  auto [ptr, error] = std::from_chars(begin, end, info.port);
  if (error != std::errc() || ptr != end) return std::nullopt;
  if (json.contains("ssh") && json["ssh"].is_object() && json["ssh"].contains("port") &&
      json["ssh"]["port"].is_number_integer()) {
    info.ssh_port = json["ssh"]["port"].get<int>();
  }
  return info;
}

ProcessResult CouldNotRun(const std::string& what, const Error& error) {
  ProcessResult result;
  result.exit_code = -1;
  result.stderr_data = "test harness: cannot run " + what + ": " + error.message;
  return result;
}

}  // namespace

namespace internal {
bool RegisterYardBinary(const char* path) {
  BinaryPath() = path;
  return true;
}
}  // namespace internal

Result<std::string> YardBinary() {
  if (BinaryPath().empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      "YARD_BINARY is not defined for this test target: add "
                      "target_compile_definitions(TARGET PRIVATE YARD_BINARY=\"$<TARGET_FILE:yard>\")");
  }
  return BinaryPath();
}

// ---------------------------------------------------------------------------------------------

YardServer::YardServer(std::unique_ptr<TempDir> temp, std::string data_dir, Subprocess process)
    : temp_(std::move(temp)),
      data_dir_(std::move(data_dir)),
      log_path_(temp_->File("server.log")),
      process_(std::move(process)) {}


YardServer::~YardServer() {
  // Kill outright: after a failed test nobody waits for a graceful stop.
  if (process_.Running()) ::kill(-process_.pid(), SIGKILL);
  process_.Terminate(milliseconds(2000));
  // Its podman service outlives a kill by design (the next server on the data dir ends it);
  // a test has no next server, so end it here.
  runtime::EndLeftoverEngine(data_dir_);
  // Its Caddy too: the server does not take it down when killed.
  edge::EndLeftoverCaddy(data_dir_ + "/edge");
  // A child the server was starting when it was killed has no pid file yet: anything still
  // running with this data dir on its command line is this server's.
  KillProcessesNaming(data_dir_ + "/");
}

void KillProcessesNaming(const std::string& text) {
  auto matching = [&] {
    std::vector<pid_t> pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
      std::string name = entry.path().filename();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      auto cmdline = fs::ReadFile(entry.path() / "cmdline", 1 << 16);
      if (!cmdline || cmdline->find(text) == std::string::npos) continue;
      pid_t pid = std::atoi(name.c_str());
      if (pid > 1 && pid != ::getpid()) pids.push_back(pid);
    }
    return pids;
  };
  // SIGTERM first: a container engine killed in the middle of writing an image leaves its
  // store broken for every later user of the machine.
  std::vector<pid_t> pids = matching();
  if (pids.empty()) return;
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline && !matching().empty()) std::this_thread::sleep_for(kPollInterval);
  for (pid_t pid : matching()) ::kill(pid, SIGKILL);
}

Result<int> FreePort() {
  // The kernel picks a free port for a socket bound to port 0; it stays free for the moment
  // between closing it and the server binding it, which is all a test needs.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unexpected(ErrorCode::kIo, "socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) return Unexpected(ErrorCode::kIo, "cannot find a free port");
  return static_cast<int>(ntohs(address.sin_port));
}

Result<std::unique_ptr<YardServer>> YardServer::Start(Options options) {
  std::string binary = TRY(YardBinary());
  auto temp = std::make_unique<TempDir>();
  std::string data_dir = options.data_dir.empty() ? temp->File("data") : options.data_dir;

  Subprocess::Spawn spawn;
  spawn.options.argv = {binary, "server", "--data-dir", data_dir, "--api", "127.0.0.1:0"};
  // A test binary that aborts (a failed MUST) runs no destructors: the server goes with it.
  spawn.options.die_with_parent = true;
  for (auto& arg : options.extra_args) spawn.options.argv.push_back(arg);
  // The edge never takes 80 and 443 in a test: free high ports, unless the test chose.
  int http_port = 0, https_port = 0;
  if (std::find(options.extra_args.begin(), options.extra_args.end(), "--https-port") ==
      options.extra_args.end()) {
    http_port = TRY(FreePort());
    https_port = TRY(FreePort());
    for (std::string arg : {std::string("--http-port"), std::to_string(http_port),
                            std::string("--https-port"), std::to_string(https_port)}) {
      spawn.options.argv.push_back(arg);
    }
  }
  // The SSH gateway on a free port, unless the test chose.
  if (std::find(options.extra_args.begin(), options.extra_args.end(), "--ssh") ==
      options.extra_args.end()) {
    spawn.options.argv.push_back("--ssh");
    spawn.options.argv.push_back("127.0.0.1:0");
  }
  // Nothing from the developer's environment should change what the server does.
  spawn.options.env = {{"HOME", temp->path()},
                       {"XDG_CONFIG_HOME", temp->File("config")},
                       {"XDG_DATA_HOME", temp->File("share")}};
  spawn.stdout_path = temp->File("server.log");
  spawn.stderr_path = temp->File("server.log");
  Subprocess process = TRY(Subprocess::Start(spawn));

  std::unique_ptr<YardServer> server(
      new YardServer(std::move(temp), std::move(data_dir), std::move(process)));
  auto fail = [&server](const std::string& why) {
    return Unexpected(ErrorCode::kInternal,
                      why + "\n--- server log (" + server->log_path_ + ") ---\n" + server->log());
  };

  const auto deadline = Clock::now() + options.ready_timeout;
  std::optional<ServerInfo> info;
  while (true) {
    info = ReadServerInfo(server->server_json_path(), server->pid());
    if (info) break;
    if (!server->process_.Running()) {
      auto exited = server->process_.Wait(milliseconds(0));
      return fail("yard server exited before it was ready (" +
                  (exited ? exited->Describe() : exited.error().message) + ")");
    }
    if (Clock::now() >= deadline) {
      return fail("yard server did not write " + server->server_json_path() + " within " +
                  std::to_string(options.ready_timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  server->url_ = info->api;
  server->port_ = info->port;
  server->http_port_ = http_port;
  server->https_port_ = https_port;
  server->ssh_port_ = info->ssh_port;

  auto token = fs::ReadFile(server->admin_token_path());
  if (!token) return fail("cannot read admin.token: " + token.error().message);
  server->admin_token_ = Trim(*token);
  if (server->admin_token_.empty()) return fail("admin.token is empty");
  return server;
}

std::string YardServer::log() const {
  auto text = fs::ReadFile(log_path_);
  return text ? *text : "(no log: " + text.error().message + ")";
}

void YardServer::Signal(int signal) {
  if (process_.Running()) ::kill(process_.pid(), signal);
}

Result<ProcessResult> YardServer::Wait(milliseconds timeout) { return process_.Wait(timeout); }

ProcessResult YardServer::Stop(milliseconds timeout) {
  Signal(SIGTERM);
  if (auto result = process_.Wait(timeout)) return *result;
  ProcessResult killed = process_.Terminate(milliseconds(0));
  killed.timed_out = true;
  return killed;
}

// ---------------------------------------------------------------------------------------------

namespace {

std::unique_ptr<TempDir>& CurrentClientHome() {
  static std::unique_ptr<TempDir> home;
  return home;
}

// Removes the client home when a test ends, so the next test (or the next repetition of the
// same one) starts without a login.
class ClientHomeCleaner : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo&) override { CurrentClientHome().reset(); }
};

}  // namespace

const std::string& ClientHome() {
  static bool cleaner_installed = false;
  if (!cleaner_installed) {
    ::testing::UnitTest::GetInstance()->listeners().Append(new ClientHomeCleaner);
    cleaner_installed = true;
  }
  auto& home = CurrentClientHome();
  if (!home) home = std::make_unique<TempDir>();
  return home->path();
}

std::string ClientConfigPath() { return ClientHome() + "/config/stackyard/config.json"; }

namespace {
// The client's argv and an environment that points at the test's own client home.
ProcessOptions YardOptions(const std::string& binary, std::vector<std::string> args) {
  ProcessOptions options;
  options.argv.push_back(binary);
  for (auto& arg : args) options.argv.push_back(std::move(arg));
  const std::string& home = ClientHome();
  options.env = {{"HOME", home},
                 {"XDG_CONFIG_HOME", home + "/config"},
                 {"XDG_DATA_HOME", home + "/share"},
                 {"YARD_SERVER", ""},
                 {"YARD_TOKEN", ""}};
  return options;
}

ProcessResult RunYardWith(std::vector<std::string> args, std::map<std::string, std::string> env,
                          std::optional<std::string> stdin_data,
                          std::chrono::milliseconds timeout) {
  auto binary = YardBinary();
  if (!binary) return CouldNotRun("yard", binary.error());
  ProcessOptions options = YardOptions(*binary, std::move(args));
  for (auto& [key, value] : env) options.env[key] = value;
  options.stdin_data = std::move(stdin_data);
  options.timeout = timeout;
  auto result = RunProcess(options);
  if (!result) return CouldNotRun("yard", result.error());
  return *result;
}
}  // namespace

ProcessResult RunYard(std::vector<std::string> args, std::map<std::string, std::string> env,
                      std::optional<std::string> stdin_data) {
  return RunYardWith(std::move(args), std::move(env), std::move(stdin_data), kClientTimeout);
}

ProcessResult RunYardFor(std::chrono::milliseconds timeout, std::vector<std::string> args) {
  return RunYardWith(std::move(args), {}, {}, timeout);
}

Result<PipedProcess> StartYard(std::vector<std::string> args) {
  std::string binary = TRY(YardBinary());
  return PipedProcess::Start(YardOptions(binary, std::move(args)));
}

ProcessResult RunTool(std::vector<std::string> argv, std::optional<std::string> stdin_data) {
  std::string what = argv.empty() ? "(nothing)" : argv.front();
  ProcessOptions options;
  options.argv = std::move(argv);
  options.stdin_data = std::move(stdin_data);
  options.timeout = kClientTimeout;
  auto result = RunProcess(options);
  if (!result) return CouldNotRun(what, result.error());
  return *result;
}

}  // namespace yard::testing
