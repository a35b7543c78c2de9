#include <chrono>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

// Creating or refreshing a project clones or fetches its source: allow for large repositories.
constexpr std::chrono::minutes kMirrorTimeout{11};

std::string ProjectPath(const std::string& name) {
  return "/api/v1/projects/" + http::PercentEncode(name);
}

std::string Short(const std::string& commit) { return commit.substr(0, 12); }

// Prints a project with its branches and the manifest's state at each head.
void PrintDetails(const Json& project) {
  const Json& source = project["source"];
  std::printf("Project %s\n", Cell(project, "name").c_str());
  std::printf("  source     %s%s\n", Cell(source, "kind").c_str(),
              source["url"].is_null() ? " (push to it)" : (" " + Cell(source, "url")).c_str());
  if (!project["refreshed_at"].is_null()) {
    std::printf("  refreshed  %s%s\n", Cell(project, "refreshed_at").c_str(),
                project["refresh_error"].is_null()
                    ? ""
                    : (" (failed: " + Cell(project, "refresh_error") + ")").c_str());
  }
  if (!project.value("protected_branches", Json::array()).empty()) {
    std::string list;
    for (const Json& branch : project["protected_branches"]) {
      list += (list.empty() ? "" : ", ") + branch.get<std::string>();
    }
    std::printf("  protected  %s (force-pushes %s, deletions %s)\n", list.c_str(),
                project.value("deny_force_push", true) ? "refused" : "allowed",
                project.value("deny_delete", true) ? "refused" : "allowed");
  }
  if (const Json& previews = project.value("previews", Json()); previews.is_object()) {
    std::printf("  previews   %s in stage %s, deleted %s after the branch's last push\n",
                Cell(previews, "pattern").c_str(), Cell(previews, "stage").c_str(),
                Cell(previews, "expire_after").c_str());
  }
  if (project["branches"].empty()) {
    std::printf("\nNo branches yet.\n");
    return;
  }
  std::printf("\n");
  Table table({"BRANCH", "COMMIT", "MANIFEST", "COMMITTED", "SUBJECT"});
  for (const Json& branch : project["branches"]) {
    table.AddRow({Cell(branch, "name"), Short(Cell(branch, "commit")),
                  Cell(branch["manifest"], "state"), Cell(branch, "committed_at"),
                  Cell(branch, "subject")});
  }
  table.Print("");
  for (const Json& branch : project["branches"]) {
    const Json& diagnostics = branch["manifest"]["diagnostics"];
    if (diagnostics.empty()) continue;
    std::printf("\n%s:\n", Cell(branch, "name").c_str());
    for (const Json& diagnostic : diagnostics) std::printf("  %s\n", Cell(diagnostic, "text").c_str());
  }
}

Status Create(Invocation& invocation, const std::string& name, const std::string& source) {
  ApiClient client = TRY(Connect(invocation));
  client.set_timeout(kMirrorTimeout);
  Json body = {{"name", name}};
  if (!source.empty()) body["source"] = source;
  if (!invocation.json && !source.empty()) {
    std::fprintf(stderr, "Mirroring %s…\n", source.c_str());
  }
  Json project = TRY(client.Post("/api/v1/projects", body));
  if (invocation.json) {
    PrintJson(project);
  } else {
    PrintDetails(project);
  }
  return Ok();
}

Status List(Invocation& invocation) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get("/api/v1/projects"));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"NAME", "SOURCE", "URL", "REFRESHED", "CREATED"});
  for (const Json& project : listed["projects"]) {
    table.AddRow({Cell(project, "name"), Cell(project["source"], "kind"),
                  Cell(project["source"], "url"),
                  project["refresh_error"].is_null() ? Cell(project, "refreshed_at") : "failed",
                  Cell(project, "created_at")});
  }
  table.Print("No projects. Create one with `yard projects create NAME --from URL`.");
  return Ok();
}

Status Show(Invocation& invocation, const std::string& name, bool refresh) {
  ApiClient client = TRY(Connect(invocation));
  client.set_timeout(kMirrorTimeout);
  Json project = refresh ? TRY(client.Post(ProjectPath(name) + "/refresh", Json::object()))
                         : TRY(client.Get(ProjectPath(name)));
  if (invocation.json) {
    PrintJson(project);
  } else {
    PrintDetails(project);
  }
  return Ok();
}

Status Delete(Invocation& invocation, const std::string& name, bool confirmed) {
  if (!confirmed) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("deleting project '{}' removes its repository on the server; "
                                  "run again with --yes to confirm",
                                  name));
  }
  ApiClient client = TRY(Connect(invocation));
  TRY(client.Delete(ProjectPath(name)));
  if (invocation.json) {
    PrintJson({{"deleted", name}});
  } else {
    std::printf("Deleted project %s.\n", name.c_str());
  }
  return Ok();
}

struct ProjectFlags {
  std::string name;
  std::string source;
  bool yes = false;
};

}  // namespace

void AddProjectCommands(CLI::App& app, Invocation& invocation) {
  auto* projects = app.add_subcommand("projects", "Manage projects: Git repositories with a stack");
  projects->require_subcommand(1);
  auto flags = std::make_shared<ProjectFlags>();

  auto* create = projects->add_subcommand("create", "Create a project");
  create->add_option("name", flags->name, "Lowercase letters, digits and '-'")->required();
  create->add_option("--from", flags->source,
                     "Git URL to mirror (https://, ssh://, git@host:path), or a path on the "
                     "server (admins). Without it the project is an empty repository to push to");
  create->callback([&invocation, flags] {
    invocation.status = Create(invocation, flags->name, flags->source);
  });

  auto* list = projects->add_subcommand("list", "List the projects you can see");
  list->callback([&invocation] { invocation.status = List(invocation); });

  auto* show = projects->add_subcommand(
      "show", "Show a project's branches and whether the manifest at each head is valid");
  show->add_option("name", flags->name, "The project")->required();
  show->callback([&invocation, flags] { invocation.status = Show(invocation, flags->name, false); });

  auto* refresh = projects->add_subcommand("refresh", "Fetch a mirrored project's source now");
  refresh->add_option("name", flags->name, "The project")->required();
  refresh->callback([&invocation, flags] {
    invocation.status = Show(invocation, flags->name, true);
  });

  auto* remove = projects->add_subcommand("delete", "Delete a project and its repository");
  remove->add_option("name", flags->name, "The project")->required();
  remove->add_flag("--yes", flags->yes, "Confirm the deletion");
  remove->callback([&invocation, flags] {
    invocation.status = Delete(invocation, flags->name, flags->yes);
  });
}

}  // namespace yard::cli
