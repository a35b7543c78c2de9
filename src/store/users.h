#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

enum class Role { kAdmin, kUser };

std::string_view RoleName(Role role);
/// "admin" or "user"; kInvalidArgument otherwise.
Result<Role> ParseRole(std::string_view name);

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kUser;
  int64_t created_at = 0;
};

/// Reads a user from the columns id, name, role, created_at of `row`, starting at column
/// `first`: for queries that join users with another table.
User ReadUserColumns(const Statement& row, int first);

/// The users table. Names are validated by the caller (base/names.h). Thread-safe.
class UserStore {
 public:
  UserStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// kAlreadyExists when the name is taken.
  Result<User> Create(const std::string& name, Role role);
  /// kNotFound when absent.
  Result<User> Get(int64_t id);
  Result<User> FindByName(const std::string& name);
  Result<std::vector<User>> List();
  Result<int64_t> Count();
  /// The user's password hash (auth/password.h); nullopt when they have none. kNotFound when
  /// the user is absent.
  Result<std::optional<std::string>> PasswordHash(int64_t user_id);
  /// Sets (or with nullopt removes) the user's password hash. kNotFound when absent.
  Status SetPasswordHash(int64_t user_id, const std::optional<std::string>& hash);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store
