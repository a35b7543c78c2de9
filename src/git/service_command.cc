#include "git/service_command.h"

#include <fmt/core.h>

#include <optional>
#include <vector>

#include "base/names.h"

namespace yard::git {
namespace {

constexpr std::string_view kOnlyGit =
    "yard: only git clone, fetch and push are served to the git user";
// An exec request is a short line; anything much longer is not from git.
constexpr size_t kMaxCommandLength = 1024;

// Splits a command line into words with the quoting git's sq_quote produces: '...' spans
// (nothing inside is special), and a backslash outside quotes taking the next character
// literally ('\'' and '\!'). nullopt for unbalanced quotes or a trailing backslash.
std::optional<std::vector<std::string>> SplitWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string_view::npos) return std::nullopt;
      word.append(line.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
    } else if (c == '\\') {
      if (i + 1 == line.size()) return std::nullopt;
      word.push_back(line[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<GitService> ServiceOf(std::string_view name) {
  if (name == "git-upload-pack") return GitService::kUploadPack;
  if (name == "git-receive-pack") return GitService::kReceivePack;
  return std::nullopt;
}

}  // namespace

std::string_view GitServiceName(GitService service) {
  return service == GitService::kReceivePack ? "git-receive-pack" : "git-upload-pack";
}

Result<GitServiceCommand> ParseGitServiceCommand(std::string_view command) {
  if (command.size() > kMaxCommandLength ||
      command.find_first_of(std::string_view("\0\n\r", 3)) != std::string_view::npos) {
    return Unexpected(ErrorCode::kInvalidArgument, std::string(kOnlyGit));
  }
  auto words = SplitWords(command);
  if (!words || words->empty())
    return Unexpected(ErrorCode::kInvalidArgument, std::string(kOnlyGit));
  // `git upload-pack PATH` is the same request in the form some clients send.
  if ((*words)[0] == "git" && words->size() >= 2) {
    (*words)[1] = "git-" + (*words)[1];
    words->erase(words->begin());
  }
  std::optional<GitService> service = ServiceOf((*words)[0]);
  if (!service || words->size() != 2) {
    return Unexpected(ErrorCode::kInvalidArgument, std::string(kOnlyGit));
  }
  std::string_view path = (*words)[1];
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  if (!ValidateName(path, "project name")) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        fmt::format("yard: '{}' is not a project; use ssh://git@HOST:PORT/PROJECT.git",
                    (*words)[1]));
  }
  return GitServiceCommand{*service, std::string(path)};
}

bool IsGitProtocolRequest(std::string_view value) {
  constexpr std::string_view kPrefix = "version=";
  if (!value.starts_with(kPrefix) || value.size() == kPrefix.size() || value.size() > 12) {
    return false;
  }
  return value.substr(kPrefix.size()).find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace yard::git
