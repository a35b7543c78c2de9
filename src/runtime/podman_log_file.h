#pragma once

// A Podman container's log file, read directly for Runtime::FollowLogs.
//
// Podman 4.3's logs endpoint loses and cuts lines when it follows a container that writes
// faster than it reads its log file (compat and libpod API alike, and `podman logs -f`: of
// 500,000 lines written at full speed, about 200,000 came, some cut in two), and following a
// container that has already exited loses most of a long log. Reading without following is
// complete but re-reads the whole file each time, at about 75,000 lines/s. conmon writes
// every container's output to a file in the CRI format ("k8s-file", the default), one record
// a line:
//
//   2026-11-27T14:59:11.637496606+00:00 stdout F the text
//
// with P instead of F for a piece of a longer line (conmon cuts lines at 8 KiB, and where a
// read of the container's pipe ends), continued by the next record of its stream. The file is
// complete once conmon has exited. So a local Podman's logs are followed in that file, and
// turned into the engine's log stream on the way (CriLogDecoder): the same frames, with the
// file's nanosecond times where the API gives whole seconds.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "runtime/runtime.h"

namespace yard::runtime {

/// Where a Podman container's output goes, from its libpod inspect answer
/// (GET /libpod/containers/{id}/json).
struct PodmanLogFile {
  std::string driver;      // "k8s-file", "journald", "none", ...
  std::string path;        // the k8s-file's path
  int64_t conmon_pid = 0;  // while conmon runs (the container runs or is stopping); 0 otherwise
};

/// kInternal when the answer is not an inspect answer.
Result<PodmanLogFile> ParsePodmanLogFile(std::string_view inspect_json);

/// An RFC 3339 time with any fraction and Z or an offset, as Unix ns; nullopt if malformed.
std::optional<int64_t> ParseLogTime(std::string_view text);

/// Turns the bytes of a CRI log file, fed in any pieces, into the engine's log stream: one
/// frame per record (1 stdout, 2 stderr), "<time> <text>", with a newline for F records.
/// Records before `since_ns` are left out (the file is in time order: once one is at or after
/// it, the rest are passed on without looking at their time). Malformed records are skipped.
class CriLogDecoder {
 public:
  explicit CriLogDecoder(int64_t since_ns = 0) : since_ns_(since_ns) {}

  /// Appends to `out` the frames of the records `bytes` completes.
  void Feed(std::string_view bytes, std::string& out);
  /// Forgets an incomplete last record (the file was replaced).
  void Reset() {
    pending_.clear();
    discarding_ = false;
  }

  int64_t malformed() const { return malformed_; }

 private:
  void Record(std::string_view line, std::string& out);

  int64_t since_ns_;
  bool reached_since_ = false;
  std::string pending_;      // an incomplete last record
  bool discarding_ = false;  // inside a record too long to be one, up to its newline
  int64_t malformed_ = 0;
};

/// Follows the log file `file` from `since_ns` on, passing the stream CriLogDecoder makes to
/// `sink` in pieces of up to ~64 KiB, until conmon has exited and the file is read to its end
/// (at once when it is not running); a file replaced under the same path (conmon's rotation
/// at log_size_max) is followed into the new one. kCancelled when `cancel` turns true, kIo
/// when the file cannot be read.
Status FollowLogFile(const PodmanLogFile& file, int64_t since_ns, const LogChunkSink& sink,
                     const std::atomic<bool>* cancel);

}  // namespace yard::runtime
