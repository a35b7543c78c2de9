#pragma once

// The server's data directory: what lives where. docs/state.md describes the layout.

#include <string>

#include "base/fs.h"
#include "base/result.h"

namespace yard::server {

class DataDir {
 public:
  /// Creates the directory (mode 0700: it holds secrets) if needed and takes its lock.
  /// kFailedPrecondition when another server holds the lock.
  static Result<DataDir> Open(const std::string& path);

  const std::string& root() const { return root_; }
  std::string DatabasePath() const { return fs::Join(root_, "stackyard.db"); }
  std::string ServerInfoPath() const { return fs::Join(root_, "server.json"); }
  std::string AdminTokenPath() const { return fs::Join(root_, "admin.token"); }
  std::string LockPath() const { return fs::Join(root_, "server.lock"); }
  /// Bare repositories of projects: repos/<project>.git.
  std::string ReposPath() const { return fs::Join(root_, "repos"); }
  /// Deployments' volumes: volumes/<project>/<deployment>/... (see controller/naming.h).
  std::string VolumesPath() const { return fs::Join(root_, "volumes"); }
  /// Volumes of deleted deployments, kept until removed by hand.
  std::string TrashPath() const { return fs::Join(root_, "trash"); }
  /// Build logs: builds/<build id>.log.
  std::string BuildLogsPath() const { return fs::Join(root_, "builds"); }
  /// Deployments' kept logs (logs/store.h).
  std::string LogsPath() const { return fs::Join(root_, "logs"); }
  /// The server's own Podman service: socket and containers.conf.
  std::string EnginePath() const { return fs::Join(root_, "engine"); }
  /// The SSH gateway's host keys.
  std::string SshPath() const { return fs::Join(root_, "ssh"); }
  /// Git hooks for pushes over SSH, and the reports they write while a push runs.
  std::string GitHooksPath() const { return fs::Join(root_, "git/hooks"); }
  std::string PushReportsPath() const { return fs::Join(root_, "git/pushes"); }
  /// The key secrets are sealed with (secrets/key_file.h): losing it loses them.
  std::string SecretsKeyPath() const { return fs::Join(root_, "secrets.key"); }
  /// The key development deployments' Git credentials derive from (devgit/credentials.h).
  std::string DevGitKeyPath() const { return fs::Join(root_, "git/dev-credentials.key"); }

  /// A random id made on first use and kept in `installation.id`. It labels every engine
  /// object of this installation, so that two servers sharing one engine never touch each
  /// other's containers.
  Result<std::string> InstallationId() const;

 private:
  DataDir(std::string root, fs::FileLock lock) : root_(std::move(root)), lock_(std::move(lock)) {}
  std::string root_;
  fs::FileLock lock_;
};

}  // namespace yard::server
