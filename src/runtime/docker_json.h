#pragma once

// Translation between runtime.h's types and the JSON of the Docker-compatible engine API, as
// pure functions so that they are tested with canned engine answers. DockerRuntime does the
// I/O. Podman's compat API differs from Docker's in places; the differences handled here are
// noted where they are handled.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/result.h"
#include "runtime/runtime.h"

namespace yard::runtime::docker {

/// The API version every request names; Podman 4 and Docker 20.10 and later speak it.
inline constexpr std::string_view kApiPrefix = "/v1.41";
/// Podman's own API, used only where its compat API misbehaves (network listing).
inline constexpr std::string_view kLibpodPrefix = "/v4.0.0/libpod";

// ---- Errors -------------------------------------------------------------------------------

/// The engine's own explanation in an error answer: its "message" field, or the trimmed body
/// when that is not JSON, or "" when there is nothing.
std::string EngineMessage(std::string_view body);

/// The Error for an engine answer with an unsuccessful status; `what` says what was being done
/// ("start container web-1"). 404 is kNotFound and 400 kInvalidArgument. A name in use is
/// kAlreadyExists; an object in use (an image by a container, a network with containers) and
/// a container in the wrong state are kFailedPrecondition. Podman answers 500 for all of these
/// (Docker 409 or 403), so they are told apart by the engine's message; other 500s are
/// kInternal. The message includes the engine's.
Error EngineError(int status, std::string_view body, std::string_view what);

// ---- Requests -----------------------------------------------------------------------------

/// An object reference (id, name, image ref) made safe for a URL path: everything but
/// letters, digits and "-._~/:@" is percent-encoded; '/' and ':' stay, as image refs need them.
std::string EscapeRef(std::string_view ref);

/// The URL-encoded JSON value of a `filters` query parameter selecting objects that carry
/// every label of `labels`: {"label":["k=v",...]}.
std::string LabelFilter(const Labels& labels);

/// Whether `have` holds every pair of `want`. Lists are filtered on the engine and again with
/// this: Podman 4.3's image list answers nothing at all when given more than one label filter,
/// so images are filtered on the engine by one label only.
bool HasLabels(const Labels& have, const Labels& want);

/// The body of POST /containers/create. `spec.labels` must already hold the managed labels.
std::string ContainerCreateBody(const ContainerSpec& spec);

/// The body of POST /networks/create: a bridge with DNS, "isolate" set when spec.isolate.
std::string NetworkCreateBody(const NetworkSpec& spec);

/// The body of POST /containers/{id}/exec (output attached, no TTY, no stdin).
std::string ExecCreateBody(const ExecSpec& spec);

/// The detach keys of interactive execs. Podman's attach copies the client's input through a
/// matcher for a detach sequence, with and without a TTY: a byte that arrives alone and starts
/// the sequence is held back until the next read, and the whole sequence, each key arriving
/// alone, ends the attach ("Error: detached from container" on stderr) while the process runs
/// on. Its default is ctrl-p,ctrl-q: Ctrl-P (shell history) showed nothing until the next key,
/// and a lone 0x10 then 0x11 in binary input (sftp) cut the session. An empty sequence cannot
/// be asked for: the compat exec create drops DetachKeys "" (it then falls back to the
/// built-in default), and the service's attach ignores containers.conf's detach_keys (both
/// tried on Podman 4.3.1). So a sequence is chosen that nobody sends: eight lone NULs with a
/// TTY (a lone Ctrl-@, mark in Emacs and readline, waits for the next key), and eight lone
/// 0x1f without (0x00 would hold back scp's one-byte acknowledgements, a deadlock).
inline constexpr std::string_view kTtyDetachKeys =
    "ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@,ctrl-@";
inline constexpr std::string_view kStreamDetachKeys =
    "ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_,ctrl-_";

/// The body of POST /containers/{id}/exec for an interactive exec (stdin attached).
std::string ExecStreamCreateBody(const ExecStreamSpec& spec);

/// The body of POST /exec/{id}/start for an interactive exec. The initial terminal size goes
/// in twice: Podman 4.3 takes "h" and "w" and sets the size before the process starts
/// (ConsoleSize it ignores: a first `stty size` said "0 0"); Docker takes ConsoleSize from API
/// 1.42 and ignores what it does not know.
std::string ExecStreamStartBody(const ExecStreamSpec& spec);

/// How POST /build takes its `labels`. Docker wants a JSON object. Podman turns each label
/// into a LABEL step in the order it iterates the object, which Go randomises, so that two
/// identical builds miss the cache at the labels and give different images; it also accepts a
/// JSON list of "key=value", whose order it keeps.
enum class BuildLabels { kObject, kSortedList };

/// The query string (without '?') of POST /build. `spec.labels` must already hold the managed
/// labels. A memory limit covers swap too (memswap), or a host with swap would let a step
/// page instead of failing. `cgroup_parent`, when not empty, is the cgroup every RUN step of
/// the build runs in (build_cgroup.h).
std::string BuildQuery(const BuildSpec& spec, BuildLabels labels,
                       std::string_view cgroup_parent = {});

// ---- Answers ------------------------------------------------------------------------------

/// GET /version. The name is "podman" when a component is called "Podman Engine".
Result<EngineInfo> ParseVersion(std::string_view body);

/// The "Id" field of a create answer.
Result<std::string> ParseId(std::string_view body);

/// GET /containers/{id}/json.
Result<ContainerInfo> ParseContainerInspect(std::string_view body);

/// GET /containers/json?all=1. Exit codes come from the "Exited (N) ..." status text.
Result<std::vector<ContainerInfo>> ParseContainerList(std::string_view body);

/// GET /images/{ref}/json.
Result<ImageInfo> ParseImageInspect(std::string_view body);

/// GET /images/json.
Result<std::vector<ImageInfo>> ParseImageList(std::string_view body);

/// GET /networks (Docker: "Name", "Id", "Labels") or Podman's GET /libpod/networks/json
/// ("name", "id", "labels"); either is accepted.
Result<std::vector<NetworkInfo>> ParseNetworkList(std::string_view body);

/// An exec session as GET /exec/{id}/json reports it.
struct ExecState {
  bool running = false;
  int exit_code = -1;
  int64_t pid = 0;  // "Pid": the host pid while running, 0 after (Podman)
};
Result<ExecState> ParseExecState(std::string_view body);

/// One answer of GET /containers/{id}/stats?stream=false. Times are nanoseconds; the "pre"
/// sample is absent (0) from Podman's answers, which carry a single sample.
struct StatsSample {
  int64_t read_ns = 0;
  int64_t cpu_total_ns = 0;
  int64_t pre_read_ns = 0;
  int64_t pre_cpu_total_ns = 0;
  int64_t memory_bytes = 0;  // usage less the reclaimable page cache, as `docker stats` shows
  int64_t memory_limit_bytes = 0;
};
Result<StatsSample> ParseStats(std::string_view body);

/// Percent of one core used between two samples; 0 when the interval is empty or reversed.
double CpuPercent(int64_t cpu_before_ns, int64_t read_before_ns, int64_t cpu_after_ns,
                  int64_t read_after_ns);

/// "running" -> kRunning and so on; Podman's "configured" / "initialized" are kCreated and
/// "stopped" is kExited.
ContainerState ParseContainerState(std::string_view status);

/// Seconds since the epoch of an RFC 3339 time ("2026-11-27T02:08:48.034203743Z"); 0 for the
/// zero time ("0001-01-01T00:00:00Z") and for text that is not a time.
int64_t ParseEngineTime(std::string_view text);

}  // namespace yard::runtime::docker
