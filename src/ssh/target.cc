#include "ssh/target.h"

#include <fmt/core.h>

#include <vector>

#include "base/names.h"

namespace yard::ssh {
namespace {

constexpr std::string_view kForms =
    "use DEPLOYMENT.PROJECT (its primary component), COMPONENT.DEPLOYMENT.PROJECT, or git";

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? text.npos : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

}  // namespace

Result<SshTarget> ParseSshUser(std::string_view user) {
  if (user == kGitUser) return SshTarget{.kind = SshTarget::Kind::kGit};
  // Shown back to the user: keep hostile input short and printable.
  std::string shown;
  for (char c : user.substr(0, 80)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  std::vector<std::string_view> parts = Split(user);
  if (parts.size() < 2 || parts.size() > 3) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' names no deployment: {}", shown, kForms));
  }
  SshTarget target;
  size_t i = 0;
  if (parts.size() == 3) target.component = std::string(parts[i++]);
  target.deployment = std::string(parts[i++]);
  target.project = std::string(parts[i]);
  auto check = [&](const std::string& name, std::string_view what) -> Status {
    if (Status valid = ValidateName(name, what); !valid) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}': {}; {}", shown, valid.error().message, kForms));
    }
    return Ok();
  };
  if (parts.size() == 3) TRY(check(target.component, "component"));
  TRY(check(target.deployment, "deployment name"));
  TRY(check(target.project, "project name"));
  return target;
}

std::string SshUser(const SshTarget& target) {
  if (target.kind == SshTarget::Kind::kGit) return std::string(kGitUser);
  if (target.component.empty()) return fmt::format("{}.{}", target.deployment, target.project);
  return fmt::format("{}.{}.{}", target.component, target.deployment, target.project);
}

}  // namespace yard::ssh
