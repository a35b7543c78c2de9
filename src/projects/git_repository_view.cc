#include "projects/git_repository_view.h"

namespace yard::projects {

Result<manifest::EntryKind> GitRepositoryView::Stat(const std::string& path) {
  // The validator says "." for the root; git says "".
  git::EntryKind kind = TRY(repository_.Stat(commit_, path == "." ? "" : path));
  switch (kind) {
    case git::EntryKind::kFile: return manifest::EntryKind::kFile;
    case git::EntryKind::kDirectory: return manifest::EntryKind::kDirectory;
    // A symlink or submodule cannot serve as a build's Dockerfile or folder: in a checkout a
    // symlink may point anywhere, and a submodule's content is not in this repository.
    case git::EntryKind::kSymlink:
    case git::EntryKind::kSubmodule:
    case git::EntryKind::kMissing: return manifest::EntryKind::kMissing;
  }
  return manifest::EntryKind::kMissing;
}

}  // namespace yard::projects
