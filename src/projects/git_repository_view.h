#pragma once

#include <string>

#include "git/bare_repository.h"
#include "manifest/repository_view.h"

namespace yard::projects {

/// One commit of a bare repository, as the manifest validator sees a repository: so that
/// "folder web has no Dockerfile" is checked against exactly the commit being deployed.
class GitRepositoryView : public manifest::RepositoryView {
 public:
  /// `repository` must outlive this view. `commit` is a full commit id.
  GitRepositoryView(const git::BareRepository& repository, std::string commit)
      : repository_(repository), commit_(std::move(commit)) {}

  Result<manifest::EntryKind> Stat(const std::string& path) override;

 private:
  const git::BareRepository& repository_;
  std::string commit_;
};

}  // namespace yard::projects
