#include "server/bootstrap.h"

#include "auth/credentials.h"
#include "base/fs.h"
#include "base/log.h"

namespace yard::server {

Status BootstrapAdmin(store::Database& db, store::UserStore& users, store::ApiTokenStore& tokens,
                      const std::string& token_path) {
  auto transaction = TRY(db.Begin());
  if (TRY(users.Count()) > 0) return Ok();
  store::User admin = TRY(users.Create("admin", store::Role::kAdmin));
  auto issued = TRY(auth::IssueToken(tokens, admin.id, "admin.token", std::nullopt));
  TRY_CTX(fs::AtomicWriteFile(token_path, issued.secret + "\n", 0600), "write admin token");
  TRY(transaction.Commit());
  log::Info("created user 'admin'; its API token is in {}", token_path);
  return Ok();
}

}  // namespace yard::server
