// Projects against the real server and the real git: mirror a repository with two branches,
// see each head and its manifest state, push a commit to it, refresh, see it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "server_test_base.h"
#include "testing/temp_dir.h"
#include "testing/yard_server.h"

namespace yard {
namespace {

using ::testing::HasSubstr;
using testing::RunTool;
using testing::RunYard;
using Json = nlohmann::json;

constexpr const char* kValid = "version: 1\ncomponents:\n  - id: web\n";
constexpr const char* kInvalid = "version: 1\ncomponents:\n  - id: web\n    port: 70000\n";

class ProjectsTest : public ServerTestBase {
 protected:
  void SetUp() override {
    ServerTestBase::SetUp();
    source_ = work_.File("source");
    Git({"init", "-q", "-b", "main", source_});
    Write("stackyard.yaml", kValid);
    Write("web/Dockerfile", "FROM debian:bookworm-slim\n");
    Write("web/Dockerfile.dev", "FROM debian:bookworm-slim\n");
    Commit("first");
    Git({"-C", source_, "checkout", "-q", "-b", "feature"});
    Write("stackyard.yaml", kInvalid);
    Commit("break the port");
    Git({"-C", source_, "checkout", "-q", "main"});
    // The repository the project mirrors, as a Git host would hold it: bare, pushed to.
    origin_ = work_.File("origin.git");
    Git({"init", "-q", "--bare", "-b", "main", origin_});
    Git({"-C", source_, "push", "-q", origin_, "main", "feature"});
  }

  void Git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-c", "user.name=Test", "-c", "user.email=test@example.com"});
    auto result = RunTool(args);
    ASSERT_EQ(result.exit_code, 0) << result.stderr_data;
  }
  void Write(const std::string& path, const std::string& text) {
    std::string full = source_ + "/" + path;
    ASSERT_TRUE(fs::CreateDirectories(full.substr(0, full.rfind('/'))));
    ASSERT_TRUE(fs::AtomicWriteFile(full, text));
  }
  void Commit(const std::string& subject) {
    Git({"-C", source_, "add", "-A"});
    Git({"-C", source_, "commit", "-q", "-m", subject});
  }
  std::string Head(const std::string& branch) {
    auto result = RunTool({"git", "-C", source_, "rev-parse", branch});
    return result.stdout_data.substr(0, 40);
  }
  Json YardJson(std::vector<std::string> args) {
    args.push_back("--json");
    auto result = RunYard(AsAdmin(std::move(args)));
    EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
    return Json::parse(result.stdout_data, nullptr, false);
  }
  static const Json& Branch(const Json& project, const std::string& name) {
    for (const Json& branch : project["branches"]) {
      if (branch["name"] == name) return branch;
    }
    static const Json kNone;
    ADD_FAILURE() << "no branch " << name << " in " << project.dump();
    return kNone;
  }

  testing::TempDir work_;
  std::string source_;  // a developer's clone
  std::string origin_;  // what the project mirrors
};

TEST_F(ProjectsTest, MirrorShowPushRefresh) {
  Json created = YardJson({"projects", "create", "shop", "--from", "file://" + origin_});
  ASSERT_TRUE(created.is_object());
  EXPECT_EQ(created["source"]["kind"], "local");
  EXPECT_EQ(Branch(created, "main")["commit"], Head("main"));
  EXPECT_EQ(Branch(created, "main")["manifest"]["state"], "valid");
  // A manifest without `stages:` has the three default ones; an invalid one lists none.
  EXPECT_EQ(Branch(created, "main")["manifest"]["stages"],
            (Json{{{"name", "development"}, {"kind", "dev"}},
                  {{"name", "staging"}, {"kind", "build"}},
                  {{"name", "production"}, {"kind", "build"}}}));
  EXPECT_EQ(Branch(created, "feature")["manifest"]["stages"], Json::array());
  const Json& feature = Branch(created, "feature");
  EXPECT_EQ(feature["commit"], Head("feature"));
  EXPECT_EQ(feature["manifest"]["state"], "invalid");
  ASSERT_FALSE(feature["manifest"]["diagnostics"].empty());
  EXPECT_THAT(feature["manifest"]["diagnostics"][0]["text"].get<std::string>(),
              HasSubstr("stackyard.yaml:4:"));

  // A commit pushed to main reaches the project on refresh, and only then.
  Write("README", "hello\n");
  Commit("second");
  Git({"-C", source_, "push", "-q", origin_, "main"});
  EXPECT_NE(Branch(YardJson({"projects", "show", "shop"}), "main")["commit"], Head("main"));
  Json refreshed = YardJson({"projects", "refresh", "shop"});
  EXPECT_EQ(Branch(refreshed, "main")["commit"], Head("main"));
  EXPECT_EQ(Branch(refreshed, "main")["subject"], "second");

  // The table form names the branches and the errors with their lines.
  auto shown = RunYard(AsAdmin({"projects", "show", "shop"}));
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_THAT(shown.stdout_data, HasSubstr("feature"));
  EXPECT_THAT(shown.stdout_data, HasSubstr("port must be 1..65535, got 70000"));

  Json listed = YardJson({"projects", "list"});
  ASSERT_EQ(listed["projects"].size(), 1u);
  EXPECT_EQ(listed["projects"][0]["name"], "shop");
}

TEST_F(ProjectsTest, BadSourcesAreClearErrorsAndLeaveNothing) {
  for (const std::string& source :
       {work_.File("missing"), std::string("ext::sh -c touch% /tmp/x"), std::string("-uhelp"),
        std::string("http://127.0.0.1:1/x.git")}) {
    SCOPED_TRACE(source);
    auto result = RunYard(AsAdmin({"projects", "create", "shop", "--from", source}));
    EXPECT_EQ(result.exit_code, 1) << result.stdout_data;
    EXPECT_THAT(result.stderr_data, HasSubstr("yard: error: "));
  }
  EXPECT_TRUE(YardJson({"projects", "list"})["projects"].empty());
  std::string repos = server_->data_dir() + "/repos";
  auto leftovers = RunTool({"find", repos, "-mindepth", "1", "-maxdepth", "1"});
  EXPECT_EQ(leftovers.stdout_data, "") << "left behind in " << repos;
}

TEST_F(ProjectsTest, OnlyMembersSeeAProjectAndOnlyAdminsMirrorPaths) {
  YardJson({"projects", "create", "shop", "--from", source_});
  auto created = RunYard(AsAdmin({"users", "create", "bob", "--json"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  std::string bob = Json::parse(created.stdout_data)["secret"];
  auto listed = RunYard(As(bob, {"projects", "list", "--json"}));
  EXPECT_TRUE(Json::parse(listed.stdout_data)["projects"].empty());
  auto shown = RunYard(As(bob, {"projects", "show", "shop"}));
  EXPECT_EQ(shown.exit_code, 1);
  EXPECT_THAT(shown.stderr_data, HasSubstr("no project named 'shop'"));
  auto local = RunYard(As(bob, {"projects", "create", "mine", "--from", source_}));
  EXPECT_EQ(local.exit_code, 1);
  EXPECT_THAT(local.stderr_data, HasSubstr("only admins"));
  auto hosted = RunYard(As(bob, {"projects", "create", "mine"}));
  EXPECT_EQ(hosted.exit_code, 0) << hosted.stderr_data;
}

TEST_F(ProjectsTest, DeleteNeedsConfirmation) {
  YardJson({"projects", "create", "shop", "--from", source_});
  auto unconfirmed = RunYard(AsAdmin({"projects", "delete", "shop"}));
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_EQ(YardJson({"projects", "list"})["projects"].size(), 1u);
  auto deleted = RunYard(AsAdmin({"projects", "delete", "shop", "--yes"}));
  EXPECT_EQ(deleted.exit_code, 0) << deleted.stderr_data;
  EXPECT_TRUE(YardJson({"projects", "list"})["projects"].empty());
  EXPECT_FALSE(fs::Exists(server_->data_dir() + "/repos/shop.git"));
}

}  // namespace
}  // namespace yard
