// `yard status PROJECT/DEPLOYMENT`: a deployment's status tree at a glance (colour and
// reasons first, then its containers, storage, builds, endpoints and certificates), and
// `yard status PROJECT`: every deployment of a project with its colour and first reason.

#include <unistd.h>

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

std::string Paint(const std::string& text, const std::string& colour) {
  if (!::isatty(STDOUT_FILENO)) return text;
  const char* code = colour == "green" ? "32" : colour == "red" ? "31" : "33";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string Bytes(const Json& value) {
  if (!value.is_number()) return "-";
  constexpr double kMiB = 1 << 20;
  constexpr double kGiB = 1 << 30;
  double bytes = value.get<double>();
  if (bytes >= kGiB) return fmt::format("{:.1f} GiB", bytes / kGiB);
  if (bytes >= kMiB) return fmt::format("{:.1f} MiB", bytes / kMiB);
  if (bytes >= 1024) return fmt::format("{:.0f} KiB", bytes / 1024);
  return fmt::format("{:.0f} B", bytes);
}

std::string Duration(const Json& value) {
  if (!value.is_number()) return "-";
  int64_t seconds = value.get<int64_t>();
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{:02}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string Memory(const Json& container, const Json& tree) {
  if (!container["memory_bytes"].is_number()) return "-";
  // The deployment's limit, not the host's memory the engine reports without one.
  const Json& limit = tree["size"]["memory_bytes"];
  return limit.is_number() ? Bytes(container["memory_bytes"]) + " / " + Bytes(limit)
                           : Bytes(container["memory_bytes"]);
}

void PrintTree(const Json& tree) {
  std::string colour = Cell(tree, "colour");
  std::string size = Cell(tree["size"], "name"), limits = Cell(tree["size"], "description");
  if (size != limits) size += " (" + limits + ")";
  std::printf("%s/%s  %s  %s · stage %s · size %s\n", Cell(tree, "project").c_str(),
              Cell(tree, "deployment").c_str(), Paint("● " + colour, colour).c_str(),
              Cell(tree, "phase").c_str(), Cell(tree, "stage").c_str(), size.c_str());
  for (const Json& reason : tree["reasons"]) {
    std::printf("  - %s\n", reason.get<std::string>().c_str());
  }
  if (tree["engine_error"].is_string()) {
    std::printf("  ! the engine could not be asked: %s\n", Cell(tree, "engine_error").c_str());
  }

  std::printf("\nContainers\n");
  Table containers({"  SERVICE", "STATE", "HEALTH", "RESTARTS", "UPTIME", "CPU", "MEMORY",
                    "CONTAINER"});
  for (const Json& c : tree["containers"]) {
    std::string service = "  " + Cell(c, "service") + (c.value("previous", false) ? " (previous)" : "");
    std::string state = Cell(c, "state");
    if (c["engine_state"].is_string() && Cell(c, "engine_state") != "running") {
      state += " (" + Cell(c, "engine_state") + ")";
    }
    std::string cpu =
        c["cpu_percent"].is_number() ? fmt::format("{:.1f}%", c["cpu_percent"].get<double>()) : "-";
    containers.AddRow({service, state, Cell(c, "health"), Cell(c, "restarts"),
                       Duration(c["uptime_seconds"]), cpu, Memory(c, tree),
                       Cell(c, "container")});
  }
  containers.Print("  none yet");

  const Json& storage = tree["storage"];
  std::string space = storage["filesystem_bytes"].is_number()
                          ? fmt::format("; {} free of {} on the volumes' disk",
                                        Bytes(storage["filesystem_available_bytes"]),
                                        Bytes(storage["filesystem_bytes"]))
                          : "";
  std::printf("\nStorage  %s in %zu volume%s%s\n", Bytes(storage["total_bytes"]).c_str(),
              storage["volumes"].size(), storage["volumes"].size() == 1 ? "" : "s",
              space.c_str());
  for (const Json& volume : storage["volumes"]) {
    std::printf("  %-24s %10s%s\n", Cell(volume, "name").c_str(), Bytes(volume["bytes"]).c_str(),
                volume.value("partial", false) ? " (some files could not be read)" : "");
  }

  if (!tree["builds"].empty()) {
    std::printf("\nBuilds\n");
    Table builds({"  ID", "STATE", "COMMIT", "TOOK", "QUEUED"});
    for (const Json& b : tree["builds"]) {
      std::string state = Cell(b, "state");
      if (b["error"].is_string()) state += ": " + Cell(b, "error");
      builds.AddRow({"  " + Cell(b, "id"), state, Cell(b, "commit").substr(0, 12),
                     Duration(b["duration_seconds"]), Cell(b, "queued_at")});
    }
    builds.Print("");
  }

  if (!tree["endpoints"].empty()) {
    std::printf("\nEndpoints\n");
    for (const Json& endpoint : tree["endpoints"]) {
      std::printf("  %s → %s\n", Cell(endpoint, "id").c_str(), Cell(endpoint, "service").c_str());
      for (const Json& url : endpoint["urls"]) {
        std::printf("    %s\n", url.get<std::string>().c_str());
      }
    }
  }
  if (!tree["certificates"].empty()) {
    std::printf("\nCertificates\n");
    Table certificates({"  HOST", "STATE", "ISSUER", "EXPIRES"});
    for (const Json& certificate : tree["certificates"]) {
      std::string state = Cell(certificate, "state");
      if (certificate["error"].is_string()) state += ": " + Cell(certificate, "error");
      certificates.AddRow({"  " + Cell(certificate, "host"), state, Cell(certificate, "issuer"),
                           Cell(certificate, "expires_at")});
    }
    certificates.Print("");
  }
}

Status ProjectStatus(Invocation& invocation, ApiClient& client, const std::string& project) {
  Json answer = TRY(client.Get(fmt::format("/api/v1/projects/{}/status",
                                           http::PercentEncode(project))));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  Table table({"DEPLOYMENT", "STAGE", "COLOUR", "PHASE", "REASON"});
  for (const Json& d : answer["deployments"]) {
    std::string colour = Cell(d, "colour");
    std::string reason = d["reasons"].empty() ? "" : d["reasons"][0].get<std::string>();
    if (d["reasons"].size() > 1) reason += fmt::format(" (+{} more)", d["reasons"].size() - 1);
    table.AddRow({Cell(d, "name"), Cell(d, "stage"), Paint(colour, colour), Cell(d, "phase"),
                  reason});
  }
  table.Print(fmt::format("No deployments. Create one with `yard deployments create {}/NAME`.",
                          project));
  return Ok();
}

Status ShowStatus(Invocation& invocation, const std::string& target_text) {
  ApiClient client = TRY(Connect(invocation));
  if (target_text.find('/') == std::string::npos) {
    return ProjectStatus(invocation, client, target_text);
  }
  DeploymentTarget target = TRY(ParseDeploymentTarget(target_text));
  Json tree = TRY(client.Get(DeploymentPath(target) + "/status"));
  if (invocation.json) {
    PrintJson(tree);
  } else {
    PrintTree(tree);
  }
  return Ok();
}

}  // namespace

void AddStatusCommands(CLI::App& app, Invocation& invocation) {
  auto target = std::make_shared<std::string>();
  auto* status = app.add_subcommand(
      "status",
      "A deployment's health at a glance: its colour (green, yellow, red) and why, then its "
      "containers (state, health, restarts, uptime, CPU, memory), storage (each volume's "
      "size), recent builds, endpoints and certificates. Given a project, every deployment's "
      "colour and first reason. Figures are at most a few seconds old (volume sizes 30 s)");
  status->add_option("target", *target, "PROJECT/DEPLOYMENT, e.g. shop/dev; or PROJECT")
      ->required();
  status->callback([&invocation, target] { invocation.status = ShowStatus(invocation, *target); });
}

}  // namespace yard::cli
