#pragma once

// What an SSH client asks the `git` user to run. `git clone ssh://git@HOST:PORT/shop.git`
// makes the client's ssh send the exec request `git-upload-pack '/shop.git'`; a push sends
// `git-receive-pack '/shop.git'`. Only these two are served, for a project name: never a
// path on the server, never a shell.

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::git {

enum class GitService { kUploadPack, kReceivePack };

/// "git-upload-pack" or "git-receive-pack".
std::string_view GitServiceName(GitService service);

struct GitServiceCommand {
  GitService service = GitService::kUploadPack;
  std::string project;  // passes ValidateName
};

/// Parses an exec request: `git-upload-pack 'PATH'` or `git-receive-pack 'PATH'` (also
/// `git upload-pack` with a space). PATH is single-quoted the way git quotes it ('\'' for a
/// quote, '\!' for a bang) or bare, and may be `/P.git`, `P.git`, `/P` or `P`.
/// kInvalidArgument otherwise, with a message for the client's stderr ("yard: ..."): other
/// commands (git-upload-archive, a shell command), extra arguments, unbalanced quotes, paths
/// with more than one component or `..`, names that are not project names. Pure.
Result<GitServiceCommand> ParseGitServiceCommand(std::string_view command);

/// Whether a client's Git protocol request (SSH's GIT_PROTOCOL, HTTP's Git-Protocol header)
/// is the one form git sends, "version=N", and may be passed on to git. Pure.
bool IsGitProtocolRequest(std::string_view value);

}  // namespace yard::git
