#include "git/http_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/bare_repository.h"
#include "git/test_repo.h"
#include "testing/temp_dir.h"

namespace yard::git {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

TEST(HttpBackendTest, OnlyTheThreeSmartRequestsAreServed) {
  EXPECT_TRUE(IsSmartHttpPath("GET", "/info/refs", "service=git-upload-pack"));
  EXPECT_TRUE(IsSmartHttpPath("GET", "/info/refs", "service=git-receive-pack"));
  EXPECT_TRUE(IsSmartHttpPath("POST", "/git-upload-pack", ""));
  EXPECT_TRUE(IsSmartHttpPath("POST", "/git-receive-pack", ""));
  // The dumb protocol reads files by path; it is never served.
  EXPECT_FALSE(IsSmartHttpPath("GET", "/info/refs", ""));
  EXPECT_FALSE(IsSmartHttpPath("GET", "/HEAD", ""));
  EXPECT_FALSE(IsSmartHttpPath("GET", "/objects/info/packs", ""));
  EXPECT_FALSE(IsSmartHttpPath("GET", "/git-upload-pack", ""));
  EXPECT_FALSE(IsSmartHttpPath("POST", "/info/refs", "service=git-upload-pack"));
  EXPECT_FALSE(IsSmartHttpPath("GET", "/info/refs", "service=git-upload-archive"));

  EXPECT_TRUE(IsReceivePack("/git-receive-pack", ""));
  EXPECT_TRUE(IsReceivePack("/info/refs", "service=git-receive-pack"));
  EXPECT_FALSE(IsReceivePack("/info/refs", "service=git-upload-pack"));
  EXPECT_FALSE(IsReceivePack("/git-upload-pack", ""));
}

TEST(HttpBackendTest, ParsesCgiAnswers) {
  auto ok = ParseCgiResponse("Content-Type: application/x-git\r\nExpires: never\r\n\r\nBODY\r\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->content_type, "application/x-git");
  EXPECT_THAT(ok->headers, ::testing::ElementsAre(Pair("Expires", "never")));
  EXPECT_EQ(ok->body, "BODY\r\n");

  auto refused = ParseCgiResponse("status: 403 Forbidden\nContent-Type: text/plain\n\nno");
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body, "no");

  EXPECT_FALSE(ParseCgiResponse("no header end"));
  EXPECT_FALSE(ParseCgiResponse("Status: soon\r\n\r\n"));
  EXPECT_FALSE(ParseCgiResponse("Status: 42\r\n\r\n"));
  EXPECT_FALSE(ParseCgiResponse("not a header\r\n\r\n"));
}

TEST(HttpBackendTest, AdvertisesTheRepositorysBranches) {
  yard::testing::TempDir dir;
  testing::InitSource(dir.File("source"));
  testing::WriteFile(dir.File("source"), "README", "hello\n");
  std::string commit = testing::CommitAll(dir.File("source"), "first", 1'700'000'000);
  auto repo = BareRepository::Init(dir.File("repo.git"));
  ASSERT_TRUE(repo) << repo.error().message;
  testing::Git(dir.File("source"), {"push", "--quiet", dir.File("repo.git"), "main"});

  HttpBackendRequest request{.method = "GET",
                             .service_path = "/info/refs",
                             .query = "service=git-upload-pack",
                             .remote_user = "dev.shop"};
  auto response = RunHttpBackend(dir.File("repo.git"), request, {});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->content_type, "application/x-git-upload-pack-advertisement");
  EXPECT_THAT(response->body, HasSubstr("# service=git-upload-pack"));
  EXPECT_THAT(response->body, HasSubstr(commit + " refs/heads/main"));

  // Without http.receivepack, git refuses to advertise pushes to anyone.
  request.query = "service=git-receive-pack";
  auto push = RunHttpBackend(dir.File("repo.git"), request, {});
  ASSERT_TRUE(push) << push.error().message;
  EXPECT_EQ(push->status, 200);
  auto refused = RunHttpBackend(dir.File("repo.git"), request,
                                {.config = {"http.receivepack=false"}});
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 403);
}

TEST(HttpBackendTest, AMissingRepositoryIsNotFound) {
  yard::testing::TempDir dir;
  HttpBackendRequest request{
      .method = "GET", .service_path = "/info/refs", .query = "service=git-upload-pack"};
  auto response = RunHttpBackend(dir.File("absent.git"), request, {});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace yard::git
