#include "store/preview_branches.h"

namespace yard::store {

Result<std::map<std::string, std::string>> PreviewBranchStore::Heads(int64_t project_id) {
  auto lock = db_.Lock();
  auto query = TRY(db_.Prepare("SELECT branch, head FROM preview_branches WHERE project_id = ?"));
  query.BindAll(project_id);
  std::map<std::string, std::string> heads;
  while (TRY(query.Step())) heads[query.ColumnText(0)] = query.ColumnText(1);
  return heads;
}

Status PreviewBranchStore::Record(int64_t project_id, const std::string& branch,
                                  const std::string& head) {
  auto lock = db_.Lock();
  auto upsert = TRY(db_.Prepare(
      "INSERT INTO preview_branches (project_id, branch, head) VALUES (?, ?, ?) "
      "ON CONFLICT (project_id, branch) DO UPDATE SET head = excluded.head"));
  return upsert.BindAll(project_id, branch, head).Run();
}

Status PreviewBranchStore::Forget(int64_t project_id, const std::string& branch) {
  auto lock = db_.Lock();
  auto remove =
      TRY(db_.Prepare("DELETE FROM preview_branches WHERE project_id = ? AND branch = ?"));
  return remove.BindAll(project_id, branch).Run();
}

Status PreviewBranchStore::Reset(int64_t project_id,
                                 const std::map<std::string, std::string>& heads) {
  auto transaction = TRY(db_.Begin());
  auto clear = TRY(db_.Prepare("DELETE FROM preview_branches WHERE project_id = ?"));
  TRY(clear.BindAll(project_id).Run());
  for (const auto& [branch, head] : heads) TRY(Record(project_id, branch, head));
  return transaction.Commit();
}

}  // namespace yard::store
