#include "git/remote_url.h"

#include <array>

#include <fmt/core.h>

namespace yard::git {
namespace {

constexpr size_t kMaxUrlLength = 4096;
constexpr std::string_view kAcceptedForms =
    "use an https://, http://, ssh://, git:// or file:// URL, an scp-like user@host:path, or an "
    "absolute path";
constexpr std::array<std::string_view, 5> kSchemes = {"https", "http", "ssh", "git", "file"};

Unexpected Invalid(std::string_view url, std::string_view why) {
  std::string shown = RedactUrl(url.substr(0, 200));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("invalid remote URL '{}': {}; {}", shown, why, kAcceptedForms));
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Host names, IPv4 addresses and bracketed IPv6 literals. A leading '-' is what turns
// `ssh -oProxyCommand=...` into an attack, so the first character must be alphanumeric.
bool IsValidHost(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    for (char c : host.substr(1, host.size() - 2)) {
      if (!IsAlnum(c) && c != ':' && c != '.' && c != '%') return false;
    }
    return true;
  }
  if (host.empty() || !IsAlnum(host.front())) return false;
  for (char c : host) {
    if (!IsAlnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

bool IsValidUser(std::string_view user) {
  if (user.empty() || user.front() == '-') return false;
  for (char c : user) {
    if (!IsAlnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

// "host", "host:port", "user@host", "user:password@host:port" (the part after "scheme://").
Status CheckAuthority(std::string_view url, std::string_view scheme, std::string_view authority) {
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (userinfo.empty() || userinfo.front() == '-') return Invalid(url, "bad user name");
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    host = authority.substr(0, colon);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return Invalid(url, "bad port");
    }
  }
  if (!IsValidHost(host)) return Invalid(url, fmt::format("bad host in {} URL", scheme));
  return Ok();
}

Status CheckSchemeUrl(std::string_view url, size_t scheme_end) {
  std::string_view scheme = url.substr(0, scheme_end);
  bool known = false;
  for (std::string_view candidate : kSchemes) known = known || scheme == candidate;
  if (!known) return Invalid(url, fmt::format("the '{}' scheme is not supported", scheme));
  std::string_view rest = url.substr(scheme_end + 3);
  if (scheme == "file") {
    if (rest.empty() || rest.front() != '/') {
      return Invalid(url, "a file:// URL needs an absolute path (file:///srv/repo.git)");
    }
    return Ok();
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  TRY(CheckAuthority(url, scheme, authority));
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Invalid(url, "the URL has no repository path");
  }
  return Ok();
}

// [user@]host:path, as git understands it: a colon before the first slash.
Status CheckScpLike(std::string_view url, size_t colon) {
  std::string_view authority = url.substr(0, colon);
  std::string_view path = url.substr(colon + 1);
  if (size_t at = authority.find('@'); at != std::string_view::npos) {
    if (!IsValidUser(authority.substr(0, at))) return Invalid(url, "bad user name");
    authority.remove_prefix(at + 1);
  }
  if (!IsValidHost(authority)) return Invalid(url, "bad host");
  if (path.empty()) return Invalid(url, "the URL has no repository path");
  return Ok();
}

}  // namespace

Status ValidateRemoteUrl(std::string_view url) {
  if (url.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the remote URL is empty; {}", kAcceptedForms));
  }
  if (url.size() > kMaxUrlLength) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the remote URL is longer than {} characters", kMaxUrlLength));
  }
  if (url.front() == '-') return Invalid(url, "it starts with '-' and would be read as an option");
  size_t scheme_end = url.find("://");
  size_t helper = url.find("::");
  // git reads "<transport>::<address>" as "run git-remote-<transport>", before anything else;
  // `ext::` runs an arbitrary command. No helper is allowed.
  if (helper != std::string_view::npos &&
      (scheme_end == std::string_view::npos || helper < scheme_end)) {
    return Invalid(url, "transport helpers such as 'ext::' are not allowed");
  }
  for (char c : url) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return Invalid(url, "it contains whitespace or control characters");
    }
  }
  if (url.front() == '/') return Ok();
  if (scheme_end != std::string_view::npos) {
    bool scheme_chars = scheme_end > 0;
    for (char c : url.substr(0, scheme_end)) {
      scheme_chars = scheme_chars && (IsAlnum(c) || c == '+' || c == '-' || c == '.');
    }
    if (scheme_chars) return CheckSchemeUrl(url, scheme_end);
  }
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    return CheckScpLike(url, colon);
  }
  return Invalid(url, "relative paths are not accepted");
}

std::string RedactUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  size_t authority_begin = scheme_end + 3;
  size_t authority_end = url.find('/', authority_begin);
  std::string_view authority = url.substr(authority_begin, authority_end == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : authority_end - authority_begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = authority.substr(0, at);
  size_t colon = userinfo.find(':');
  std::string shown;
  if (colon != std::string_view::npos) {
    shown = std::string(userinfo.substr(0, colon)) + ":***";
  } else if (url.starts_with("http")) {
    // Over HTTP a token is often the whole user-info (https://TOKEN@host); over ssh the user
    // name (git@host) is no secret and helps when reading the message.
    shown = "***";
  } else {
    return std::string(url);
  }
  return std::string(url.substr(0, authority_begin)) + shown +
         std::string(url.substr(authority_begin + at));
}

std::string UrlSecret(std::string_view url) {
  std::string redacted = RedactUrl(url);
  if (redacted == url) return {};
  // RedactUrl replaced exactly one span with "***"; the secret is what stood there.
  size_t begin = redacted.find("***");
  size_t secret_size = url.size() - (redacted.size() - 3);
  return std::string(url.substr(begin, secret_size));
}

}  // namespace yard::git
