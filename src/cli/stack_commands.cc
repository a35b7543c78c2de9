// `yard stack ...`: commands about a stack manifest that need no server.

#include <fmt/core.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/fs.h"
#include "cli/command.h"
#include "cli/output.h"
#include "manifest/manifest.h"

namespace yard::cli {
namespace {

// PATH is a repository directory (its stackyard.yaml is read) or the manifest file itself
// (its directory is the repository).
struct ManifestLocation {
  std::string file;        // as shown in diagnostics
  std::string repository;  // the directory holding it
};

ManifestLocation Locate(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    std::string file = path == "." ? std::string(manifest::kManifestFileName)
                                   : fs::Join(path, std::string(manifest::kManifestFileName));
    return {file, path};
  }
  size_t slash = path.rfind('/');
  return {path, slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash))};
}

Status Validate(Invocation& invocation, const std::string& path) {
  ManifestLocation location = Locate(path);
  auto text = fs::ReadFile(location.file, manifest::kMaxManifestBytes + 1);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) {
      return Unexpected(ErrorCode::kNotFound,
                        fmt::format("{} not found (give a repository directory or the manifest "
                                    "file)",
                                    location.file));
    }
    return Unexpected(text.error().WithContext(location.file));
  }
  manifest::FilesystemRepositoryView repository(location.repository);
  manifest::ParseResult result = manifest::LoadManifest(*text, location.file, &repository);
  const manifest::Stack& stack = result.stack;
  if (invocation.json) {
    using Ordered = nlohmann::ordered_json;
    Ordered diagnostics = Ordered::array();
    for (const manifest::Diagnostic& d : result.diagnostics) {
      diagnostics.push_back(
          {{"severity", d.severity == manifest::Severity::kError ? "error" : "warning"},
           {"file", d.file},
           {"line", d.line},
           {"column", d.column},
           {"message", d.message}});
    }
    Ordered out = {{"valid", result.ok()}, {"diagnostics", diagnostics}};
    // Manifests may hold invalid UTF-8; the JSON output must still be a document.
    std::printf("%s\n", out.dump(2, ' ', false, Ordered::error_handler_t::replace).c_str());
  } else {
    for (const manifest::Diagnostic& d : result.diagnostics) {
      std::printf("%s\n", manifest::FormatDiagnostic(d).c_str());
    }
    if (result.ok()) {
      auto plural = [](size_t n, const char* one, const char* many) {
        return fmt::format("{} {}", n, n == 1 ? one : many);
      };
      std::string stages;
      for (const manifest::Stage& stage : stack.stages) {
        stages += (stages.empty() ? "" : ", ") + stage.id;
      }
      std::printf("%s is valid: %s, %s, %s (%s)\n", location.file.c_str(),
                  plural(stack.components.size(), "component", "components").c_str(),
                  plural(stack.addons.size(), "add-on", "add-ons").c_str(),
                  plural(stack.stages.size(), "stage", "stages").c_str(), stages.c_str());
    }
  }
  if (!result.ok()) {
    size_t errors = 0;
    for (const manifest::Diagnostic& d : result.diagnostics) {
      errors += d.severity == manifest::Severity::kError;
    }
    return Unexpected(ErrorCode::kInvalidArgument, fmt::format("{}: {} {}", location.file, errors,
                                                               errors == 1 ? "error" : "errors"));
  }
  return Ok();
}

}  // namespace

void AddStackCommands(CLI::App& app, Invocation& invocation) {
  auto* stack = app.add_subcommand("stack", "Work with a stack manifest (stackyard.yaml)");
  stack->require_subcommand(1);

  auto path = std::make_shared<std::string>(".");
  auto* validate = stack->add_subcommand(
      "validate", "Check a stackyard.yaml and the repository it is in (no server needed)");
  validate->add_option("path", *path,
                       "A repository directory or a stackyard.yaml file (default: .)");
  validate->callback([&invocation, path] { invocation.status = Validate(invocation, *path); });
}

}  // namespace yard::cli
