#include "cli/ssh_setup.h"

#include <gtest/gtest.h>

namespace yard::cli {
namespace {

const ssh::SshAddress kLocal{"localhost", 2222};

TEST(SshSetupTest, KnownHostsAreWrittenForTheAddress) {
  EXPECT_EQ(MergeKnownHosts("", kLocal, {"ssh-ed25519 AAAAed", "ssh-rsa AAAArsa"}),
            "[localhost]:2222 ssh-ed25519 AAAAed\n"
            "[localhost]:2222 ssh-rsa AAAArsa\n");
}

TEST(SshSetupTest, KnownHostsReplaceTheAddressesOldKeysAndKeepTheRest) {
  std::string existing =
      "# other servers\n"
      "[localhost]:2222 ssh-ed25519 AAAAold\n"
      "[localhost]:2223 ssh-ed25519 AAAAother-port\n"
      "yard.example.com ssh-ed25519 AAAAother-host\n"
      "[localhost]:2222,[127.0.0.1]:2222 ssh-ed25519 AAAAlisted-with-others\n"
      "[localhost]:2222\tssh-rsa AAAAold-tab\n"
      "\n"
      "[localhost]:2222 ssh-rsa AAAAold-last";  // no final newline
  EXPECT_EQ(MergeKnownHosts(existing, kLocal, {"ssh-ed25519 AAAAnew"}),
            "# other servers\n"
            "[localhost]:2223 ssh-ed25519 AAAAother-port\n"
            "yard.example.com ssh-ed25519 AAAAother-host\n"
            "[localhost]:2222,[127.0.0.1]:2222 ssh-ed25519 AAAAlisted-with-others\n"
            "\n"
            "[localhost]:2222 ssh-ed25519 AAAAnew\n");
  // Merging again changes nothing.
  std::string once = MergeKnownHosts(existing, kLocal, {"ssh-ed25519 AAAAnew"});
  EXPECT_EQ(MergeKnownHosts(once, kLocal, {"ssh-ed25519 AAAAnew"}), once);
}

TEST(SshSetupTest, PortTwentyTwoIsTheBareHostName) {
  EXPECT_EQ(MergeKnownHosts("yard.example.com ssh-rsa AAAAold\n", {"Yard.Example.com", 22},
                            {"ssh-ed25519 AAAAnew comment"}),
            "yard.example.com ssh-ed25519 AAAAnew\n");
}

TEST(SshSetupTest, KeyChecks) {
  using Verdict = KeyCheck::Verdict;
  KeyCheck ok = CheckKeys({"SHA256:a", "SHA256:b"}, {"SHA256:c", "SHA256:b"});
  EXPECT_EQ(ok.verdict, Verdict::kOk);
  EXPECT_TRUE(ok.message.empty());

  KeyCheck none_server = CheckKeys({"SHA256:a"}, {});
  EXPECT_EQ(none_server.verdict, Verdict::kNoneServer);
  EXPECT_NE(none_server.message.find("yard keys add"), std::string::npos);

  KeyCheck none_local = CheckKeys({}, {"SHA256:c"});
  EXPECT_EQ(none_local.verdict, Verdict::kNoneLocal);
  EXPECT_NE(none_local.message.find("ssh-keygen -t ed25519"), std::string::npos);

  KeyCheck unmatched = CheckKeys({"SHA256:a", "SHA256:b"}, {"SHA256:c"});
  EXPECT_EQ(unmatched.verdict, Verdict::kUnmatched);
  EXPECT_NE(unmatched.message.find("(SHA256:a, SHA256:b)"), std::string::npos) << unmatched.message;
  EXPECT_NE(unmatched.message.find("Permission denied (publickey)"), std::string::npos);
  EXPECT_NE(unmatched.message.find("yard keys add"), std::string::npos);
}

}  // namespace
}  // namespace yard::cli
