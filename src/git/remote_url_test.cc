#include "git/remote_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace yard::git {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ValidateRemoteUrlTest, AcceptsSupportedForms) {
  for (const char* url : {
           "https://github.com/acme/shop.git",
           "https://user:token@git.example.com:8443/acme/shop",
           "http://127.0.0.1:3000/x.git",
           "ssh://git@github.com/acme/shop.git",
           "ssh://git@[::1]:2222/srv/repo.git",
           "git://example.org/repo.git",
           "file:///srv/git/repo.git",
           "git@github.com:acme/shop.git",
           "gitlab.example.com:group/project.git",
           "/srv/git/repo.git",
           "/tmp/yard-test-abc/source",
       }) {
    EXPECT_TRUE(ValidateRemoteUrl(url)) << url << ": " << ValidateRemoteUrl(url).error().message;
  }
}

TEST(ValidateRemoteUrlTest, RejectsDangerousAndMalformedValues) {
  struct Case {
    std::string url;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"ext::sh -c touch /tmp/pwned", "transport helpers such as 'ext::'"},
           {"ext::sh%20-c%20touch%20%2Ftmp%2Fpwned", "transport helpers"},
           {"fd::17", "transport helpers"},
           {"-uhelp", "starts with '-'"},
           {"--upload-pack=touch /tmp/pwned", "starts with '-'"},
           {"--upload-pack=touch", "starts with '-'"},
           {"https://example.com/a b", "whitespace"},
           {std::string("https://example.com/a\nb"), "control"},
           {std::string("/srv/a\tb"), "whitespace"},
           {"ftp://example.com/repo.git", "not supported"},
           {"HTTPS://example.com/repo.git", "not supported"},
           {"ssh://-oProxyCommand=touch%20x/repo", "bad host"},
           {"-oProxyCommand=x:repo", "starts with '-'"},
           {"git@-oProxyCommand=x:repo", "bad host"},
           {"https://example.com", "no repository path"},
           {"https://example.com/", "no repository path"},
           {"https:///repo", "bad host"},
           {"file://relative/path", "absolute path"},
           {"relative/path.git", "relative paths"},
           {"./repo", "relative paths"},
           {"repo", "relative paths"},
           {"git@host:", "no repository path"},
           {"https://example.com:99999999/x", "bad port"},
       }) {
    Status status = ValidateRemoteUrl(c.url);
    ASSERT_FALSE(status) << c.url;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument) << c.url;
    EXPECT_THAT(status.error().message, HasSubstr(c.why)) << c.url;
    // The message tells the person what would be accepted.
    EXPECT_THAT(status.error().message, HasSubstr("https://")) << c.url;
  }
}

TEST(ValidateRemoteUrlTest, RejectsOverlongUrl) {
  Status status = ValidateRemoteUrl("https://example.com/" + std::string(5000, 'a'));
  ASSERT_FALSE(status);
  EXPECT_THAT(status.error().message, HasSubstr("longer than"));
}

TEST(ValidateRemoteUrlTest, MessageDoesNotLeakPassword) {
  Status status = ValidateRemoteUrl("ftp://bob:hunter2@example.com/x");
  ASSERT_FALSE(status);
  EXPECT_THAT(status.error().message, Not(HasSubstr("hunter2")));
  EXPECT_THAT(status.error().message, HasSubstr("bob:***@example.com"));
}

TEST(RedactUrlTest, HidesSecrets) {
  EXPECT_EQ(RedactUrl("https://bob:s3cret@host/x.git"), "https://bob:***@host/x.git");
  EXPECT_EQ(RedactUrl("https://ghp_token@github.com/a/b"), "https://***@github.com/a/b");
  EXPECT_EQ(RedactUrl("ssh://git@host/x.git"), "ssh://git@host/x.git");
  EXPECT_EQ(RedactUrl("https://host/x@y"), "https://host/x@y");
  EXPECT_EQ(RedactUrl("git@github.com:a/b.git"), "git@github.com:a/b.git");
  EXPECT_EQ(RedactUrl("/srv/repo"), "/srv/repo");
}

TEST(UrlSecretTest, FindsWhatRedactUrlHides) {
  EXPECT_EQ(UrlSecret("https://bob:s3cret@host/x.git"), "s3cret");
  EXPECT_EQ(UrlSecret("https://ghp_token@github.com/a/b"), "ghp_token");
  EXPECT_EQ(UrlSecret("ssh://git@host/x.git"), "");
  EXPECT_EQ(UrlSecret("https://host/x"), "");
}

}  // namespace
}  // namespace yard::git
