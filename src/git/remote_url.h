#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace yard::git {

/// Checks that `url` names a repository in one of the forms Stackyard mirrors from:
///   https://host/path, http://host/path, ssh://[user@]host[:port]/path, git://host/path,
///   file:///absolute/path, scp-like [user@]host:path, or an absolute local path (/srv/x.git).
/// Everything else is kInvalidArgument with a message naming these forms, in particular:
/// empty values, whitespace or control characters, values starting with '-' (git would read
/// them as options), `<transport>::<address>` helper syntax such as `ext::sh -c ...` (which
/// runs commands), other schemes, relative paths, and hosts or users starting with '-'.
/// Pure: no I/O.
Status ValidateRemoteUrl(std::string_view url);

/// `url` with any password or token in its user-info replaced by "***"
/// ("https://bob:s3cret@host/x" -> "https://bob:***@host/x"), for logs and error messages.
/// Returns other values unchanged.
std::string RedactUrl(std::string_view url);

/// The secret part of `url`'s user-info, the text RedactUrl hides ("s3cret" for
/// "https://bob:s3cret@host/x"), or "" when there is none. For scrubbing other text, such as
/// git's messages, that may quote the secret in a different form of the URL.
std::string UrlSecret(std::string_view url);

}  // namespace yard::git
