// `yard keys` with keys made by the real ssh-keygen: the fingerprint a user sees must be the
// one OpenSSH prints, and what is not an acceptable public key must be refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "testing/temp_dir.h"
#include "testing/yard_server.h"
#include "server_test_base.h"

namespace yard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::RunTool;
using testing::RunYard;
using testing::TempDir;
using testing::YardServer;
using Json = nlohmann::json;

struct KeySpec {
  std::string keygen_type;  // ssh-keygen -t
  int bits;                 // ssh-keygen -b, 0 for the default
  std::string wire_type;    // what the .pub file and the API call it
  int expected_bits;
};

std::ostream& operator<<(std::ostream& out, const KeySpec& spec) {
  return out << spec.keygen_type << "-" << spec.expected_bits;
}

// What `ssh-keygen -lf FILE` prints: "BITS SHA256:... COMMENT (TYPE)".
struct Fingerprint {
  int bits = 0;
  std::string fingerprint;
};

Fingerprint KeygenFingerprint(const std::string& path) {
  auto result = RunTool({"ssh-keygen", "-lf", path});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_data;
  std::istringstream fields(result.stdout_data);
  Fingerprint out;
  fields >> out.bits >> out.fingerprint;
  EXPECT_THAT(out.fingerprint, ::testing::StartsWith("SHA256:")) << result.stdout_data;
  return out;
}

// Generates a key pair with ssh-keygen; returns the private key's path (the public key is
// PATH.pub).
std::string GenerateKey(const TempDir& dir, const std::string& name, const std::string& type,
                        int bits, const std::string& comment) {
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment,
                                   "-f", dir.File(name)};
  if (bits > 0) argv.insert(argv.end(), {"-b", std::to_string(bits)});
  auto result = RunTool(argv);
  EXPECT_EQ(result.exit_code, 0) << "ssh-keygen: " << result.Describe() << " "
                                 << result.stderr_data;
  return dir.File(name);
}

class KeysTest : public ServerTestBase {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FindExecutable("ssh-keygen")) << "these tests need OpenSSH's ssh-keygen";
    ServerTestBase::SetUp();
  }

  Json ListKeys(const std::string& token) {
    auto listed = RunYard(As(token, {"keys", "list", "--json"}));
    EXPECT_EQ(listed.exit_code, 0) << listed.stderr_data;
    Json json = Json::parse(listed.stdout_data, nullptr, false);
    EXPECT_TRUE(json.is_object()) << "not one JSON document:\n" << listed.stdout_data;
    return json.is_object() ? json["keys"] : Json::array();
  }

  TempDir keys_;
};

class KeyTypesTest : public KeysTest, public ::testing::WithParamInterface<KeySpec> {};

TEST_P(KeyTypesTest, AddShowsTheFingerprintSshKeygenPrints) {
  const KeySpec& spec = GetParam();
  std::string key = GenerateKey(keys_, "id", spec.keygen_type, spec.bits, "dev@laptop");
  Fingerprint expected = KeygenFingerprint(key + ".pub");
  ASSERT_EQ(expected.bits, spec.expected_bits);

  auto added = RunYard(AsAdmin({"keys", "add", key + ".pub"}));
  ASSERT_EQ(added.exit_code, 0) << added.stderr_data;
  EXPECT_THAT(added.stdout_data, HasSubstr(expected.fingerprint));
  EXPECT_THAT(added.stdout_data, HasSubstr("dev@laptop"));

  Json keys = ListKeys(server_->admin_token());
  ASSERT_EQ(keys.size(), 1u) << keys;
  EXPECT_EQ(keys[0]["fingerprint"], expected.fingerprint);
  EXPECT_EQ(keys[0]["bits"], expected.bits);
  EXPECT_EQ(keys[0]["type"], spec.wire_type);
  EXPECT_EQ(keys[0]["name"], "dev@laptop");
  // The stored public key is the .pub file without its comment.
  std::istringstream pub(*fs::ReadFile(key + ".pub"));
  std::string type, base64;
  pub >> type >> base64;
  EXPECT_EQ(keys[0]["public_key"], type + " " + base64);
}

TEST_P(KeyTypesTest, AddJsonReportsTheKey) {
  const KeySpec& spec = GetParam();
  std::string key = GenerateKey(keys_, "id", spec.keygen_type, spec.bits, "ci");
  Fingerprint expected = KeygenFingerprint(key + ".pub");
  auto added = RunYard(AsAdmin({"keys", "add", key + ".pub", "--name", "work", "--json"}));
  ASSERT_EQ(added.exit_code, 0) << added.stderr_data;
  Json json = Json::parse(added.stdout_data);
  EXPECT_EQ(json["key"]["fingerprint"], expected.fingerprint);
  EXPECT_EQ(json["key"]["bits"], expected.bits);
  EXPECT_EQ(json["key"]["name"], "work");
}

INSTANTIATE_TEST_SUITE_P(
    SshKeygen, KeyTypesTest,
    ::testing::Values(KeySpec{"ed25519", 0, "ssh-ed25519", 256},
                      KeySpec{"ecdsa", 256, "ecdsa-sha2-nistp256", 256},
                      KeySpec{"ecdsa", 384, "ecdsa-sha2-nistp384", 384},
                      KeySpec{"ecdsa", 521, "ecdsa-sha2-nistp521", 521},
                      KeySpec{"rsa", 2048, "ssh-rsa", 2048},
                      KeySpec{"rsa", 4096, "ssh-rsa", 4096}),
    [](const ::testing::TestParamInfo<KeySpec>& param_info) {
      return param_info.param.keygen_type + std::to_string(param_info.param.expected_bits);
    });

TEST_F(KeysTest, RejectsShortRsaKeys) {
  std::string key = GenerateKey(keys_, "short", "rsa", 1024, "old");
  ASSERT_EQ(KeygenFingerprint(key + ".pub").bits, 1024);
  auto added = RunYard(AsAdmin({"keys", "add", key + ".pub"}));
  EXPECT_EQ(added.exit_code, 1);
  EXPECT_THAT(added.stderr_data, HasSubstr("1024 bits"));
  EXPECT_THAT(added.stderr_data, HasSubstr("2048"));
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
}

TEST_F(KeysTest, RejectsPrivateKeysWithoutEchoingThem) {
  for (const char* type : {"ed25519", "rsa"}) {
    SCOPED_TRACE(type);
    std::string key = GenerateKey(keys_, std::string("private-") + type, type, 0, "secret");
    auto added = RunYard(AsAdmin({"keys", "add", key}));
    EXPECT_EQ(added.exit_code, 1);
    EXPECT_THAT(added.stderr_data, HasSubstr("private key"));
    std::string private_text = *fs::ReadFile(key);
    // No line of the private key may show up in the output.
    std::istringstream lines(private_text);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("-----")) continue;
      EXPECT_THAT(added.stderr_data, Not(HasSubstr(line)));
      EXPECT_THAT(added.stdout_data, Not(HasSubstr(line)));
    }
  }
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
  EXPECT_THAT(server_->log(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(KeysTest, RejectsGarbage) {
  std::string key = GenerateKey(keys_, "id", "ed25519", 0, "me");
  std::string pub = *fs::ReadFile(key + ".pub");
  std::istringstream fields(pub);
  std::string type, base64;
  fields >> type >> base64;
  // Any 32 bytes are an ed25519 key, but an ECDSA key whose point is changed is not on the
  // curve any more.
  std::string ecdsa = GenerateKey(keys_, "ecdsa", "ecdsa", 256, "me");
  std::istringstream ecdsa_fields(*fs::ReadFile(ecdsa + ".pub"));
  std::string ecdsa_type, ecdsa_base64;
  ecdsa_fields >> ecdsa_type >> ecdsa_base64;
  size_t flip = ecdsa_base64.size() - 10;
  ecdsa_base64[flip] = ecdsa_base64[flip] == 'A' ? 'B' : 'A';

  const std::vector<std::pair<std::string, std::string>> garbage = {
      {"words", "hello world\n"},
      {"empty", ""},
      {"type-only", "ssh-ed25519\n"},
      {"not-base64", "ssh-ed25519 !!!not-base64!!! me\n"},
      {"truncated", "ssh-ed25519 " + base64.substr(0, 24) + " me\n"},
      {"wrong-type", "ssh-rsa " + base64 + " me\n"},
      {"off-curve", ecdsa_type + " " + ecdsa_base64 + "\n"},
      {"dsa", "ssh-dss AAAAB3NzaC1kc3MAAACBAP== me\n"},
      {"two-keys", pub + pub},
      {"huge", std::string(20000, 'A')},
  };
  for (const auto& [name, text] : garbage) {
    SCOPED_TRACE(name);
    std::string path = keys_.File(name + ".pub");
    ASSERT_TRUE(fs::AtomicWriteFile(path, text, 0644));
    auto added = RunYard(AsAdmin({"keys", "add", path}));
    EXPECT_EQ(added.exit_code, 1) << added.stdout_data;
    EXPECT_THAT(added.stderr_data, HasSubstr("yard: error: "));
  }
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
}

// A key file that is not UTF-8 cannot go into a JSON body: an error, not a crash.
TEST_F(KeysTest, NonUtf8KeyFileIsAnErrorNotACrash) {
  std::string path = keys_.File("binary.pub");
  ASSERT_TRUE(fs::AtomicWriteFile(path, std::string("\x00\xff\xfe\x01garbage", 11), 0644));
  auto added = RunYard(AsAdmin({"keys", "add", path}));
  EXPECT_EQ(added.term_signal, 0) << added.stderr_data;
  EXPECT_EQ(added.exit_code, 1) << added.stderr_data;
  EXPECT_THAT(added.stderr_data, HasSubstr("yard: error: "));
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
}

TEST_F(KeysTest, MissingFileIsReported) {
  auto added = RunYard(AsAdmin({"keys", "add", keys_.File("nope.pub")}));
  EXPECT_NE(added.exit_code, 0);
  EXPECT_THAT(added.stderr_data, HasSubstr("nope.pub"));
}

TEST_F(KeysTest, RejectsDuplicates) {
  std::string key = GenerateKey(keys_, "id", "ed25519", 0, "me");
  auto first = RunYard(AsAdmin({"keys", "add", key + ".pub"}));
  ASSERT_EQ(first.exit_code, 0) << first.stderr_data;
  auto second = RunYard(AsAdmin({"keys", "add", key + ".pub", "--name", "again"}));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.stderr_data, HasSubstr("already"));
  EXPECT_EQ(ListKeys(server_->admin_token()).size(), 1u);
}

TEST_F(KeysTest, AddFromStandardInputAndDefaultFile) {
  std::string key = GenerateKey(keys_, "id", "ed25519", 0, "stdin");
  auto from_stdin = RunYard(AsAdmin({"keys", "add", "-"}), {}, *fs::ReadFile(key + ".pub"));
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.stderr_data;

  // Without FILE, ~/.ssh/id_ed25519.pub of the (test's) home directory.
  std::string ssh_dir = testing::ClientHome() + "/.ssh";
  ASSERT_TRUE(fs::CreateDirectories(ssh_dir, 0700));
  GenerateKey(keys_, "home", "ed25519", 0, "home");
  ASSERT_TRUE(fs::AtomicWriteFile(ssh_dir + "/id_ed25519.pub", *fs::ReadFile(keys_.File("home.pub"))));
  auto from_home = RunYard(AsAdmin({"keys", "add"}));
  EXPECT_EQ(from_home.exit_code, 0) << from_home.stderr_data;
  EXPECT_THAT(from_home.stderr_data, HasSubstr("id_ed25519.pub"));
  EXPECT_EQ(ListKeys(server_->admin_token()).size(), 2u);
}

TEST_F(KeysTest, ListJsonIsOneDocument) {
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
  auto empty_table = RunYard(AsAdmin({"keys", "list"}));
  EXPECT_EQ(empty_table.exit_code, 0);
  EXPECT_THAT(empty_table.stdout_data, HasSubstr("No SSH keys"));

  for (const char* name : {"a", "b", "c"}) {
    std::string key = GenerateKey(keys_, name, "ed25519", 0, name);
    ASSERT_EQ(RunYard(AsAdmin({"keys", "add", key + ".pub"})).exit_code, 0);
  }
  Json keys = ListKeys(server_->admin_token());
  ASSERT_EQ(keys.size(), 3u);
  std::vector<std::string> names;
  for (const Json& key : keys) {
    names.push_back(key["name"]);
    EXPECT_TRUE(key["id"].is_number_integer());
    EXPECT_TRUE(key["created_at"].is_string());
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("a", "b", "c"));

  auto table = RunYard(AsAdmin({"keys", "list"}));
  EXPECT_EQ(table.exit_code, 0);
  for (const Json& key : keys) {
    EXPECT_THAT(table.stdout_data, HasSubstr(key["fingerprint"].get<std::string>()));
  }
}

TEST_F(KeysTest, RemoveByIdAndByFingerprint) {
  std::string a = GenerateKey(keys_, "a", "ed25519", 0, "a");
  std::string b = GenerateKey(keys_, "b", "ecdsa", 256, "b");
  std::string c = GenerateKey(keys_, "c", "ed25519", 0, "c");
  for (const auto& key : {a, b, c}) {
    ASSERT_EQ(RunYard(AsAdmin({"keys", "add", key + ".pub"})).exit_code, 0);
  }
  Json keys = ListKeys(server_->admin_token());
  ASSERT_EQ(keys.size(), 3u);
  auto find = [&keys](const std::string& name) {
    for (const Json& key : keys) {
      if (key["name"] == name) return key;
    }
    return Json();
  };

  auto by_id = RunYard(AsAdmin({"keys", "remove", std::to_string(find("a")["id"].get<int64_t>())}));
  EXPECT_EQ(by_id.exit_code, 0) << by_id.stderr_data;
  // A fingerprint holds '/' and '+', which must survive the trip through the URL.
  std::string fingerprint = KeygenFingerprint(b + ".pub").fingerprint;
  auto by_fingerprint = RunYard(AsAdmin({"keys", "remove", fingerprint}));
  EXPECT_EQ(by_fingerprint.exit_code, 0) << by_fingerprint.stderr_data;

  Json left = ListKeys(server_->admin_token());
  ASSERT_EQ(left.size(), 1u) << left;
  EXPECT_EQ(left[0]["name"], "c");

  auto again = RunYard(AsAdmin({"keys", "remove", fingerprint}));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.stderr_data, HasSubstr("no key"));
  auto unknown = RunYard(AsAdmin({"keys", "remove", "999999"}));
  EXPECT_EQ(unknown.exit_code, 1);

  // A removed key can be added again.
  auto readd = RunYard(AsAdmin({"keys", "add", a + ".pub"}));
  EXPECT_EQ(readd.exit_code, 0) << readd.stderr_data;
}

TEST_F(KeysTest, FingerprintsWithSlashesAndPlusesCanBeRemoved) {
  // Try keys until one's fingerprint holds '/' or '+' (about 1 in 1.4 does).
  std::string fingerprint;
  for (int i = 0; i < 20 && fingerprint.find_first_of("/+") == std::string::npos; ++i) {
    std::string key = GenerateKey(keys_, "k" + std::to_string(i), "ed25519", 0, "k");
    fingerprint = KeygenFingerprint(key + ".pub").fingerprint;
    if (fingerprint.find_first_of("/+") == std::string::npos) continue;
    ASSERT_EQ(RunYard(AsAdmin({"keys", "add", key + ".pub"})).exit_code, 0);
  }
  ASSERT_NE(fingerprint.find_first_of("/+"), std::string::npos);
  auto removed = RunYard(AsAdmin({"keys", "remove", fingerprint}));
  EXPECT_EQ(removed.exit_code, 0) << removed.stderr_data;
  EXPECT_THAT(ListKeys(server_->admin_token()), IsEmpty());
}

TEST_F(KeysTest, UsersKeysAreSeparate) {
  auto created = RunYard(AsAdmin({"users", "create", "bob", "--json"}));
  ASSERT_EQ(created.exit_code, 0) << created.stderr_data;
  std::string bob = Json::parse(created.stdout_data)["secret"];

  std::string admin_key = GenerateKey(keys_, "admin", "ed25519", 0, "admin-key");
  std::string bob_key = GenerateKey(keys_, "bob", "ed25519", 0, "bob-key");
  ASSERT_EQ(RunYard(AsAdmin({"keys", "add", admin_key + ".pub"})).exit_code, 0);
  ASSERT_EQ(RunYard(As(bob, {"keys", "add", bob_key + ".pub"})).exit_code, 0);

  Json admin_keys = ListKeys(server_->admin_token());
  Json bob_keys = ListKeys(bob);
  ASSERT_EQ(admin_keys.size(), 1u);
  ASSERT_EQ(bob_keys.size(), 1u);
  EXPECT_EQ(admin_keys[0]["name"], "admin-key");
  EXPECT_EQ(bob_keys[0]["name"], "bob-key");

  // Bob cannot remove the admin's key, by id or by fingerprint.
  auto by_id = RunYard(As(bob, {"keys", "remove", std::to_string(admin_keys[0]["id"].get<int64_t>())}));
  EXPECT_EQ(by_id.exit_code, 1);
  auto by_fingerprint =
      RunYard(As(bob, {"keys", "remove", admin_keys[0]["fingerprint"].get<std::string>()}));
  EXPECT_EQ(by_fingerprint.exit_code, 1);
  EXPECT_EQ(ListKeys(server_->admin_token()).size(), 1u);

  // One key identifies one user: bob cannot claim the admin's key.
  auto claim = RunYard(As(bob, {"keys", "add", admin_key + ".pub"}));
  EXPECT_EQ(claim.exit_code, 1);
  EXPECT_THAT(claim.stderr_data, HasSubstr("another user"));
  EXPECT_THAT(claim.stderr_data, Not(HasSubstr("admin-key")));
  EXPECT_EQ(ListKeys(bob).size(), 1u);
}

}  // namespace
}  // namespace yard
