// `yard trash list|restore|purge`: deleted deployments kept for restoring; `yard deployments
// delete` (with its confirmation and where the data went), and `yard deployments
// enable|disable`. docs/deployments.md "Deleting and restoring", "Enabling, disabling and
// auto-stop".

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"
#include "manifest/durations.h"

namespace yard::cli {
namespace {

std::string TrashPath(const std::string& project) {
  return fmt::format("/api/v1/projects/{}/trash", http::PercentEncode(project));
}

std::string Retention(const Json& listed) {
  return manifest::FormatDuration(listed.value("retention_seconds", int64_t{0}));
}

// The newest entry of the deployment named `name`, or null.
Json NewestEntry(const Json& listed, const std::string& name) {
  for (const Json& entry : listed["trash"]) {
    if (entry.value("name", "") == name) return entry;
  }
  return nullptr;
}

struct TrashFlags {
  std::string project;
  std::string entry;  // an id or a deployment name
  std::string name;   // restore --name
  bool wait = false;
  int timeout = 600;
  bool yes = false;
};

Status List(Invocation& invocation, const TrashFlags& flags) {
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(TrashPath(flags.project)));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"ID", "NAME", "STAGE", "DELETED", "BY", "PURGED AT", "DATA"});
  for (const Json& entry : listed["trash"]) {
    table.AddRow({Cell(entry, "id"), Cell(entry, "name"), Cell(entry, "stage"),
                  Cell(entry, "deleted_at"), Cell(entry, "deleted_by"), Cell(entry, "purge_at"),
                  entry.value("has_data", false) ? "yes" : "none kept"});
  }
  table.Print(fmt::format("The trash of {} is empty. Deleted deployments are kept there for {}.",
                          flags.project, Retention(listed)));
  if (!listed["trash"].empty()) {
    std::printf("\n`yard trash restore %s ID` brings one back; entries go for good at their purge "
                "time.\n",
                flags.project.c_str());
  }
  return Ok();
}

Status Restore(Invocation& invocation, const TrashFlags& flags) {
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  if (!flags.name.empty()) body["name"] = flags.name;
  Json answer = TRY(client.Post(fmt::format("{}/{}/restore", TrashPath(flags.project),
                                            http::PercentEncode(flags.entry)),
                                body));
  DeploymentTarget target{flags.project, Cell(answer["deployment"], "name")};
  if (!invocation.json) {
    std::printf("Restored %s/%s %s; it is being started.\n", target.project.c_str(),
                target.deployment.c_str(),
                answer.value("data", false) ? "with its volumes" : "without volumes");
    for (const Json& domain : answer["domains"]) {
      std::printf("  domain %s restored\n", domain.get<std::string>().c_str());
    }
    for (const Json& note : answer["notes"]) {
      std::printf("  note: %s\n", note.get<std::string>().c_str());
    }
  }
  if (flags.wait) {
    if (!invocation.json) std::fprintf(stderr, "Waiting for %s/%s…\n", target.project.c_str(),
                                       target.deployment.c_str());
    answer["deployment"] = TRY(WaitForDeployment(client, target,
                                                 std::chrono::seconds(flags.timeout),
                                                 invocation.json));
  }
  if (invocation.json) {
    PrintJson(answer);
  } else {
    std::printf("\n");
    PrintDeploymentView(answer["deployment"]);
  }
  return Ok();
}

Status Purge(Invocation& invocation, const TrashFlags& flags) {
  if (!flags.yes) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("purging {} from the trash of {} removes its volumes for good; "
                                  "run again with --yes to confirm",
                                  flags.entry, flags.project));
  }
  ApiClient client = TRY(Connect(invocation));
  Json answer = TRY(client.Delete(
      fmt::format("{}/{}", TrashPath(flags.project), http::PercentEncode(flags.entry))));
  if (invocation.json) {
    PrintJson(answer);
  } else {
    std::printf("Purged %s (entry %s) from the trash of %s: its volumes are gone.\n",
                Cell(answer["purged"], "name").c_str(), Cell(answer["purged"], "id").c_str(),
                flags.project.c_str());
  }
  return Ok();
}

// A deployment that is not of a development stage holds data that matters (production,
// staging): deleting it takes its name typed on a terminal, or --yes.
Status Confirm(const DeploymentTarget& target, const Json& d, bool yes) {
  std::string kind = d.value("stage_kind", Json()).is_string() ? Cell(d, "stage_kind") : "";
  if (yes || kind == "dev") return Ok();
  std::string what = fmt::format("{}/{} (stage {})", target.project, target.deployment,
                                 Cell(d, "stage"));
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("deleting {} needs confirmation: run it on a terminal, or pass "
                                  "--yes",
                                  what));
  }
  std::fprintf(stderr,
               "Deleting %s stops it and moves its volumes to the server's trash.\n"
               "Type the deployment's name to confirm: ",
               what.c_str());
  std::string typed;
  std::getline(std::cin, typed);
  if (typed != target.deployment) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("'{}' is not '{}': nothing was deleted", typed,
                                  target.deployment));
  }
  return Ok();
}

}  // namespace

Status DeleteDeployment(Invocation& invocation, const std::string& text, bool yes, bool wait,
                        int timeout) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(text));
  ApiClient client = TRY(Connect(invocation));
  Json d = TRY(client.Get(DeploymentPath(target)));
  TRY(Confirm(target, d, yes));
  TRY(client.Delete(DeploymentPath(target)));
  if (wait) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    while (true) {
      auto found = client.Get(DeploymentPath(target));
      if (!found && found.error().code == ErrorCode::kNotFound) break;
      if (!found) return Unexpected(found.error());
      if (std::chrono::steady_clock::now() > deadline) {
        return Unexpected(ErrorCode::kTimeout, "the deployment is still being deleted");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  // Where the data went: the entry exists once the controller has moved the volumes (before
  // that, the newest entry of that name would be an older one's).
  auto listed = client.Get(TrashPath(target.project));
  Json entry = listed && wait ? NewestEntry(*listed, target.deployment) : Json(nullptr);
  if (invocation.json) {
    PrintJson({{"deleted", text}, {"trash", entry}});
    return Ok();
  }
  std::printf(wait ? "Deleted %s.\n" : "Deleting %s.\n", text.c_str());
  if (entry.is_object()) {
    std::printf("Its volumes are in the server's trash (%s) until %s.\n"
                "`yard trash restore %s %s` brings it back until then.\n",
                Cell(entry, "path").c_str(), Cell(entry, "purge_at").c_str(),
                target.project.c_str(), Cell(entry, "id").c_str());
  } else if (listed) {
    std::printf("Its volumes go to the server's trash for %s; `yard trash restore %s %s` brings "
                "it back until then.\n",
                Retention(*listed).c_str(), target.project.c_str(), target.deployment.c_str());
  }
  return Ok();
}

namespace {

struct EnableFlags {
  std::string target;
  std::string run_for;
  bool wait = false;
  int timeout = 600;
};

Status Enable(Invocation& invocation, const EnableFlags& flags, bool enable) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json body = Json::object();
  if (!flags.run_for.empty()) body["for"] = flags.run_for;
  Json d = TRY(client.Post(DeploymentPath(target) + (enable ? "/enable" : "/disable"), body));
  if (enable && flags.wait) {
    if (!invocation.json) std::fprintf(stderr, "Waiting for %s/%s…\n", target.project.c_str(),
                                       target.deployment.c_str());
    d = TRY(WaitForDeployment(client, target, std::chrono::seconds(flags.timeout),
                              invocation.json));
  }
  if (invocation.json) {
    PrintJson(d);
    return Ok();
  }
  if (!enable) {
    std::printf("Disabled: nothing runs; its storage is kept. `yard deployments enable %s` runs "
                "it again.\n\n",
                flags.target.c_str());
  } else if (d["stop_at"].is_string()) {
    std::printf("Enabled; it stops by itself at %s (`--for` with another time, or `--for "
                "never`, changes that).\n\n",
                Cell(d, "stop_at").c_str());
  } else {
    std::printf("Enabled until stopped.\n\n");
  }
  PrintDeploymentView(d);
  return Ok();
}

}  // namespace

void AddTrashCommands(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<TrashFlags>();
  auto* trash = app.add_subcommand(
      "trash",
      "Deleted deployments, kept with their volumes for the server's retention (7 days unless "
      "the server says otherwise): list, restore, purge");
  trash->require_subcommand(1);

  auto* list = trash->add_subcommand("list", "List a project's deleted deployments");
  list->add_option("project", flags->project, "The project")->required();
  list->callback([&invocation, flags] { invocation.status = List(invocation, *flags); });

  auto* restore = trash->add_subcommand(
      "restore",
      "Bring a deleted deployment back, with its volumes, generated values and the custom "
      "domains still free, and start it");
  restore->add_option("project", flags->project, "The project")->required();
  restore->add_option("entry", flags->entry,
                      "The entry's ID (`yard trash list`), or a deployment name: its newest entry")
      ->required();
  restore->add_option("--name", flags->name,
                      "Restore under this name (default: the name it had; it must be free)");
  restore->add_flag("--wait", flags->wait,
                    "Wait until every service is running and healthy (progress on stderr)");
  restore->add_option("--timeout", flags->timeout, "Seconds --wait waits at most")
      ->capture_default_str();
  restore->callback([&invocation, flags] { invocation.status = Restore(invocation, *flags); });

  auto* purge = trash->add_subcommand(
      "purge", "Remove a deleted deployment's volumes for good, now (project owners)");
  purge->add_option("project", flags->project, "The project")->required();
  purge->add_option("entry", flags->entry, "The entry's ID, or a deployment name: its newest entry")
      ->required();
  purge->add_flag("--yes", flags->yes, "Confirm: this cannot be undone");
  purge->callback([&invocation, flags] { invocation.status = Purge(invocation, *flags); });

  // `yard deployments enable|disable` (AddDeploymentCommands made `deployments`).
  CLI::App* deployments = app.get_subcommand("deployments");
  auto enable_flags = std::make_shared<EnableFlags>();
  auto* enable = deployments->add_subcommand(
      "enable",
      "Run a deployment, until stopped or for a while (development stages: their auto_stop, "
      "12h unless the manifest says otherwise)");
  enable->add_option("deployment", enable_flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")
      ->required();
  enable->add_option("--for", enable_flags->run_for,
                     "Stop by itself after this long: 30m, 2h, 1h30m, 7d; `never` keeps it "
                     "running until stopped");
  enable->add_flag("--wait", enable_flags->wait,
                   "Wait until every service is running and healthy (progress on stderr)");
  enable->add_option("--timeout", enable_flags->timeout, "Seconds --wait waits at most")
      ->capture_default_str();
  enable->callback([&invocation, enable_flags] {
    invocation.status = Enable(invocation, *enable_flags, true);
  });

  auto* disable = deployments->add_subcommand(
      "disable", "Run nothing and keep the storage (code, data) until enabled again");
  disable->add_option("deployment", enable_flags->target, "PROJECT/DEPLOYMENT, e.g. shop/dev")
      ->required();
  disable->callback([&invocation, enable_flags] {
    invocation.status = Enable(invocation, *enable_flags, false);
  });
}

}  // namespace yard::cli
