#include "auth/ssh_public_key.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/process.h"
#include "testing/temp_dir.h"

namespace yard::auth {
namespace {

// Generates a key with the real ssh-keygen and returns (public key line, fingerprint as
// `ssh-keygen -lf` prints it).
std::pair<std::string, std::string> Generate(const testing::TempDir& dir, const std::string& type,
                                             int bits) {
  std::string path = dir.File(type + "-" + std::to_string(bits));
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type, "-N", "", "-C",
                                   "test@example", "-f", path};
  if (bits > 0) {
    argv.push_back("-b");
    argv.push_back(std::to_string(bits));
  }
  MUST(RunChecked({.argv = argv}));
  auto listed = MUST(RunChecked({.argv = {"ssh-keygen", "-lf", path + ".pub"}}));
  // "256 SHA256:abc... test@example (ED25519)"
  std::string line = listed.stdout_data;
  size_t start = line.find(' ') + 1;
  std::string fingerprint = line.substr(start, line.find(' ', start) - start);
  return {MUST(fs::ReadFile(path + ".pub")), fingerprint};
}

struct KeyCase {
  std::string type;
  int bits;
  std::string wire_type;
};

class SshPublicKeyGeneratedTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(SshPublicKeyGeneratedTest, MatchesOpenSsh) {
  testing::TempDir dir;
  auto [line, fingerprint] = Generate(dir, GetParam().type, GetParam().bits);
  auto key = ParseSshPublicKey(line);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->type, GetParam().wire_type);
  EXPECT_EQ(key->fingerprint, fingerprint);
  EXPECT_EQ(key->comment, "test@example");
  if (GetParam().bits > 0) {
    EXPECT_EQ(key->bits, GetParam().bits);
  }
  EXPECT_EQ(key->ToLine() + "\n", line);
}

INSTANTIATE_TEST_SUITE_P(
    KeyTypes, SshPublicKeyGeneratedTest,
    ::testing::Values(KeyCase{"ed25519", 0, "ssh-ed25519"},
                      KeyCase{"ecdsa", 256, "ecdsa-sha2-nistp256"},
                      KeyCase{"ecdsa", 384, "ecdsa-sha2-nistp384"},
                      KeyCase{"ecdsa", 521, "ecdsa-sha2-nistp521"},
                      KeyCase{"rsa", 2048, "ssh-rsa"}, KeyCase{"rsa", 3072, "ssh-rsa"}),
    [](const auto& test) { return test.param.type + std::to_string(test.param.bits); });

std::string Reason(std::string_view text) {
  auto key = ParseSshPublicKey(text);
  EXPECT_FALSE(key) << text;
  if (key) return "";
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  return key.error().message;
}

TEST(SshPublicKeyTest, RejectsShortRsaKeys) {
  testing::TempDir dir;
  auto [line, fingerprint] = Generate(dir, "rsa", 1024);
  EXPECT_NE(Reason(line).find("1024 bits"), std::string::npos);
}

TEST(SshPublicKeyTest, RejectsPrivateKeys) {
  testing::TempDir dir;
  Generate(dir, "ed25519", 0);
  std::string private_key = MUST(fs::ReadFile(dir.File("ed25519-0")));
  EXPECT_NE(Reason(private_key).find("private key"), std::string::npos);
}

TEST(SshPublicKeyTest, RejectsMalformedInputWithReasons) {
  EXPECT_NE(Reason("").find("empty"), std::string::npos);
  EXPECT_NE(Reason("   \n").find("empty"), std::string::npos);
  EXPECT_NE(Reason("ssh-ed25519").find("expected"), std::string::npos);
  EXPECT_NE(Reason("hello world").find("unsupported key type"), std::string::npos);
  EXPECT_NE(Reason("ssh-dss AAAAB3NzaC1kc3M=").find("DSA"), std::string::npos);
  EXPECT_NE(Reason("ssh-ed25519-cert-v01@openssh.com AAAA").find("certificates"),
            std::string::npos);
  EXPECT_NE(Reason("sk-ssh-ed25519@openssh.com AAAA").find("security-key"), std::string::npos);
  EXPECT_NE(Reason("ssh-ed25519 !!!notbase64!!!").find("base64"), std::string::npos);
  EXPECT_NE(Reason("ssh-ed25519 AAAA").find("truncated"), std::string::npos);
  EXPECT_NE(Reason(std::string(20000, 'a')).find("longer"), std::string::npos);
}

TEST(SshPublicKeyTest, RejectsMismatchedAndCorruptBlobs) {
  testing::TempDir dir;
  auto [ed_line, ed_fp] = Generate(dir, "ed25519", 0);
  auto [rsa_line, rsa_fp] = Generate(dir, "rsa", 2048);
  std::string ed_blob = ed_line.substr(ed_line.find(' ') + 1);
  ed_blob = ed_blob.substr(0, ed_blob.find(' '));
  // The line claims RSA but carries an ed25519 blob.
  EXPECT_NE(Reason("ssh-rsa " + ed_blob).find("its data is a 'ssh-ed25519' key"),
            std::string::npos);
  // A blob cut short keeps valid base64 but no longer holds a whole key.
  std::string cut = ed_blob.substr(0, 40);
  EXPECT_FALSE(ParseSshPublicKey("ssh-ed25519 " + cut));
  // Several keys at once.
  EXPECT_NE(Reason(ed_line + rsa_line).find("one key"), std::string::npos);
}

TEST(SshPublicKeyTest, KeepsMultiWordComments) {
  testing::TempDir dir;
  auto [line, fingerprint] = Generate(dir, "ed25519", 0);
  std::string base = line.substr(0, line.rfind(' '));
  auto key = MUST(ParseSshPublicKey("  " + base + "   my work laptop \r\n"));
  EXPECT_EQ(key.comment, "my work laptop");
  EXPECT_EQ(key.fingerprint, fingerprint);
}

}  // namespace
}  // namespace yard::auth
