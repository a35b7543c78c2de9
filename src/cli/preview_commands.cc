// `yard projects previews`: a deployment per branch matching a pattern, made at the branch's
// first push and deleted with the branch or when it expires (docs/cicd.md).

#include <fmt/core.h>

#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

std::string ProjectPath(const std::string& name) {
  return "/api/v1/projects/" + http::PercentEncode(name);
}

struct PreviewFlags {
  std::string project;
  std::string pattern;
  std::string stage;
  std::string expire;
  bool off = false;
};

void PrintPreviews(const std::string& project, const Json& previews) {
  if (!previews.is_object()) {
    std::printf("Previews of %s are off. Turn them on with `yard projects previews %s --pattern "
                "'feature/*' --stage staging`.\n",
                project.c_str(), project.c_str());
    return;
  }
  std::printf("Previews of %s: each branch matching %s gets a deployment in stage %s at its "
              "first push,\ndeleted with the branch or %s after its last push.\n",
              project.c_str(), Cell(previews, "pattern").c_str(), Cell(previews, "stage").c_str(),
              Cell(previews, "expire_after").c_str());
}

Status Previews(Invocation& invocation, const PreviewFlags& flags) {
  bool change = !flags.pattern.empty() || !flags.stage.empty() || !flags.expire.empty();
  if (flags.off && change) {
    return Unexpected(ErrorCode::kUsage, "--off takes no other option");
  }
  ApiClient client = TRY(Connect(invocation));
  Json project = TRY(client.Get(ProjectPath(flags.project)));
  if (flags.off || change) {
    Json previews = nullptr;
    if (change) {
      // Options left out keep the current setting.
      const Json& current = project.value("previews", Json());
      std::string pattern = !flags.pattern.empty() ? flags.pattern
                            : current.is_object()  ? Cell(current, "pattern")
                                                   : "";
      std::string stage = !flags.stage.empty() ? flags.stage
                          : current.is_object() ? Cell(current, "stage")
                                                : "";
      if (pattern.empty() || stage.empty()) {
        return Unexpected(ErrorCode::kUsage,
                          "previews are off: give both --pattern and --stage to turn them on");
      }
      previews = {{"pattern", pattern}, {"stage", stage}};
      if (!flags.expire.empty()) previews["expire_after"] = flags.expire;
    }
    Json body = {{"previews", previews}};
    project = TRY(client.Call("PATCH", ProjectPath(flags.project), &body));
  }
  const Json& previews = project.value("previews", Json());
  if (invocation.json) {
    PrintJson({{"project", flags.project}, {"previews", previews}});
  } else {
    PrintPreviews(flags.project, previews);
    if (flags.off) {
      std::printf("The previews made so far stay until their branch is deleted or they "
                  "expire.\n");
    }
  }
  return Ok();
}

}  // namespace

void AddPreviewCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* projects = app.get_subcommand("projects");
  auto flags = std::make_shared<PreviewFlags>();
  auto* previews = projects->add_subcommand(
      "previews",
      "Show or set preview deployments: one per branch matching a pattern (owners and admins)");
  previews->footer(
      "A matching branch gets its preview at its first push after previews are turned on "
      "(branches that merely exist get none until pushed to); the preview follows the "
      "branch, and is deleted when the branch is deleted or when no push came for the "
      "--expire time. Turning previews off keeps the existing ones until then.\n"
      "Examples:\n"
      "  yard projects previews shop --pattern 'feature/*' --stage staging --expire 3d\n"
      "  yard projects previews shop --off");
  previews->add_option("project", flags->project, "The project")->required();
  previews->add_option("--pattern", flags->pattern,
                       "Branch name or glob: * and ? within one /-separated segment, ** across");
  previews->add_option("--stage", flags->stage, "The stage previews run (e.g. staging)");
  previews->add_option("--expire", flags->expire,
                       "Delete a preview this long after its branch's last push: 1h to 365d, "
                       "e.g. 12h, 7d (default 7d)");
  previews->add_flag("--off", flags->off, "Make no more previews");
  previews->callback(
      [&invocation, flags] { invocation.status = Previews(invocation, *flags); });
}

}  // namespace yard::cli
