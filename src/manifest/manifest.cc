#include "manifest/manifest.h"

#include "manifest/validate.h"

namespace yard::manifest {

ParseResult LoadManifest(std::string_view text, const std::string& file,
                         RepositoryView* repository) {
  ParseResult result = ParseManifest(text, file);
  // After a YAML syntax error there is nothing to cross-check; after other errors the
  // partial stack still is, so that one run reports as much as possible.
  bool syntax_error = !result.diagnostics.empty() && result.stack.components.empty() &&
                      result.stack.addons.empty() && !result.ok();
  if (!syntax_error) {
    Diagnostics diagnostics(file);
    Validate(result.stack, repository, diagnostics);
    for (Diagnostic& diagnostic : diagnostics.Take()) {
      result.diagnostics.push_back(std::move(diagnostic));
    }
  }
  SortByPosition(result.diagnostics);
  return result;
}

}  // namespace yard::manifest
