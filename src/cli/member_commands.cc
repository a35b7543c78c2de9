// `yard projects members|protect|unprotect|pushes`: who may use a project, which branches
// pushes may not rewrite, and what was pushed.

#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

std::string ProjectPath(const std::string& name) {
  return "/api/v1/projects/" + http::PercentEncode(name);
}

std::string Short(const Json& commit) {
  return commit.is_string() ? commit.get<std::string>().substr(0, 12) : "";
}

// "main, release/* (force-pushes refused, deletions allowed)", or a sentence for none.
std::string DescribeProtection(const Json& project) {
  std::vector<std::string> branches =
      project.value("protected_branches", std::vector<std::string>{});
  if (branches.empty()) return "no protected branches";
  std::string list;
  for (const std::string& branch : branches) list += (list.empty() ? "" : ", ") + branch;
  return fmt::format("{} (force-pushes {}, deletions {})", list,
                     project.value("deny_force_push", true) ? "refused" : "allowed",
                     project.value("deny_delete", true) ? "refused" : "allowed");
}

Status ListMembers(Invocation& invocation, const std::string& project) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(ProjectPath(project) + "/members"));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"USER", "ROLE", "ADDED"});
  for (const Json& member : listed["members"]) {
    table.AddRow({Cell(member, "user"), Cell(member, "role"), Cell(member, "added_at")});
  }
  table.Print("No members.");
  return Ok();
}

Status AddMember(Invocation& invocation, const std::string& project, const std::string& user,
                 const std::string& role) {
  ApiClient client = TRY(Connect(invocation));
  Json member =
      TRY(client.Post(ProjectPath(project) + "/members", {{"user", user}, {"role", role}}));
  if (invocation.json) {
    PrintJson(member);
  } else {
    std::printf("%s is %s of %s.\n", Cell(member, "user").c_str(),
                Cell(member, "role") == "owner" ? "an owner" : "a member", project.c_str());
  }
  return Ok();
}

Status RemoveMember(Invocation& invocation, const std::string& project, const std::string& user) {
  ApiClient client = TRY(Connect(invocation));
  TRY(client.Delete(ProjectPath(project) + "/members/" + http::PercentEncode(user)));
  if (invocation.json) {
    PrintJson({{"removed", user}, {"project", project}});
  } else {
    std::printf("Removed %s from %s.\n", user.c_str(), project.c_str());
  }
  return Ok();
}

Status PatchProject(Invocation& invocation, const std::string& project, const Json& body) {
  ApiClient client = TRY(Connect(invocation));
  Json updated = TRY(client.Call("PATCH", ProjectPath(project), &body));
  if (invocation.json) {
    PrintJson(updated);
  } else {
    std::printf("%s: %s.\n", project.c_str(), DescribeProtection(updated).c_str());
  }
  return Ok();
}

struct ProtectFlags {
  std::string project;
  std::vector<std::string> branches;
  bool allow_force_push = false;
  bool allow_delete = false;
};

Status Protect(Invocation& invocation, const ProtectFlags& flags) {
  ApiClient client = TRY(Connect(invocation));
  Json current = TRY(client.Get(ProjectPath(flags.project)));
  std::vector<std::string> branches =
      current.value("protected_branches", std::vector<std::string>{});
  for (const std::string& branch : flags.branches) {
    if (std::find(branches.begin(), branches.end(), branch) == branches.end()) {
      branches.push_back(branch);
    }
  }
  return PatchProject(invocation, flags.project,
                      {{"protected_branches", branches},
                       {"deny_force_push", !flags.allow_force_push},
                       {"deny_delete", !flags.allow_delete}});
}

Status Unprotect(Invocation& invocation, const ProtectFlags& flags) {
  std::vector<std::string> branches;
  if (!flags.branches.empty()) {
    ApiClient client = TRY(Connect(invocation));
    Json current = TRY(client.Get(ProjectPath(flags.project)));
    auto protected_now = current.value("protected_branches", std::vector<std::string>{});
    auto named = [&flags](const std::string& branch) {
      return std::find(flags.branches.begin(), flags.branches.end(), branch) !=
             flags.branches.end();
    };
    for (const std::string& branch : flags.branches) {
      if (std::find(protected_now.begin(), protected_now.end(), branch) == protected_now.end()) {
        return Unexpected(ErrorCode::kNotFound,
                          fmt::format("'{}' is not protected in {}: {}; name entries of that "
                                      "list, or none to unprotect them all",
                                      branch, flags.project, DescribeProtection(current)));
      }
    }
    for (const std::string& branch : protected_now) {
      if (!named(branch)) branches.push_back(branch);
    }
  }
  return PatchProject(invocation, flags.project, {{"protected_branches", branches}});
}

Status Pushes(Invocation& invocation, const std::string& project, int limit) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(fmt::format("{}/pushes?limit={}", ProjectPath(project), limit)));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"PUSHED", "USER", "REF", "CHANGE"});
  for (const Json& push : listed["pushes"]) {
    std::string change;
    if (push["old_commit"].is_null()) {
      change = "created at " + Short(push["new_commit"]);
    } else if (push["new_commit"].is_null()) {
      change = "deleted (was " + Short(push["old_commit"]) + ")";
    } else {
      change = Short(push["old_commit"]) + ".." + Short(push["new_commit"]);
      if (push.value("forced", false)) change += " (forced)";
    }
    table.AddRow({Cell(push, "pushed_at"), Cell(push, "user"), Cell(push, "ref"), change});
  }
  table.Print(
      fmt::format("No pushes to {} yet. Push with "
                  "`git push ssh://git@HOST:PORT/{}.git BRANCH`.",
                  project, project));
  return Ok();
}

struct MemberFlags {
  std::string project;
  std::string user;
  std::string role = "member";
  int limit = 20;
};

}  // namespace

void AddMemberCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* projects = app.get_subcommand("projects");
  auto flags = std::make_shared<MemberFlags>();
  auto protect_flags = std::make_shared<ProtectFlags>();

  auto* members = projects->add_subcommand(
      "members", "Who may use a project: owners manage it, members deploy and push");
  members->require_subcommand(1);
  auto* list = members->add_subcommand("list", "List a project's members and their roles");
  list->add_option("project", flags->project, "The project")->required();
  list->callback(
      [&invocation, flags] { invocation.status = ListMembers(invocation, flags->project); });

  auto* add = members->add_subcommand(
      "add", "Add a user to a project, or change a member's role (owners and admins)");
  add->add_option("project", flags->project, "The project")->required();
  add->add_option("user", flags->user, "An existing user (`yard users list`)")->required();
  add->add_option("--role", flags->role,
                  "owner: manages members and settings; member: deploys and pushes")
      ->check(CLI::IsMember({"owner", "member"}))
      ->capture_default_str();
  add->callback([&invocation, flags] {
    invocation.status = AddMember(invocation, flags->project, flags->user, flags->role);
  });

  auto* remove = members->add_subcommand(
      "remove", "Remove a user from a project (owners and admins; the last owner stays)");
  remove->add_option("project", flags->project, "The project")->required();
  remove->add_option("user", flags->user, "The member")->required();
  remove->callback([&invocation, flags] {
    invocation.status = RemoveMember(invocation, flags->project, flags->user);
  });

  auto* protect = projects->add_subcommand(
      "protect", "Protect branches from force-pushes and deletion over SSH (owners and admins)");
  protect->footer(
      "BRANCH is a name or a glob: `release/*` (one level), `release/**` (any depth). The "
      "branches are added to those already protected. The two flags apply to every protected "
      "branch of the project; without them, force-pushes and deletions are refused.\n"
      "Example: yard projects protect shop main 'release/*'");
  protect->add_option("project", protect_flags->project, "The project")->required();
  protect->add_option("branches", protect_flags->branches, "Branch names or globs")->required();
  protect->add_flag("--allow-force-push", protect_flags->allow_force_push,
                    "Let pushes rewrite the protected branches' history");
  protect->add_flag("--allow-delete", protect_flags->allow_delete,
                    "Let pushes delete the protected branches");
  protect->callback(
      [&invocation, protect_flags] { invocation.status = Protect(invocation, *protect_flags); });

  auto* unprotect = projects->add_subcommand(
      "unprotect", "Stop protecting branches; all of them when none is named");
  unprotect->add_option("project", protect_flags->project, "The project")->required();
  unprotect->add_option("branches", protect_flags->branches,
                        "Protected names or globs, as `yard projects show` lists them");
  unprotect->callback(
      [&invocation, protect_flags] { invocation.status = Unprotect(invocation, *protect_flags); });

  auto* pushes = projects->add_subcommand("pushes", "Show the latest pushes over SSH");
  pushes->add_option("project", flags->project, "The project")->required();
  pushes->add_option("--limit", flags->limit, "How many ref changes to show, newest first")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  pushes->callback([&invocation, flags] {
    invocation.status = Pushes(invocation, flags->project, flags->limit);
  });
}

}  // namespace yard::cli
