// DockerRuntime on a real podman service: the engine, images and builds, networks.

#include "runtime/docker_runtime_fixture.h"
#include "runtime/host_ports.h"

namespace yard::runtime {
namespace {

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
  // Below the ephemeral range: a program binding port 0 never gets a port that the engine's
  // NAT sends to this container (host_ports.h).
  EXPECT_TRUE(DefaultPublishRange().Contains(host_port)) << host_port;

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


}  // namespace
}  // namespace yard::runtime
