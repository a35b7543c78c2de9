#pragma once

// Test helpers: a non-bare source repository built with the real git, under the same clean
// environment as production (GitEnvironment) plus a fixed identity, so that neither the
// user's config nor the clock changes what the tests see.

#include <cstdint>
#include <string>
#include <vector>

namespace yard::git::testing {

/// Runs `git -C dir args...` and returns its trimmed stdout; a failure fails the current test
/// (ADD_FAILURE) and returns "". `commit_time` becomes the author and committer date.
std::string Git(const std::string& dir, const std::vector<std::string>& args,
                int64_t commit_time = 1'700'000'000);

/// Writes `content` to dir/relative, creating parent directories.
void WriteFile(const std::string& dir, const std::string& relative, const std::string& content);

/// A work-tree repository at `dir` (created) with default branch `main`.
void InitSource(const std::string& dir);

/// `git add -A && git commit -m subject` at `commit_time` by `author` <author@example.com>;
/// returns the new commit id.
std::string CommitAll(const std::string& dir, const std::string& subject, int64_t commit_time,
                      const std::string& author = "Tester");

/// The names in directory `dir`, sorted (for "nothing was left behind" checks).
std::vector<std::string> DirEntries(const std::string& dir);

}  // namespace yard::git::testing
