#include "cli/output.h"

#include <gtest/gtest.h>

namespace yard::cli {
namespace {

TEST(OutputTest, TablesAlignColumnsByDisplayWidth) {
  Table table({"ID", "NAME", "PREFIX"});
  table.AddRow({"1", "admin.token", "yard_abcd…"});
  table.AddRow({"22", "ci", "yard_efgh…"});
  ::testing::internal::CaptureStdout();
  table.Print("nothing");
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out,
            "ID  NAME         PREFIX\n"
            "1   admin.token  yard_abcd…\n"
            "22  ci           yard_efgh…\n");
}

TEST(OutputTest, EmptyTablesPrintTheMessage) {
  Table table({"A"});
  ::testing::internal::CaptureStdout();
  table.Print("No keys.");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "No keys.\n");
}

TEST(OutputTest, CellsShowNullAsDash) {
  nlohmann::json object = {{"s", "text"}, {"n", 3}, {"null", nullptr}};
  EXPECT_EQ(Cell(object, "s"), "text");
  EXPECT_EQ(Cell(object, "n"), "3");
  EXPECT_EQ(Cell(object, "null"), "-");
  EXPECT_EQ(Cell(object, "absent"), "-");
}

}  // namespace
}  // namespace yard::cli

namespace yard::cli {
namespace {

TEST(OutputTest, EmptyTrailingCellsLeaveNoTrailingSpaces) {
  Table table({"ID", "NOTE"});
  table.AddRow({"1", ""});
  ::testing::internal::CaptureStdout();
  table.Print("");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "ID  NOTE\n1\n");
}

}  // namespace
}  // namespace yard::cli
