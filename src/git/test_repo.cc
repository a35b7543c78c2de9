#include "git/test_repo.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/process.h"
#include "git/git_command.h"

namespace yard::git::testing {

std::string Git(const std::string& dir, const std::vector<std::string>& args, int64_t commit_time) {
  ProcessOptions options;
  options.argv = {"git", "-C", dir};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = GitEnvironment();
  options.clear_env = true;
  std::string date = "@" + std::to_string(commit_time) + " +0000";
  options.env["GIT_AUTHOR_DATE"] = date;
  options.env["GIT_COMMITTER_DATE"] = date;
  options.env["GIT_COMMITTER_NAME"] = "Committer";
  options.env["GIT_COMMITTER_EMAIL"] = "committer@example.com";
  options.timeout = std::chrono::seconds(60);
  auto result = RunChecked(options);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return "";
  }
  std::string out = std::move(result->stdout_data);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void WriteFile(const std::string& dir, const std::string& relative, const std::string& content) {
  std::filesystem::path path = std::filesystem::path(dir) / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

void InitSource(const std::string& dir) {
  std::filesystem::create_directories(dir);
  Git(dir, {"init", "--quiet", "--initial-branch=main"});
}

std::string CommitAll(const std::string& dir, const std::string& subject, int64_t commit_time,
                      const std::string& author) {
  Git(dir, {"add", "-A"});
  Git(dir,
      {"-c", "user.name=" + author, "-c", "user.email=" + author + "@example.com", "commit",
       "--quiet", "-m", subject},
      commit_time);
  return Git(dir, {"rev-parse", "HEAD"});
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace yard::git::testing
