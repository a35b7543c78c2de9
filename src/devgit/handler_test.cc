#include "devgit/handler.h"

#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "base/process.h"
#include "devgit/basic_auth.h"
#include "git/bare_repository.h"
#include "git/git_command.h"
#include "git/hooks.h"
#include "git/test_repo.h"
#include "http/server.h"
#include "store/migrations.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace yard::devgit {
namespace {

using ::testing::HasSubstr;
namespace gt = git::testing;
namespace asio = boost::asio;

// A real HTTP server on loopback in front of the handler, for real git clients.
class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    alice_ = MUST(users_.Create("alice", store::Role::kUser));
    ASSERT_TRUE(git::WriteHooks(hooks_, YARD_GIT_HOOK_RUNNER));
    shop_ = MakeProject("shop");
    blog_ = MakeProject("blog");
    dev_ = MakeDeployment(shop_, "dev");

    gt::InitSource(source_);
    gt::WriteFile(source_, "README", "one\n");
    first_ = gt::CommitAll(source_, "one", 1'700'000'000);
    gt::Git(source_, {"push", "--quiet", shop_.repo_path, "main"});
    gt::Git(source_, {"push", "--quiet", blog_.repo_path, "main"});

    http::ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 64 << 20;
    server_.emplace(io_, [this](const http::Request& r) { return handler_.Handle(r); }, options);
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] {
      server_->Stop();
      work_.reset();
    });
    thread_.join();
    server_.reset();
  }

  store::Project MakeProject(const std::string& name) {
    std::string path = dir_.File("repos/" + name + ".git");
    EXPECT_TRUE(git::BareRepository::Init(path));
    store::Project project =
        MUST(project_store_.Create({.name = name, .repo_path = path, .created_by = alice_.id}));
    MUST(project_store_.SetProtection(project.id, {"main"}, true, true));
    return MUST(project_store_.Find(project.id));
  }

  store::Deployment MakeDeployment(const store::Project& project, const std::string& name) {
    store::Deployment d;
    d.project_id = project.id;
    d.name = name;
    d.stage = "development";
    d.branch = "main";
    d.created_by = alice_.id;
    return MUST(deployments_.Create(d));
  }

  std::string Url(const std::string& project) const {
    return fmt::format("http://127.0.0.1:{}/{}.git", server_->port(), project);
  }

  // git as a container runs it: the deployment's credential in an extra header.
  ProcessResult GitWith(const std::string& authorization, const std::vector<std::string>& args,
                        const std::string& cwd = "") {
    ProcessOptions options;
    options.argv = {"git"};
    if (!cwd.empty()) options.argv.insert(options.argv.end(), {"-C", cwd});
    if (!authorization.empty()) {
      options.argv.insert(options.argv.end(),
                          {"-c", "http.extraHeader=Authorization: " + authorization});
    }
    options.argv.insert(options.argv.end(), {"-c", "user.name=Dev", "-c", "user.email=dev@x"});
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = git::GitEnvironment();
    options.clear_env = true;
    options.timeout = std::chrono::seconds(120);
    return MUST(RunProcess(options));
  }

  std::string AuthOf(const store::Deployment& d) {
    return BasicAuthorization(Credentials::UserName(d), credentials_.Token(d));
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  yard::testing::FakeClock clock_{1'800'000'000};
  yard::testing::TempDir dir_;
  store::UserStore users_{*db_, clock_};
  store::ProjectStore project_store_{*db_, clock_};
  store::DeploymentStore deployments_{*db_, clock_};
  store::PushEventStore pushes_{*db_, clock_};
  Credentials credentials_ = Credentials::ForTesting(std::string(64, 'c'));
  std::string hooks_ = dir_.File("git/hooks");
  std::vector<std::pair<int64_t, int64_t>> pushed_;  // project, user
  std::mutex mutex_;
  Handler handler_{{project_store_, deployments_, users_, pushes_},
                   credentials_,
                   {.hooks_dir = hooks_,
                    .reports_dir = dir_.File("reports"),
                    .pushed = [this](int64_t project, int64_t user) {
                      std::lock_guard lock(mutex_);
                      pushed_.emplace_back(project, user);
                    }}};
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::optional<http::Server> server_;
  std::thread thread_;
  std::string source_ = dir_.File("source");
  store::User alice_;
  store::Project shop_, blog_;
  store::Deployment dev_;
  std::string first_;
};

TEST_F(HandlerTest, CloneCommitAndPushWithTheDeploymentsCredential) {
  std::string work = dir_.File("work");
  ProcessResult cloned = GitWith(AuthOf(dev_), {"clone", "--quiet", Url("shop"), work});
  ASSERT_TRUE(cloned.Succeeded()) << cloned.stderr_data;
  EXPECT_EQ(gt::Git(work, {"rev-parse", "HEAD"}), first_);

  gt::WriteFile(work, "README", "two\n");
  ASSERT_TRUE(GitWith("", {"commit", "--quiet", "-am", "two"}, work).Succeeded());
  std::string second = gt::Git(work, {"rev-parse", "HEAD"});
  ProcessResult pushed = GitWith(AuthOf(dev_), {"push", "origin", "main"}, work);
  ASSERT_TRUE(pushed.Succeeded()) << pushed.stderr_data;

  auto repo = MUST(git::BareRepository::Open(shop_.repo_path));
  EXPECT_EQ(MUST(repo.ResolveCommit("refs/heads/main")), second);
  // Recorded as the push of the deployment's creator, and handed on to deployments.
  auto events = MUST(pushes_.List(shop_.id, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].new_commit, second);
  EXPECT_EQ(events[0].user_name, "alice");
  std::lock_guard lock(mutex_);
  ASSERT_EQ(pushed_.size(), 1u);
  EXPECT_EQ(pushed_[0], std::make_pair(shop_.id, alice_.id));
}

TEST_F(HandlerTest, TheProjectsBranchProtectionHolds) {
  std::string work = dir_.File("work");
  ASSERT_TRUE(GitWith(AuthOf(dev_), {"clone", "--quiet", Url("shop"), work}).Succeeded());
  gt::WriteFile(work, "README", "rewritten\n");
  ASSERT_TRUE(GitWith("", {"commit", "--quiet", "--amend", "-am", "rewritten"}, work).Succeeded());
  ProcessResult forced = GitWith(AuthOf(dev_), {"push", "--force", "origin", "main"}, work);
  EXPECT_FALSE(forced.Succeeded());
  EXPECT_THAT(forced.stderr_data, HasSubstr("protected"));
  auto repo = MUST(git::BareRepository::Open(shop_.repo_path));
  EXPECT_EQ(MUST(repo.ResolveCommit("refs/heads/main")), first_);
  EXPECT_TRUE(MUST(pushes_.List(shop_.id, 10)).empty());
}

TEST_F(HandlerTest, WrongMissingOrForeignCredentialsAreRefused) {
  ProcessResult none = GitWith("", {"ls-remote", Url("shop")});
  EXPECT_FALSE(none.Succeeded());
  ProcessResult wrong = GitWith(BasicAuthorization("dev.shop", std::string(64, '0')),
                                {"ls-remote", Url("shop")});
  EXPECT_FALSE(wrong.Succeeded());
  EXPECT_THAT(wrong.stderr_data, HasSubstr("Authentication failed"));
  // A credential reaches its own project only, and says nothing of others.
  ProcessResult foreign = GitWith(AuthOf(dev_), {"ls-remote", Url("blog")});
  EXPECT_FALSE(foreign.Succeeded());
  EXPECT_THAT(foreign.stderr_data, HasSubstr("no project named 'blog'"));
  // A deleted deployment's credential is dead.
  ASSERT_TRUE(GitWith(AuthOf(dev_), {"ls-remote", Url("shop")}).Succeeded());
  MUST(deployments_.SetDesired(dev_.id, store::Desired::kDeleted));
  EXPECT_FALSE(GitWith(AuthOf(dev_), {"ls-remote", Url("shop")}).Succeeded());
}

TEST_F(HandlerTest, OnlySmartHttpIsServed) {
  http::Request request{.method = "GET", .path = "/shop.git/HEAD"};
  request.headers["authorization"] = AuthOf(dev_);
  EXPECT_EQ(handler_.Handle(request).status, 404);
  request.path = "/shop.git/info/refs";
  EXPECT_EQ(handler_.Handle(request).status, 404);  // no ?service=: the dumb protocol
  request.query["service"] = "git-upload-pack";
  EXPECT_EQ(handler_.Handle(request).status, 200);
  request.path = "/../etc.git/info/refs";
  EXPECT_EQ(handler_.Handle(request).status, 404);
  request.path = "/nothing";
  EXPECT_EQ(handler_.Handle(request).status, 404);
  request.path = "/shop.git/info/refs";
  request.headers["authorization"] = "Basic !!";
  http::Response refused = handler_.Handle(request);
  EXPECT_EQ(refused.status, 401);
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0].first, "WWW-Authenticate");
}

}  // namespace
}  // namespace yard::devgit
