// DockerRuntime on a real podman service: containers, and the engine process around them.

#include "runtime/docker_runtime_fixture.h"

namespace yard::runtime {
namespace {

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
