// The clone routes, called through the router against an in-memory store and a real
// repository, without a controller or an engine: the copy runs on the Cloner's thread over a
// temp volumes dir.

#include <gtest/gtest.h>

#include <thread>

#include "api/api_fixture.h"
#include "base/fs.h"
#include "deployments/clone.h"
#include "git/test_repo.h"

namespace yard::api {
namespace {

namespace gt = git::testing;
using namespace std::chrono_literals;

class CloneRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    services_.deployments = &deployment_service_;
    services_.deployment_store = &deployment_store_;
    services_.cloner = &cloner_;
    ApiFixture::SetUp();
    store::User alice = MUST(users_.FindByName("alice"));
    std::string source = dir_.File("source");
    gt::InitSource(source);
    gt::WriteFile(source, "web/Dockerfile", "FROM debian:bookworm-slim\n");
    gt::WriteFile(source, "stackyard.yaml", "version: 1\ncomponents:\n  - id: web\n");
    gt::CommitAll(source, "first", 1'700'000'000);
    store::Project shop = MUST(projects_.Create({"shop", source}, alice));
    MUST(deployment_service_.Create(shop, {.name = "prod", .stage = "production"}, alice));
    std::string data = naming_.StorageDir("shop", "prod", "web", "files");
    ASSERT_TRUE(fs::CreateDirectories(data));
    ASSERT_TRUE(fs::AtomicWriteFile(data + "/upload.bin", std::string(4096, 'u')));
  }

  Json Progress(const std::string& name) {
    for (int i = 0; i < 500; ++i) {
      Json progress = BodyOf(Call("GET", Path(name) + "/clone", user_token_));
      if (progress.value("state", "") != "copying") return progress;
      std::this_thread::sleep_for(10ms);
    }
    return Json();
  }

  static std::string Path(const std::string& deployment) {
    return "/api/v1/projects/shop/deployments/" + deployment;
  }

  deployments::DeploymentService deployment_service_{deployment_store_, nullptr};
  controller::Naming naming_{.installation = "test", .volumes_dir = dir_.File("volumes")};
  deployments::Cloner cloner_{
      {.store = deployment_store_, .naming = naming_, .clock = clock_}};
};

TEST_F(CloneRoutesTest, ClonesAndReportsTheCopy) {
  http::Response response = Call("POST", Path("prod") + "/clone", user_token_,
                                 R"({"name": "debug", "stage": "development"})");
  ASSERT_EQ(response.status, 202) << response.body;
  Json d = BodyOf(response);
  EXPECT_EQ(d["name"], "debug");
  EXPECT_EQ(d["stage"], "development");
  EXPECT_EQ(d["clone"]["source"], "prod");

  Json progress = Progress("debug");
  EXPECT_EQ(progress["state"], "done") << progress.dump(2);
  EXPECT_EQ(progress["bytes_total"], 4096);
  EXPECT_EQ(progress["bytes_done"], 4096);
  EXPECT_EQ(progress["percent"], 100);
  EXPECT_TRUE(progress["error"].is_null());
  EXPECT_TRUE(fs::Exists(naming_.StorageDir("shop", "debug", "web", "files") + "/upload.bin"));
  Json shown = BodyOf(Call("GET", Path("debug"), user_token_));
  EXPECT_EQ(shown["status"]["phase"], "creating") << shown.dump(2);
}

TEST_F(CloneRoutesTest, TheCloneTakesTheSourcesSizeUnlessItAsksForAnother) {
  ASSERT_EQ(Call("POST", Path("prod") + "/clone", user_token_, R"({"name": "same"})").status,
            202);
  EXPECT_EQ(BodyOf(Call("GET", Path("same"), user_token_))["size"]["name"], "unlimited");

  http::Response response = Call("POST", Path("prod") + "/clone", user_token_,
                                 R"({"name": "smaller", "size": {"name": "small"}})");
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(BodyOf(response)["size"]["name"], "small");
  // Only the memory changes; the CPU limit is the named size's.
  response = Call("POST", Path("prod") + "/clone", user_token_,
                  R"({"name": "tuned", "size": {"name": "small", "memory": "2g"}})");
  ASSERT_EQ(response.status, 202) << response.body;
  EXPECT_EQ(BodyOf(response)["size"]["cpus"], 0.5);
  EXPECT_EQ(BodyOf(response)["size"]["memory_bytes"], int64_t{2} << 30);
}

TEST_F(CloneRoutesTest, BadRequestsAreRefusedClearly) {
  auto refused = [&](const std::string& path, const std::string& body, int status,
                     const std::string& want) {
    http::Response response = Call("POST", path, user_token_, body);
    EXPECT_EQ(response.status, status) << path << " " << body << ": " << response.body;
    EXPECT_NE(response.body.find(want), std::string::npos) << response.body;
  };
  refused(Path("prod") + "/clone", "{}", 400, "name");
  refused(Path("prod") + "/clone", R"({"name": "x", "size": "big"})", 400, "'size' must be");
  refused(Path("prod") + "/clone", R"({"name": "x", "size": {"name": "huge"}})", 400, "huge");
  refused(Path("prod") + "/clone", R"({"name": "x", "size": {"cpus": "lots"}})", 400, "lots");
  refused(Path("prod") + "/clone", R"({"name": "x", "stage": "qa"})", 400, "no stage 'qa'");
  refused(Path("prod") + "/clone", R"({"name": "Not Valid"})", 400, "deployment");
  refused(Path("none") + "/clone", R"({"name": "x"})", 404, "no deployment 'none'");
  refused(Path("prod") + "/clone", R"({"name": "prod"})", 409, "already exists");
  EXPECT_EQ(Call("GET", Path("nothing") + "/clone", user_token_).status, 404);
  EXPECT_EQ(BodyOf(Call("GET", "/api/v1/projects/shop/deployments", user_token_))["deployments"]
                .size(),
            1u);
}

}  // namespace
}  // namespace yard::api
