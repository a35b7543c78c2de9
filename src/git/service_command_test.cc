#include "git/service_command.h"

#include <gtest/gtest.h>

namespace yard::git {
namespace {

GitServiceCommand Parsed(std::string_view command) {
  auto parsed = ParseGitServiceCommand(command);
  EXPECT_TRUE(parsed) << command << ": " << parsed.error().message;
  return parsed.value_or(GitServiceCommand{});
}

void ExpectRefused(std::string_view command, std::string_view message_part = "only git clone") {
  auto parsed = ParseGitServiceCommand(command);
  ASSERT_FALSE(parsed) << command;
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message.find(message_part), std::string::npos) << parsed.error().message;
  EXPECT_TRUE(parsed.error().message.starts_with("yard: ")) << parsed.error().message;
}

TEST(ServiceCommandTest, AcceptsEveryPathForm) {
  for (std::string_view path :
       {"'/shop.git'", "'shop.git'", "'/shop'", "'shop'", "shop.git", "/shop"}) {
    GitServiceCommand command = Parsed("git-upload-pack " + std::string(path));
    EXPECT_EQ(command.service, GitService::kUploadPack) << path;
    EXPECT_EQ(command.project, "shop") << path;
  }
  GitServiceCommand push = Parsed("git-receive-pack '/my-shop2.git'");
  EXPECT_EQ(push.service, GitService::kReceivePack);
  EXPECT_EQ(push.project, "my-shop2");
}

TEST(ServiceCommandTest, AcceptsTheFormWithASpace) {
  GitServiceCommand command = Parsed("git upload-pack '/shop.git'");
  EXPECT_EQ(command.service, GitService::kUploadPack);
  EXPECT_EQ(command.project, "shop");
  EXPECT_EQ(Parsed("git receive-pack 'shop'").service, GitService::kReceivePack);
}

TEST(ServiceCommandTest, UnquotesAsGitQuotes) {
  // git writes a path with a quote as 'a'\''b': never a project name, but parsed correctly.
  ExpectRefused("git-upload-pack '/sh'\\''op.git'", "'/sh'op.git' is not a project");
  EXPECT_EQ(Parsed("git-upload-pack '/sh''op.git'").project, "shop");
  ExpectRefused("git-upload-pack 'x'\\!'.git'", "'x!.git' is not a project");
}

TEST(ServiceCommandTest, RefusesOtherCommands) {
  ExpectRefused("");
  ExpectRefused("   ");
  ExpectRefused("git-upload-archive '/shop.git'");
  ExpectRefused("sh -c 'id'");
  ExpectRefused("ls");
  ExpectRefused("git-upload-pack");
  ExpectRefused("git upload-pack");
  ExpectRefused("git");
  ExpectRefused("git-upload-pack '/shop.git' --extra");
  ExpectRefused("git-upload-pack '/shop.git'; id");
  ExpectRefused("git-upload-pack '/shop.git' ;id");
  ExpectRefused("git-upload-pack '/shop.git");       // unbalanced
  ExpectRefused("git-upload-pack /shop.git\\");      // trailing backslash
  ExpectRefused("git-upload-pack '/shop.git'\nid");  // a second line
  ExpectRefused("git-upload-pack " + std::string(2000, 'a'));
}

TEST(ServiceCommandTest, RefusesPathsThatAreNotProjectNames) {
  ExpectRefused("git-upload-pack '/srv/shop.git'", "is not a project");
  ExpectRefused("git-upload-pack '../shop.git'", "is not a project");
  ExpectRefused("git-upload-pack '/..'", "is not a project");
  ExpectRefused("git-upload-pack '//shop.git'", "is not a project");
  ExpectRefused("git-upload-pack '/Shop.git'", "is not a project");
  ExpectRefused("git-upload-pack '/.git'", "is not a project");
  ExpectRefused("git-upload-pack ''", "is not a project");
  ExpectRefused("git-upload-pack '-shop'", "is not a project");
  ExpectRefused("git-upload-pack '~/shop.git'", "is not a project");
  ExpectRefused("git-receive-pack '/shop.git.git'", "is not a project");
}

TEST(ServiceCommandTest, NamesTheServices) {
  EXPECT_EQ(GitServiceName(GitService::kUploadPack), "git-upload-pack");
  EXPECT_EQ(GitServiceName(GitService::kReceivePack), "git-receive-pack");
}

}  // namespace
}  // namespace yard::git
