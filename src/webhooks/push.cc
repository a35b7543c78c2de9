#include "webhooks/push.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace yard::webhooks {
namespace {

using Json = nlohmann::json;

// Git's own limit on a ref name is the file system's; 1 KiB is far beyond any real one.
constexpr size_t kMaxRefLength = 1024;

bool IsCommitId(const std::string& text) {
  return (text.size() == 40 || text.size() == 64) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Its shape only: the ref goes into responses and logs, never to git.
bool IsRefName(const std::string& ref) {
  return ref.starts_with("refs/") && ref.size() <= kMaxRefLength &&
         std::none_of(ref.begin(), ref.end(), [](char c) { return c >= 0 && c <= ' '; });
}

bool IsZero(const std::string& commit) {
  return std::all_of(commit.begin(), commit.end(), [](char c) { return c == '0'; });
}

Result<std::string> CommitField(const Json& payload, const char* field) {
  auto it = payload.find(field);
  if (it == payload.end() || !it->is_string() || !IsCommitId(it->get<std::string>())) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the push payload's '{}' is not a commit id", field));
  }
  return it->get<std::string>();
}

bool TrueField(const Json& payload, const char* field) {
  auto it = payload.find(field);
  return it != payload.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::string Push::Branch() const {
  constexpr std::string_view kHeads = "refs/heads/";
  return ref.starts_with(kHeads) ? ref.substr(kHeads.size()) : "";
}

Result<Push> ParsePush(std::string_view body) {
  if (body.starts_with("payload=")) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the payload is form-encoded; set the webhook's content type to "
                      "application/json");
  }
  Json payload;
  try {
    payload = Json::parse(body);
  } catch (const Json::exception& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string_view what = error.what();
    size_t bracket = what.find("] ");
    if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the push payload is not JSON: {}", what));
  }
  if (!payload.is_object()) {
    return Unexpected(ErrorCode::kInvalidArgument, "the push payload is not a JSON object");
  }
  Push push;
  auto ref = payload.find("ref");
  if (ref != payload.end() && ref->is_string()) push.ref = ref->get<std::string>();
  if (!IsRefName(push.ref)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the push payload's 'ref' is not a ref name (refs/heads/...)");
  }
  push.before = TRY(CommitField(payload, "before"));
  push.after = TRY(CommitField(payload, "after"));
  push.created = TrueField(payload, "created") || IsZero(push.before);
  push.deleted = TrueField(payload, "deleted") || IsZero(push.after);
  return push;
}

}  // namespace yard::webhooks
