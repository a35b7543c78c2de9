// `yard stack validate`, run as a user would: on a directory, with every error listed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "testing/temp_dir.h"
#include "testing/yard_server.h"

namespace yard {
namespace {

using ::testing::HasSubstr;
using testing::RunYard;

class StackValidateTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    std::string full = dir_.File(path);
    ASSERT_TRUE(fs::CreateDirectories(full.substr(0, full.rfind('/'))));
    ASSERT_TRUE(fs::AtomicWriteFile(full, text));
  }
  testing::TempDir dir_;
};

TEST_F(StackValidateTest, AValidStackIsSummarised) {
  Write("stackyard.yaml", "version: 1\ncomponents:\n  - id: web\n    port: 3000\naddons:\n"
                          "  - id: db\n    catalog: postgres\n");
  Write("web/Dockerfile", "FROM debian:bookworm-slim\n");
  auto result = RunYard({"stack", "validate", dir_.path()});
  EXPECT_EQ(result.exit_code, 0) << result.stdout_data << result.stderr_data;
  EXPECT_THAT(result.stdout_data, HasSubstr("is valid: 1 component, 1 add-on"));
}

TEST_F(StackValidateTest, EveryErrorIsPrintedWithLineAndColumn) {
  Write("stackyard.yaml",
        "version: 1\n"
        "components:\n"
        "  - id: web\n"
        "    port: 70000\n"
        "    endpoint: x\n"
        "  - id: web\n");
  auto result = RunYard({"stack", "validate", dir_.File("stackyard.yaml")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stdout_data, HasSubstr("stackyard.yaml:4:11: component \"web\": port must be "
                                            "1..65535, got 70000"));
  EXPECT_THAT(result.stdout_data, HasSubstr("stackyard.yaml:5:5:"));
  EXPECT_THAT(result.stdout_data, HasSubstr("did you mean \"endpoints\"?"));
  EXPECT_THAT(result.stdout_data, HasSubstr("stackyard.yaml:6:"));
  EXPECT_THAT(result.stdout_data, HasSubstr("does not exist in the repository"));
  EXPECT_THAT(result.stderr_data, HasSubstr("yard: error: "));

  auto json = RunYard({"stack", "validate", dir_.path(), "--json"});
  EXPECT_EQ(json.exit_code, 1);
  auto document = nlohmann::json::parse(json.stdout_data, nullptr, false);
  ASSERT_TRUE(document.is_object()) << json.stdout_data;
  EXPECT_EQ(document["valid"], false);
  EXPECT_GE(document["diagnostics"].size(), 4u);
  EXPECT_EQ(document["diagnostics"][0]["line"], 3);  // folder web/ is missing
}

TEST_F(StackValidateTest, MissingManifestAndSyntaxErrors) {
  auto missing = RunYard({"stack", "validate", dir_.path()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.stderr_data, HasSubstr("stackyard.yaml"));
  Write("stackyard.yaml", "version: 1\ncomponents: [\n");
  auto broken = RunYard({"stack", "validate", dir_.path()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.stdout_data, HasSubstr("stackyard.yaml:"));
}

}  // namespace
}  // namespace yard
