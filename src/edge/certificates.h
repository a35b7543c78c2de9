#pragma once

// What Caddy knows about a host's certificate: the one in its storage (ReadCertificate) and the
// last error it logged while trying to obtain one (CertificateErrors).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace yard::edge {

struct CertificateInfo {
  enum class State { kNone, kValid, kExpired };
  State state = State::kNone;
  /// "internal" for Caddy's local CA; for ACME the host (and port, if any) of the CA, e.g.
  /// "acme-v02.api.letsencrypt.org" or "127.0.0.1:14000"; else the storage's issuer key.
  std::string issuer;
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
  std::string path;  // the .crt file
};

/// The certificate Caddy 2.6's file storage holds for `host`: it keeps them at
/// STORAGE/certificates/<issuer key>/<host>/<host>.crt (issuer key `local` for the internal CA,
/// `127.0.0.1-14000-dir` for an ACME directory at https://127.0.0.1:14000/dir). Every issuer is
/// searched and the certificate with the latest not_after wins; it is kValid while `now_unix`
/// is before its not_after (Caddy backdates what it issues, so not_before is not checked),
/// kExpired after. kNone when there is none or it cannot be parsed. Parsed certificates are
/// cached by path, inode, size and mtime. Thread-safe.
CertificateInfo ReadCertificate(const std::string& storage_dir, const std::string& host,
                                int64_t now_unix);

/// certmagic's StorageKeys.Safe: how a host name becomes a storage key component (lowercase,
/// `*` as `wildcard_`, characters other than letters, digits, `_@.-` dropped).
std::string StorageKey(std::string_view name);

/// The last error Caddy logged for each host while obtaining or renewing its certificate,
/// from Caddy's JSON log lines. Caddy 2.6 logs a failure at level "error" with the host in
/// "identifier" and the reason in "error": logger "tls.obtain" (or "tls.renew"), message
/// "could not get certificate from issuer", after "http.acme_client" lines for the failed
/// challenge ("challenge failed", "validating authorization"); later versions name the ACME
/// logger "tls.issuance.acme...". Success is "certificate obtained successfully" (or
/// "certificate renewed successfully") with the identifier, which clears the error. Not
/// thread-safe.
class CertificateErrors {
 public:
  /// Reads one line of Caddy's output; lines that are not JSON objects are ignored. Returns
  /// the host whose error the line set, replaced or cleared, if any.
  std::optional<std::string> Observe(std::string_view line);
  std::optional<std::string> Get(const std::string& host) const;

 private:
  std::map<std::string, std::string> errors_;  // by lowercase host
};

}  // namespace yard::edge
