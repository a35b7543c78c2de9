// DockerRuntime against a real `podman system service`, started with EngineProcess in a
// temporary data dir. Needs podman, runc, netavark, aardvark-dns, iptables, catatonit and the
// base image docker.io/library/debian:bookworm-slim (scripts/setup installs and seeds them).
// Everything a test creates is removed again, also when it fails; objects of other tools on
// the same engine are never touched.

#include "runtime/docker_runtime.h"

#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/process.h"
#include "http/client.h"
#include "runtime/engine_process.h"
#include "testing/temp_dir.h"

namespace yard::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kBaseImage = "docker.io/library/debian:bookworm-slim";

// A minimal HTTP server in Perl (perl-base is in Debian's minbase) on port 8000.
constexpr const char* kServerScript =
    "$|=1; my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 16, ReuseAddr => 1)"
    " or die qq(listen: $!); print qq(listening\\n);"
    " while (my $c = $s->accept) { while (my $l = <$c>) { last if $l =~ /^\\r?$/ }"
    " print $c qq(HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nhello from web\\n);"
    " close $c }";

std::string RandomSuffix() {
  std::random_device device;
  std::mt19937_64 generator(device());
  return fmt::format("{:08x}", static_cast<uint32_t>(generator()));
}

// Polls `condition` until it holds or `limit` passes (a bound against hangs, not a timing
// assertion).
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

// A tar of the files {name, content}, made with tar(1).
std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& files) {
  testing::TempDir dir;
  for (const auto& [name, content] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir.File(name)).parent_path());
    std::ofstream(dir.File(name)) << content;
  }
  auto result = RunChecked({.argv = {"tar", "-cf", "-", "-C", dir.path(), "."}});
  if (!result) ADD_FAILURE() << result.error().message;
  return result ? result->stdout_data : "";
}

// The engine shared by the tests of this file.
struct Engine {
  testing::TempDir dir;
  std::unique_ptr<EngineProcess> process;
  std::unique_ptr<DockerRuntime> runtime;
  std::string run_id = RandomSuffix();
  std::string installation = "test-" + run_id;
};
Engine* engine = nullptr;

// Removes what it was told about when it goes out of scope, whatever happened in between.
class Cleanup {
 public:
  explicit Cleanup(Runtime& runtime) : runtime_(runtime) {}
  ~Cleanup() {
    for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) {
      (void)runtime_.RemoveContainer(*it);
    }
    for (auto it = networks_.rbegin(); it != networks_.rend(); ++it) {
      (void)runtime_.RemoveNetwork(*it);
    }
    for (auto it = images_.rbegin(); it != images_.rend(); ++it) (void)runtime_.RemoveImage(*it);
    for (const auto& action : actions_) action();
  }
  void Container(const std::string& id) { containers_.push_back(id); }
  void Network(const std::string& name) { networks_.push_back(name); }
  void Image(const std::string& ref) { images_.push_back(ref); }
  void Do(std::function<void()> action) { actions_.push_back(std::move(action)); }

 private:
  Runtime& runtime_;
  std::vector<std::string> containers_;
  std::vector<std::string> networks_;
  std::vector<std::string> images_;
  std::vector<std::function<void()>> actions_;
};

// Runs the podman client against our engine, as another tool on the same engine would.
Result<ProcessResult> Podman(std::vector<std::string> args) {
  args.insert(args.begin(), {"podman", "--url", engine->process->endpoint().ToString()});
  return RunProcess({.argv = std::move(args), .timeout = 120s});
}

class DockerRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine = new Engine;
    engine->process =
        std::make_unique<EngineProcess>(EngineOptions{.data_dir = engine->dir.path()});
    Status started = engine->process->Start();
    ASSERT_TRUE(started) << started.error().message;
    engine->runtime =
        std::make_unique<DockerRuntime>(engine->process->endpoint(), engine->installation);
  }

  static void TearDownTestSuite() {
    if (engine->runtime) {
      // The safety net: whatever this installation still has, found by its labels.
      if (auto containers = engine->runtime->ListContainers({})) {
        for (const auto& container : *containers) {
          ADD_FAILURE() << "left behind: container " << container.name;
          (void)engine->runtime->RemoveContainer(container.id);
        }
      }
      if (auto networks = engine->runtime->ListNetworks({})) {
        for (const auto& network : *networks) {
          ADD_FAILURE() << "left behind: network " << network.name;
          (void)engine->runtime->RemoveNetwork(network.name);
        }
      }
      if (auto images = engine->runtime->ListImages({})) {
        for (const auto& image : *images) {
          ADD_FAILURE() << "left behind: image " << image.id;
          (void)engine->runtime->RemoveImage(image.id);
        }
      }
    }
    engine->process->Stop();
    delete engine;
    engine = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(engine, nullptr);
    ASSERT_NE(engine->runtime, nullptr) << "the engine did not start";
    auto base = runtime().InspectImage(kBaseImage);
    ASSERT_TRUE(base) << base.error().message;
    ASSERT_TRUE(base->has_value()) << kBaseImage << " is missing: run scripts/seed-base-image";
  }

  DockerRuntime& runtime() { return *engine->runtime; }
  std::string Name(const std::string& what) { return "yardtest-" + engine->run_id + "-" + what; }

  // Creates and starts a container of the base image; registers it with `cleanup`.
  std::string Run(Cleanup& cleanup, ContainerSpec spec) {
    if (spec.image.empty()) spec.image = kBaseImage;
    auto id = runtime().CreateContainer(spec);
    EXPECT_TRUE(id) << id.error().message;
    if (!id) return "";
    cleanup.Container(*id);
    Status started = runtime().StartContainer(*id);
    EXPECT_TRUE(started) << started.error().message;
    return *id;
  }

  ExecResult Exec(const std::string& id, std::vector<std::string> cmd) {
    auto result = runtime().Exec(id, {.cmd = std::move(cmd)});
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : ExecResult{};
  }

  ContainerState StateOf(const std::string& id) {
    auto info = runtime().InspectContainer(id);
    if (!info || !info->has_value()) return ContainerState::kUnknown;
    return (*info)->state;
  }
};

TEST_F(DockerRuntimeTest, Ping) {
  auto info = runtime().Ping();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->name, "podman");
  EXPECT_FALSE(info->version.empty());
  EXPECT_EQ(info->api_version, "1.41");
  EXPECT_EQ(ProbeEngine(engine->process->endpoint())->name, "podman");
  EXPECT_EQ(ProbeEngine(http::Endpoint{.kind = http::Endpoint::Kind::kUnix,
                                       .path = engine->dir.File("no.sock")})
                .error()
                .code,
            ErrorCode::kUnavailable);
}

TEST_F(DockerRuntimeTest, FailingDockerfileIsAnOutcomeNotAnError) {
  Cleanup cleanup(runtime());
  std::string tag = "localhost/stackyard-test/" + engine->run_id + "/broken:1";
  cleanup.Image(tag);
  std::string context = MakeTar(
      {{"Dockerfile", fmt::format("FROM {}\nRUN echo about-to-fail && exit 3\n", kBaseImage)}});
  std::vector<std::string> lines;
  auto outcome = runtime().BuildImage({.tag = tag, .context_tar = context},
                                      [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(outcome->ok);
  EXPECT_THAT(outcome->error, HasSubstr("exit status 3"));
  EXPECT_THAT(outcome->log, HasSubstr("about-to-fail"));
  EXPECT_THAT(outcome->log, HasSubstr("RUN echo about-to-fail"));
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.front(), HasSubstr("STEP 1/"));
  EXPECT_EQ(lines.back(), outcome->error);
  EXPECT_EQ(outcome->image_id, "");
  auto image = runtime().InspectImage(tag);
  ASSERT_TRUE(image);
  EXPECT_FALSE(image->has_value());
}

TEST_F(DockerRuntimeTest, BuildLabelsTheImageAndReusesTheCache) {
  Cleanup cleanup(runtime());
  std::string tag = "localhost/stackyard-test/" + engine->run_id + "/app:1";
  cleanup.Image(tag);
  std::string context = MakeTar({
      {"Dockerfile",
       fmt::format("FROM {}\nARG GREETING=unset\nARG SECOND\n"
                   "RUN echo \"$GREETING\" > /greeting && echo building-step-$SECOND\n"
                   "COPY files/hello.txt /hello.txt\nCMD [\"cat\", \"/greeting\"]\n",
                   kBaseImage)},
      {"files/hello.txt", "hello from the context\n"},
  });
  BuildSpec spec{.tag = tag,
                 .context_tar = context,
                 .args = {{"GREETING", "hi there"}, {"SECOND", "2"}},
                 .labels = {{std::string(kLabelRole), "build"}},
                 .cpus = 1,
                 .memory_bytes = 512 << 20};
  auto first = runtime().BuildImage(spec, nullptr);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->ok) << first->error << "\n" << first->log;
  EXPECT_FALSE(first->image_id.empty());
  EXPECT_THAT(first->log, HasSubstr("\nbuilding-step-2\n"));

  auto image = runtime().InspectImage(tag);
  ASSERT_TRUE(image);
  ASSERT_TRUE(image->has_value());
  EXPECT_EQ((*image)->id, first->image_id);
  EXPECT_THAT((*image)->tags, ::testing::Contains(tag));
  EXPECT_EQ((*image)->labels.at(std::string(kLabelManaged)), "true");
  EXPECT_EQ((*image)->labels.at(std::string(kLabelInstallation)), engine->installation);
  EXPECT_EQ((*image)->labels.at(std::string(kLabelRole)), "build");
  EXPECT_GT((*image)->size_bytes, 0);

  auto listed = runtime().ListImages({{std::string(kLabelRole), "build"}});
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, first->image_id);
  auto none = runtime().ListImages({{std::string(kLabelRole), "no-such-role"}});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  // The same build again comes from the cache.
  auto second = runtime().BuildImage(spec, nullptr);
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(second->ok) << second->error;
  EXPECT_THAT(second->log, HasSubstr("Using cache"));
  EXPECT_THAT(second->log, Not(HasSubstr("\nbuilding-step-2\n")));
  EXPECT_EQ(second->image_id, first->image_id) << first->log << "\n----\n" << second->log;

  // The build arg and the context file made it into the image.
  std::string id = Run(cleanup, {.name = Name("built"), .image = tag, .cmd = {"sleep", "300"}});
  ASSERT_FALSE(id.empty());
  ExecResult greeting = Exec(id, {"cat", "/greeting", "/hello.txt"});
  EXPECT_EQ(greeting.exit_code, 0);
  EXPECT_EQ(greeting.output, "hi there\nhello from the context\n");

  // In use by a container: refused.
  auto removed = runtime().RemoveImage(tag);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(DockerRuntimeTest, PullWithoutRegistryFailsAsUnavailable) {
  std::vector<std::string> lines;
  auto pulled = runtime().PullImage("docker.io/library/alpine:3.19",
                                    [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kUnavailable) << pulled.error().message;
  EXPECT_THAT(pulled.error().message, HasSubstr("alpine"));
}

TEST_F(DockerRuntimeTest, NetworksAliasesIsolationAndPublishedPorts) {
  Cleanup cleanup(runtime());
  std::string net_a = Name("net-a");
  std::string net_b = Name("net-b");
  for (const std::string& name : {net_a, net_b}) {
    auto network = runtime().CreateNetwork({.name = name, .labels = {{"test.net", name}}});
    ASSERT_TRUE(network) << network.error().message;
    cleanup.Network(name);
    EXPECT_FALSE(network->id.empty());
  }
  auto again = runtime().CreateNetwork({.name = net_a});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);

  // Listed before any container starts: listing must not undo the isolation (see
  // DockerRuntime::ListNetworks).
  auto networks = runtime().ListNetworks({});
  ASSERT_TRUE(networks) << networks.error().message;
  std::vector<std::string> names;
  for (const auto& network : *networks) names.push_back(network.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(net_a, net_b));
  auto only_a = runtime().ListNetworks({{"test.net", net_a}});
  ASSERT_TRUE(only_a);
  ASSERT_EQ(only_a->size(), 1u);
  EXPECT_EQ((*only_a)[0].name, net_a);
  EXPECT_EQ((*only_a)[0].labels.at(std::string(kLabelInstallation)), engine->installation);

  std::string web = Run(cleanup, {.name = Name("web"),
                                  .cmd = {"perl", "-MIO::Socket::INET", "-e", kServerScript},
                                  .network = net_a,
                                  .aliases = {"web", "web.internal"},
                                  .hostname = "web",
                                  .ports = {{.container_port = 8000}}});
  std::string client =
      Run(cleanup, {.name = Name("client"), .cmd = {"sleep", "600"}, .network = net_a});
  std::string outsider =
      Run(cleanup, {.name = Name("outsider"), .cmd = {"sleep", "600"}, .network = net_b});
  ASSERT_FALSE(web.empty() || client.empty() || outsider.empty());
  ASSERT_TRUE(WaitFor([&] {
    auto logs = runtime().Logs(web, {});
    return logs && logs->find("listening") != std::string::npos;
  })) << runtime().Logs(web, {}).value_or("");

  auto info = runtime().InspectContainer(web);
  ASSERT_TRUE(info && info->has_value());
  const ContainerInfo& web_info = **info;
  EXPECT_EQ(web_info.state, ContainerState::kRunning);
  EXPECT_FALSE(web_info.ip.empty());
  ASSERT_TRUE(web_info.published.contains(8000));
  int host_port = web_info.published.at(8000);
  EXPECT_GT(host_port, 0);

  // By alias from a container on the same network.
  ExecResult resolved = Exec(client, {"getent", "hosts", "web.internal"});
  EXPECT_EQ(resolved.exit_code, 0) << resolved.output;
  EXPECT_THAT(resolved.output, HasSubstr(web_info.ip));
  const std::string fetch =
      "exec 3<>/dev/tcp/$0/8000 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3";
  ExecResult fetched = Exec(client, {"bash", "-c", fetch, "web"});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.output;
  EXPECT_THAT(fetched.output, HasSubstr("hello from web"));
  ExecResult by_ip = Exec(client, {"bash", "-c", fetch, web_info.ip});
  EXPECT_THAT(by_ip.output, HasSubstr("hello from web"));

  // Not from another isolated network: neither the name nor the address; also not after a
  // third isolated network came and went (netavark 1.4 then drops its isolation jump, see
  // EngineProcess).
  std::string net_c = Name("net-c");
  ASSERT_TRUE(runtime().CreateNetwork({.name = net_c}));
  cleanup.Network(net_c);
  std::string brief = Run(cleanup, {.name = Name("brief"), .cmd = {"true"}, .network = net_c});
  ASSERT_TRUE(WaitFor([&] { return StateOf(brief) == ContainerState::kExited; }));
  ASSERT_TRUE(runtime().RemoveContainer(brief));
  ExecResult unresolved = Exec(outsider, {"getent", "hosts", "web.internal"});
  EXPECT_NE(unresolved.exit_code, 0) << unresolved.output;
  ExecResult blocked = Exec(outsider, {"timeout", "5", "bash", "-c", fetch, web_info.ip});
  EXPECT_NE(blocked.exit_code, 0) << blocked.output;
  EXPECT_THAT(blocked.output, Not(HasSubstr("hello from web")));

  // From the host, on 127.0.0.1 only.
  http::Client host(http::Endpoint{.host = "127.0.0.1", .port = std::to_string(host_port)});
  auto response = host.Send({.method = "GET", .target = "/"}, 10s);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello from web\n");

  auto listed = runtime().ListContainers({});
  ASSERT_TRUE(listed);
  for (const auto& container : *listed) {
    if (container.id == web) {
      EXPECT_EQ(container.name, Name("web"));
      EXPECT_EQ(container.published.at(8000), host_port);
    }
  }

  // A network with containers cannot go.
  auto busy = runtime().RemoveNetwork(net_a);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(DockerRuntimeTest, ContainerLifecycleExecLogsStats) {
  Cleanup cleanup(runtime());
  testing::TempDir volume;
  std::filesystem::permissions(volume.path(), std::filesystem::perms::all);
  std::ofstream(volume.File("seed.txt")) << "seeded\n";
  ContainerSpec spec{
      .name = Name("life"),
      .image = kBaseImage,
      .entrypoint = std::vector<std::string>{"sh", "-c"},
      .cmd = {"echo started $FOO; echo to-stderr >&2; exec sleep 600"},
      .env = {{"FOO", "bar baz"}},
      .labels = {{std::string(kLabelRole), "service"}, {"test.case", "life"}},
      .mounts = {{.source = volume.path(), .target = "/data"},
                 {.source = volume.path(), .target = "/ro", .read_only = true}},
      .memory_bytes = 256 << 20,
  };
  std::string id = Run(cleanup, spec);
  ASSERT_FALSE(id.empty());

  auto duplicate = runtime().CreateContainer(spec);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  auto missing_image = runtime().CreateContainer(
      {.name = Name("noimage"), .image = "localhost/stackyard-test/no-such-image:1"});
  ASSERT_FALSE(missing_image);
  EXPECT_EQ(missing_image.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(WaitFor([&] {
    auto logs = runtime().Logs(id, {.tail = -1});
    return logs && logs->find("to-stderr") != std::string::npos;
  }));
  auto logs = runtime().Logs(id, {.tail = -1});
  ASSERT_TRUE(logs);
  EXPECT_THAT(*logs, HasSubstr("started bar baz\n"));
  EXPECT_THAT(*logs, HasSubstr("to-stderr\n"));
  auto last = runtime().Logs(id, {.tail = 1});
  ASSERT_TRUE(last);
  EXPECT_EQ(std::count(last->begin(), last->end(), '\n'), 1) << *last;
  auto stamped = runtime().Logs(id, {.tail = -1, .timestamps = true});
  ASSERT_TRUE(stamped);
  EXPECT_TRUE(stamped->starts_with("20")) << *stamped;

  // Exec: exit status, both streams, env and working directory.
  ExecResult failed = Exec(id, {"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_THAT(failed.output, HasSubstr("out\n"));
  EXPECT_THAT(failed.output, HasSubstr("err\n"));
  auto with_env = runtime().Exec(id, {.cmd = {"sh", "-c", "echo $X; pwd; id -un"},
                                      .env = {{"X", "42"}},
                                      .workdir = "/tmp",
                                      .user = "nobody"});
  ASSERT_TRUE(with_env) << with_env.error().message;
  EXPECT_EQ(with_env->exit_code, 0);
  EXPECT_EQ(with_env->output, "42\n/tmp\nnobody\n");
  auto slow = runtime().Exec(id, {.cmd = {"sleep", "30"}, .timeout = 2s});
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  auto nowhere = runtime().Exec(Name("no-such-container"), {.cmd = {"true"}});
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, ErrorCode::kNotFound);

  // Mounts: written through, read-only where asked.
  ExecResult wrote = Exec(id, {"sh", "-c", "cat /data/seed.txt && echo written > /data/out.txt"});
  EXPECT_EQ(wrote.exit_code, 0) << wrote.output;
  EXPECT_EQ(wrote.output, "seeded\n");
  std::ifstream written(volume.File("out.txt"));
  std::string line;
  std::getline(written, line);
  EXPECT_EQ(line, "written");
  ExecResult read_only = Exec(id, {"sh", "-c", "echo no > /ro/x"});
  EXPECT_NE(read_only.exit_code, 0);

  // Stats.
  auto stats = runtime().ContainerStats(id);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_GT(stats->memory_bytes, 0);
  EXPECT_EQ(stats->memory_limit_bytes, 256 << 20);
  EXPECT_GE(stats->cpu_percent, 0);

  // Inspect and list.
  auto info = runtime().InspectContainer(id);
  ASSERT_TRUE(info && info->has_value());
  EXPECT_EQ((*info)->name, Name("life"));
  EXPECT_EQ((*info)->image, kBaseImage);
  EXPECT_FALSE((*info)->image_id.empty());
  EXPECT_GT((*info)->started_unix, 0);
  EXPECT_EQ((*info)->labels.at(std::string(kLabelInstallation)), engine->installation);
  auto listed = runtime().ListContainers({{"test.case", "life"}});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id);
  EXPECT_EQ((*listed)[0].state, ContainerState::kRunning);

  // Pause and unpause, each twice.
  ASSERT_TRUE(runtime().PauseContainer(id));
  EXPECT_EQ(StateOf(id), ContainerState::kPaused);
  EXPECT_TRUE(runtime().PauseContainer(id));
  ASSERT_TRUE(runtime().UnpauseContainer(id));
  EXPECT_EQ(StateOf(id), ContainerState::kRunning);
  EXPECT_TRUE(runtime().UnpauseContainer(id));

  // Start when running, stop twice, start again.
  EXPECT_TRUE(runtime().StartContainer(id));
  Status stopped = runtime().StopContainer(id, 2s);
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ(StateOf(id), ContainerState::kExited);
  EXPECT_TRUE(runtime().StopContainer(id, 2s));
  auto exec_stopped = runtime().Exec(id, {.cmd = {"true"}});
  ASSERT_FALSE(exec_stopped);
  EXPECT_EQ(exec_stopped.error().code, ErrorCode::kFailedPrecondition);
  auto after_stop = runtime().InspectContainer(id);
  ASSERT_TRUE(after_stop && after_stop->has_value());
  EXPECT_GT((*after_stop)->finished_unix, 0);
  ASSERT_TRUE(runtime().StartContainer(id));
  EXPECT_EQ(StateOf(id), ContainerState::kRunning);

  // Remove while running, then again.
  Status removed = runtime().RemoveContainer(id);
  ASSERT_TRUE(removed) << removed.error().message;
  auto gone = runtime().InspectContainer(id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto again = runtime().RemoveContainer(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_F(DockerRuntimeTest, ExitedContainersReportTheirExitCode) {
  Cleanup cleanup(runtime());
  std::string id = Run(cleanup, {.name = Name("exits"), .cmd = {"sh", "-c", "exit 7"}});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == ContainerState::kExited; }));
  auto info = runtime().InspectContainer(id);
  ASSERT_TRUE(info && info->has_value());
  EXPECT_EQ((*info)->exit_code, 7);
  auto listed = runtime().ListContainers({});
  ASSERT_TRUE(listed);
  bool found = false;
  for (const auto& container : *listed) {
    if (container.id != id) continue;
    found = true;
    EXPECT_EQ(container.state, ContainerState::kExited);
    EXPECT_EQ(container.exit_code, 7);
  }
  EXPECT_TRUE(found);
}

TEST_F(DockerRuntimeTest, ObjectsOfOthersAreNeverListedOrTouched) {
  Cleanup cleanup(runtime());
  std::string plain = Name("unlabelled");
  std::string other_install = Name("other-installation");
  std::string other_network = Name("other-net");
  cleanup.Do([plain, other_install, other_network] {
    (void)Podman({"rm", "--force", "--time", "0", plain, other_install});
    (void)Podman({"network", "rm", other_network});
  });
  auto created =
      Podman({"create", "--name", plain, "--network", "none", kBaseImage, "sleep", "600"});
  ASSERT_TRUE(created && created->Succeeded()) << (created ? created->stderr_data : "");
  // Managed, but by another installation on the same engine.
  created = Podman({"create", "--name", other_install, "--network", "none", "--label",
                    "io.stackyard.managed=true", "--label", "io.stackyard.installation=other",
                    kBaseImage, "sleep", "600"});
  ASSERT_TRUE(created && created->Succeeded()) << (created ? created->stderr_data : "");
  created = Podman({"network", "create", "--label", "io.stackyard.managed=true", other_network});
  ASSERT_TRUE(created && created->Succeeded()) << (created ? created->stderr_data : "");

  // Our own, so that listing is not trivially empty.
  std::string ours = Run(cleanup, {.name = Name("ours"), .cmd = {"sleep", "600"}});
  ASSERT_FALSE(ours.empty());

  auto containers = runtime().ListContainers({});
  ASSERT_TRUE(containers) << containers.error().message;
  std::vector<std::string> names;
  for (const auto& container : *containers) names.push_back(container.name);
  EXPECT_THAT(names, ::testing::Contains(Name("ours")));
  EXPECT_THAT(names, Not(::testing::Contains(plain)));
  EXPECT_THAT(names, Not(::testing::Contains(other_install)));
  auto networks = runtime().ListNetworks({});
  ASSERT_TRUE(networks);
  for (const auto& network : *networks) EXPECT_NE(network.name, other_network);

  // A sweep over everything listed (what a garbage collector does) leaves them alone.
  for (const auto& container : *containers) {
    EXPECT_TRUE(runtime().RemoveContainer(container.id));
  }
  for (const std::string& name : {plain, other_install}) {
    auto exists = Podman({"container", "exists", name});
    ASSERT_TRUE(exists);
    EXPECT_EQ(exists->exit_code, 0) << name << " was removed";
  }
  auto exists = Podman({"network", "exists", other_network});
  ASSERT_TRUE(exists);
  EXPECT_EQ(exists->exit_code, 0);
}

TEST_F(DockerRuntimeTest, TheSupervisorRestartsTheServiceAndContainersSurvive) {
  Cleanup cleanup(runtime());
  std::string id = Run(cleanup, {.name = Name("survivor"), .cmd = {"sleep", "600"}});
  ASSERT_FALSE(id.empty());
  pid_t pid = engine->process->pid();
  ASSERT_GT(pid, 0);
  int restarts = engine->process->restarts();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return engine->process->restarts() > restarts; }));
  ASSERT_TRUE(WaitFor([&] { return runtime().Ping().has_value(); }));
  EXPECT_NE(engine->process->pid(), pid);
  EXPECT_EQ(StateOf(id), ContainerState::kRunning);
}

TEST_F(DockerRuntimeTest, ContainersOutliveAStoppedEngineAndAreAdoptedAgain) {
  // A second engine (its own data dir, the same storage), stopped and started like a server.
  testing::TempDir data;
  EngineProcess second({.data_dir = data.path()});
  ASSERT_TRUE(second.Start());
  DockerRuntime second_runtime(second.endpoint(), engine->installation);
  Cleanup cleanup(runtime());  // removes through the shared engine, which always runs
  auto id = second_runtime.CreateContainer(
      {.name = Name("adopted"), .image = kBaseImage, .cmd = {"sleep", "600"}});
  ASSERT_TRUE(id) << id.error().message;
  cleanup.Container(*id);
  ASSERT_TRUE(second_runtime.StartContainer(*id));
  second.Stop();
  EXPECT_FALSE(second_runtime.Ping());
  EXPECT_EQ(StateOf(*id), ContainerState::kRunning);  // seen through the other engine
  ASSERT_TRUE(second.Start());
  auto info = second_runtime.InspectContainer(*id);
  ASSERT_TRUE(info && info->has_value());
  EXPECT_EQ((*info)->state, ContainerState::kRunning);
  second.Stop();
}

}  // namespace
}  // namespace yard::runtime
