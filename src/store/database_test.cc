#include "store/database.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "testing/temp_dir.h"

namespace yard::store {
namespace {

int64_t CountRows(Database& db) {
  auto lock = db.Lock();
  auto query = MUST(db.Prepare("SELECT count(*) FROM items"));
  EXPECT_TRUE(*query.Step());
  return query.ColumnInt(0);
}

Status Insert(Database& db, const std::string& name) {
  auto lock = db.Lock();
  auto insert = TRY(db.Prepare("INSERT INTO items (name) VALUES (?)"));
  return insert.Bind(1, name).Run();
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = MUST(Database::Open(dir_.File("test.db")));
    MUST(db_->Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, note TEXT)"));
  }
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, OpensInWalModeWithForeignKeys) {
  auto lock = db_->Lock();
  auto mode = MUST(db_->Prepare("PRAGMA journal_mode"));
  ASSERT_TRUE(*mode.Step());
  EXPECT_EQ(mode.ColumnText(0), "wal");
  auto keys = MUST(db_->Prepare("PRAGMA foreign_keys"));
  ASSERT_TRUE(*keys.Step());
  EXPECT_EQ(keys.ColumnInt(0), 1);
}

TEST_F(DatabaseTest, BindsAndReadsColumns) {
  {
    auto lock = db_->Lock();
    auto insert = MUST(db_->Prepare("INSERT INTO items (name, note) VALUES (?, ?)"));
    ASSERT_TRUE(insert.BindAll(std::string("a"), std::optional<std::string>()).Run());
  }
  auto lock = db_->Lock();
  auto query = MUST(db_->Prepare("SELECT id, name, note FROM items"));
  ASSERT_TRUE(*query.Step());
  EXPECT_EQ(query.ColumnInt(0), 1);
  EXPECT_EQ(query.ColumnText(1), "a");
  EXPECT_TRUE(query.ColumnIsNull(2));
  EXPECT_EQ(query.ColumnOptionalInt(2), std::nullopt);
  EXPECT_FALSE(*query.Step());
}

TEST_F(DatabaseTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(Insert(*db_, "a"));
  Status again = Insert(*db_, "a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(DatabaseTest, SyntaxErrorIsReported) {
  auto lock = db_->Lock();
  auto bad = db_->Prepare("SELEC nonsense");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("syntax"), std::string::npos);
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  {
    auto transaction = MUST(db_->Begin());
    ASSERT_TRUE(Insert(*db_, "dropped"));
  }
  EXPECT_EQ(CountRows(*db_), 0);
  {
    auto transaction = MUST(db_->Begin());
    ASSERT_TRUE(Insert(*db_, "kept"));
    ASSERT_TRUE(transaction.Commit());
  }
  EXPECT_EQ(CountRows(*db_), 1);
}

TEST_F(DatabaseTest, NestedTransactionsAreSavepoints) {
  auto outer = MUST(db_->Begin());
  ASSERT_TRUE(Insert(*db_, "outer"));
  {
    auto inner = MUST(db_->Begin());
    ASSERT_TRUE(Insert(*db_, "inner-dropped"));
  }
  {
    auto inner = MUST(db_->Begin());
    ASSERT_TRUE(Insert(*db_, "inner-kept"));
    ASSERT_TRUE(inner.Commit());
  }
  ASSERT_TRUE(outer.Commit());
  EXPECT_EQ(CountRows(*db_), 2);
}

TEST_F(DatabaseTest, SurvivesReopen) {
  ASSERT_TRUE(Insert(*db_, "persisted"));
  db_.reset();
  db_ = MUST(Database::Open(dir_.File("test.db")));
  EXPECT_EQ(CountRows(*db_), 1);
}

TEST_F(DatabaseTest, WaitsForAWriterInAnotherConnection) {
  // A second connection (as another process would have) holds the write lock briefly; Begin
  // on ours must wait for it rather than fail.
  auto other = MUST(Database::Open(dir_.File("test.db")));
  std::promise<void> holding;
  std::thread releaser([&] {
    auto held = MUST(other->Begin());
    holding.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    MUST(held.Commit());
  });
  holding.get_future().wait();
  auto transaction = db_->Begin();
  releaser.join();
  ASSERT_TRUE(transaction) << transaction.error().message;
  ASSERT_TRUE(Insert(*db_, "after-wait"));
  ASSERT_TRUE(transaction->Commit());
  EXPECT_EQ(CountRows(*db_), 1);
}

TEST(DatabaseOpenTest, UnopenablePathIsAnIoError) {
  auto db = Database::Open("/nonexistent-dir/for/sure/test.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace yard::store
