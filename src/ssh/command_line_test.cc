#include "ssh/command_line.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/process.h"
#include "testing/temp_dir.h"

namespace yard::ssh {
namespace {

const SshAddress kLocal{"localhost", 2222};
const SshTarget kDev{.project = "shop", .deployment = "dev"};
const SshTarget kWeb{.project = "shop", .deployment = "dev", .component = "web"};

TEST(CommandLineTest, ShellQuoting) {
  EXPECT_EQ(ShellQuote("dev.shop@localhost"), "dev.shop@localhost");
  EXPECT_EQ(ShellQuote("UserKnownHostsFile=/home/a/.config/stackyard/known_hosts"),
            "UserKnownHostsFile=/home/a/.config/stackyard/known_hosts");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("echo hi; rm x"), "'echo hi; rm x'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellJoin({"ssh", "--", "a@b", "ls -l"}), "ssh -- a@b 'ls -l'");
}

TEST(CommandLineTest, SshCommand) {
  EXPECT_EQ(SshCommand(kLocal, "dev.shop"), "ssh -p 2222 dev.shop@localhost");
  EXPECT_EQ(SshCommand({"yard.example.com", 22}, "web.dev.shop"),
            "ssh web.dev.shop@yard.example.com");
  EXPECT_EQ(SshCommand({"::1", 2222}, "dev.shop"), "ssh -p 2222 dev.shop@::1");
}

TEST(CommandLineTest, GitUrl) {
  EXPECT_EQ(GitSshUrl(kLocal, "shop"), "ssh://git@localhost:2222/shop.git");
  EXPECT_EQ(GitSshUrl({"yard.example.com", 22}, "shop"), "ssh://git@yard.example.com/shop.git");
  EXPECT_EQ(GitSshUrl({"::1", 2222}, "shop"), "ssh://git@[::1]:2222/shop.git");
  EXPECT_EQ(GitSshUrl({"2001:db8::7", 22}, "shop"), "ssh://git@[2001:db8::7]/shop.git");
}

TEST(CommandLineTest, KnownHostsLines) {
  EXPECT_EQ(KnownHostsName(kLocal), "[localhost]:2222");
  EXPECT_EQ(KnownHostsName({"Yard.Example.COM", 22}), "yard.example.com");
  EXPECT_EQ(KnownHostsName({"::1", 2222}), "[::1]:2222");
  EXPECT_EQ(KnownHostsLine(kLocal, "ssh-ed25519 AAAAC3Nz"),
            "[localhost]:2222 ssh-ed25519 AAAAC3Nz");
  EXPECT_EQ(KnownHostsLine(kLocal, "ssh-rsa AAAAB3Nz root@host"),
            "[localhost]:2222 ssh-rsa AAAAB3Nz");
  EXPECT_EQ(KnownHostsLine({"h", 22}, "ssh-ed25519 AAAA"), "h ssh-ed25519 AAAA");
}

TEST(CommandLineTest, ConfigValues) {
  EXPECT_EQ(SshConfigValue("/home/a/.config/stackyard/known_hosts"),
            "/home/a/.config/stackyard/known_hosts");
  EXPECT_EQ(SshConfigValue("/home/a b/known_hosts"), "\"/home/a b/known_hosts\"");
  EXPECT_EQ(SshConfigValue("/tmp/100%/k#1"), "\"/tmp/100%%/k#1\"");
}

TEST(CommandLineTest, ConfigBlocks) {
  EXPECT_EQ(SshConfigAlias(kDev), "dev.shop.yard");
  EXPECT_EQ(SshConfigAlias(kWeb), "web.dev.shop.yard");
  EXPECT_EQ(SshConfigBlock(kLocal, kWeb, "/home/a/.config/stackyard/known_hosts"),
            "Host web.dev.shop.yard\n"
            "  HostName localhost\n"
            "  Port 2222\n"
            "  User web.dev.shop\n"
            "  UserKnownHostsFile /home/a/.config/stackyard/known_hosts\n"
            "  StrictHostKeyChecking yes\n");
}

TEST(CommandLineTest, SshArgv) {
  EXPECT_EQ(SshArgv(kLocal, "dev.shop", "/k h/known_hosts", {}),
            (std::vector<std::string>{"ssh", "-p", "2222", "-o",
                                      "UserKnownHostsFile=\"/k h/known_hosts\"", "-o",
                                      "StrictHostKeyChecking=yes", "--", "dev.shop@localhost"}));
  std::vector<std::string> argv = SshArgv(kLocal, "web.dev.shop", "/k", {"ls", "-l", "/app"});
  ASSERT_EQ(argv.size(), 12u);
  EXPECT_EQ(argv[8], "web.dev.shop@localhost");
  EXPECT_EQ(argv[9], "ls");
  EXPECT_EQ(argv[10], "-l");
}

// OpenSSH itself reads what we write: `ssh -G` prints the configuration it would use.
TEST(CommandLineTest, OpensshReadsTheBlocksAndOptions) {
  if (!FindExecutable("ssh")) GTEST_SKIP() << "no ssh client";
  testing::TempDir dir;
  std::string known_hosts = fs::Join(dir.path(), "a b/100%/known_hosts");
  std::string config = fs::Join(dir.path(), "config");
  ASSERT_TRUE(fs::AtomicWriteFile(config, SshConfigBlock(kLocal, kDev, known_hosts) + "\n" +
                                              SshConfigBlock(kLocal, kWeb, known_hosts)));
  auto settings = [](std::vector<std::string> argv) {
    argv.insert(argv.begin() + 1, "-G");
    ProcessResult result = MUST(RunProcess({.argv = argv}));
    EXPECT_TRUE(result.Succeeded()) << result.stderr_data;
    return result.stdout_data;
  };
  std::string web = settings({"ssh", "-F", config, "web.dev.shop.yard"});
  EXPECT_NE(web.find("\nuser web.dev.shop\n"), std::string::npos) << web;
  EXPECT_NE(web.find("\nhostname localhost\n"), std::string::npos) << web;
  EXPECT_NE(web.find("\nport 2222\n"), std::string::npos) << web;
  EXPECT_NE(web.find("\nuserknownhostsfile " + known_hosts + "\n"), std::string::npos) << web;
  EXPECT_NE(web.find("\nstricthostkeychecking true\n"), std::string::npos) << web;
  std::vector<std::string> argv = SshArgv(kLocal, "dev.shop", known_hosts, {"true"});
  argv.insert(argv.begin() + 1, {"-F", "/dev/null"});
  std::string dev = settings(argv);
  EXPECT_NE(dev.find("\nuser dev.shop\n"), std::string::npos) << dev;
  EXPECT_NE(dev.find("\nuserknownhostsfile " + known_hosts + "\n"), std::string::npos) << dev;
}

}  // namespace
}  // namespace yard::ssh
