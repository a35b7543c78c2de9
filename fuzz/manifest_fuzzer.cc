// libFuzzer target: the manifest parser, validator and env resolver must neither crash nor
// hang on any input. Built and run by fuzz/run (clang, -fsanitize=fuzzer,address).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "manifest/env_resolver.h"
#include "manifest/manifest.h"
#include "manifest/resolved_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A small fixed repository, so that the repository checks run too.
  yard::manifest::InMemoryRepositoryView repository(
      {"Dockerfile", "web/Dockerfile", "web/Dockerfile.dev", "api/Dockerfile"});
  yard::manifest::ParseResult result =
      yard::manifest::LoadManifest(text, "stackyard.yaml", &repository);
  for (const auto& diagnostic : result.diagnostics) {
    (void)yard::manifest::FormatDiagnostic(diagnostic);
  }
  (void)yard::manifest::ResolvedJson(result.stack);
  if (result.ok()) {
    // Valid stacks go on to resolution, where imports and interpolation can cycle or blow up.
    yard::manifest::SeededRandom random(1);
    yard::manifest::InMemoryGeneratedValues generated(random);
    yard::manifest::DeploymentContext context{.stage = "development",
                                              .deployment = "dev",
                                              .project = "shop",
                                              .branch = "main",
                                              .commit = std::string(40, 'a'),
                                              .domain = "localhost"};
    auto resolution = yard::manifest::ResolveEnv(result.stack, context, {}, generated);
    (void)yard::manifest::EnvResolutionJson(resolution);
  }
  return 0;
}
