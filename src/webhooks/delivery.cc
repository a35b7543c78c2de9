#include "webhooks/delivery.h"

#include <algorithm>
#include <array>

#include "webhooks/signature.h"

namespace yard::webhooks {
namespace {

// Longer ids, or ids with spaces or control characters, are not what any sender sends: the
// body's digest stands in for them rather than storing whatever arrived.
constexpr size_t kMaxIdLength = 128;

struct SenderHeaders {
  Sender sender;
  const char* event;
  std::array<const char*, 2> ids;  // tried in order; nullptr ends the list
};

// Most specific first: Forgejo also sends Gitea's headers, and Gitea also sends GitHub's.
constexpr std::array<SenderHeaders, 4> kSenders = {{
    {Sender::kForgejo, "x-forgejo-event", {"x-forgejo-delivery", nullptr}},
    {Sender::kGitea, "x-gitea-event", {"x-gitea-delivery", nullptr}},
    {Sender::kGitLab, "x-gitlab-event", {"idempotency-key", "x-gitlab-event-uuid"}},
    {Sender::kGitHub, "x-github-event", {"x-github-delivery", nullptr}},
}};

const std::string* Find(const Headers& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

bool UsableId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool IsPushEvent(Sender sender, std::string_view event) {
  if (sender == Sender::kGitLab) return event == "Push Hook" || event == "Tag Push Hook";
  return event == "push";
}

}  // namespace

std::string_view SenderName(Sender sender) {
  switch (sender) {
    case Sender::kGitHub:
      return "github";
    case Sender::kGitLab:
      return "gitlab";
    case Sender::kGitea:
      return "gitea";
    case Sender::kForgejo:
      return "forgejo";
  }
  return "unknown";
}

std::optional<Delivery> Describe(const Headers& headers, std::string_view body) {
  for (const SenderHeaders& candidate : kSenders) {
    const std::string* event = Find(headers, candidate.event);
    if (event == nullptr) continue;
    Delivery delivery;
    delivery.sender = candidate.sender;
    delivery.event = *event;
    delivery.push = IsPushEvent(candidate.sender, *event);
    std::string prefix = std::string(SenderName(candidate.sender)) + ":";
    for (const char* name : candidate.ids) {
      if (name == nullptr) break;
      const std::string* id = Find(headers, name);
      if (id != nullptr && UsableId(*id)) {
        delivery.id = prefix + *id;
        break;
      }
    }
    // The body of one event is the same on every retry and differs between events (it names
    // the commits, and GitHub's and GitLab's carry times).
    if (delivery.id.empty()) delivery.id = prefix + "sha256:" + Sha256Hex(body);
    return delivery;
  }
  return std::nullopt;
}

bool Verify(const Headers& headers, Sender sender, std::string_view body,
            std::string_view secret) {
  // Every path below does the same work whether the proof is present or not, so that a
  // missing header is not told apart by time either.
  static const std::string kAbsent;
  auto header = [&headers](const char* name) -> const std::string& {
    const std::string* value = Find(headers, name);
    return value == nullptr ? kAbsent : *value;
  };
  switch (sender) {
    case Sender::kGitHub: {
      std::string_view signature = header("x-hub-signature-256");
      constexpr std::string_view kScheme = "sha256=";
      bool has_scheme = signature.starts_with(kScheme);
      if (has_scheme) signature.remove_prefix(kScheme.size());
      return VerifyHmacSha256Hex(secret, body, signature) && has_scheme;
    }
    case Sender::kGitea:
      return VerifyHmacSha256Hex(secret, body, header("x-gitea-signature"));
    case Sender::kForgejo:
      // Forgejo's own header only: a wrong one is not rescued by its copy under Gitea's name.
      return VerifyHmacSha256Hex(secret, body, header("x-forgejo-signature"));
    case Sender::kGitLab: {
      const std::string* token = Find(headers, "x-gitlab-token");
      bool equal = ConstantTimeEquals(token == nullptr ? kAbsent : *token, secret);
      return equal && token != nullptr && !secret.empty();
    }
  }
  return false;
}

}  // namespace yard::webhooks
