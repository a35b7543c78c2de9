#include "edge/certificates.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace yard::edge {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxCertificateBytes = 1 << 20;
constexpr std::string_view kObtained = "certificate obtained successfully";
constexpr std::string_view kRenewed = "certificate renewed successfully";

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

struct Validity {
  int64_t not_before = 0;
  int64_t not_after = 0;
};

std::optional<int64_t> UnixTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// The first certificate of the PEM file: Caddy stores the leaf followed by its chain.
std::optional<Validity> ParsePem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return std::nullopt;
  auto not_before = UnixTime(X509_get0_notBefore(cert.get()));
  auto not_after = UnixTime(X509_get0_notAfter(cert.get()));
  if (!not_before || !not_after) return std::nullopt;
  return Validity{*not_before, *not_after};
}

// Status pages ask for every host often; a certificate file changes every few weeks (and is
// replaced, not rewritten in place, so its inode says so even within the mtime's granularity).
std::optional<Validity> ReadValidity(const std::string& path) {
  struct Entry {
    ino_t inode;
    off_t size;
    timespec mtime;
    Validity validity;
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> cache;

  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::lock_guard lock(mutex);
    cache.erase(path);
    return std::nullopt;
  }
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(path);
    if (it != cache.end() && it->second.inode == info.st_ino && it->second.size == info.st_size &&
        it->second.mtime.tv_sec == info.st_mtim.tv_sec &&
        it->second.mtime.tv_nsec == info.st_mtim.tv_nsec) {
      return it->second.validity;
    }
  }
  auto pem = fs::ReadFile(path, kMaxCertificateBytes);
  std::optional<Validity> validity = pem ? ParsePem(*pem) : std::nullopt;
  std::lock_guard lock(mutex);
  if (validity) {
    cache[path] = Entry{info.st_ino, info.st_size, info.st_mtim, *validity};
  } else {
    cache.erase(path);
  }
  return validity;
}

// "https://user@host:port/path" -> "host:port"; the default port is left out.
std::string Authority(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (EndsWith(url, ":443")) url.remove_suffix(4);
  return Lower(url);
}

// The storage key of an ACME issuer is its directory URL flattened ("127.0.0.1-14000-dir"),
// which cannot be split back into host and path; the certificate's metadata holds the URL it
// was downloaded from, on the CA's host.
std::string IssuerName(const std::string& issuer_key, const std::string& metadata_path) {
  if (issuer_key == "local") return "internal";
  if (auto text = fs::ReadFile(metadata_path, kMaxCertificateBytes)) {
    Json metadata = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (metadata.is_object() && metadata.contains("issuer_data") &&
        metadata["issuer_data"].is_object()) {
      const Json& url = metadata["issuer_data"].value("url", Json());
      if (url.is_string()) {
        if (std::string authority = Authority(url.get<std::string>()); !authority.empty()) {
          return authority;
        }
      }
    }
  }
  return issuer_key;
}

}  // namespace

std::string StorageKey(std::string_view name) {
  std::string text = Lower(name);
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  text = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
  std::string replaced;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ') {
      replaced += '_';
    } else if (c == '+') {
      replaced += "_plus_";
    } else if (c == '*') {
      replaced += "wildcard_";
    } else if (c == ':') {
      replaced += '-';
    } else if (c == '.' && i + 1 < text.size() && text[i + 1] == '.') {
      ++i;  // ".." goes, so that a key cannot climb out of its directory
    } else {
      replaced += c;
    }
  }
  std::string safe;
  for (char c : replaced) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@' || c == '.' ||
        c == '-') {
      safe += c;
    }
  }
  return safe;
}

CertificateInfo ReadCertificate(const std::string& storage_dir, const std::string& host,
                                int64_t now_unix) {
  CertificateInfo best;
  std::string key = StorageKey(host);
  if (key.empty() || key == ".") return best;
  std::error_code error;
  std::filesystem::directory_iterator issuers(std::filesystem::path(storage_dir) / "certificates",
                                              error);
  for (; !error && issuers != std::filesystem::directory_iterator(); issuers.increment(error)) {
    std::filesystem::path site = issuers->path() / key;
    std::string path = (site / (key + ".crt")).string();
    std::optional<Validity> validity = ReadValidity(path);
    if (!validity) continue;
    if (best.state != CertificateInfo::State::kNone && validity->not_after <= best.not_after) {
      continue;
    }
    best.state = CertificateInfo::State::kValid;
    best.issuer =
        IssuerName(issuers->path().filename().string(), (site / (key + ".json")).string());
    best.not_before = validity->not_before;
    best.not_after = validity->not_after;
    best.path = path;
  }
  if (best.state != CertificateInfo::State::kNone && now_unix >= best.not_after) {
    best.state = CertificateInfo::State::kExpired;
  }
  return best;
}

std::optional<std::string> CertificateErrors::Observe(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty() || line.front() != '{') return std::nullopt;
  Json entry = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!entry.is_object()) return std::nullopt;
  auto text = [&entry](const char* key) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string host = Lower(text("identifier"));
  if (host.empty()) return std::nullopt;
  std::string message = text("msg");
  if (message == kObtained || message == kRenewed) {
    if (errors_.erase(host) == 0) return std::nullopt;
    return host;
  }

  std::string logger = text("logger");
  bool certificate_logger = logger == "tls.obtain" || logger == "tls.renew" ||
                            StartsWith(logger, "tls.issuance") ||
                            StartsWith(logger, "http.acme_client");
  std::string error = text("error");
  if (text("level") != "error" || !certificate_logger || error.empty()) return std::nullopt;
  // Not about the certificate: lock bookkeeping ("unable to unlock" when Caddy stops during an
  // attempt) and attempts cut short by a config reload or a stop, which the next config's
  // attempt follows.
  if (message.find("lock") != std::string::npos || EndsWith(error, "context canceled")) {
    return std::nullopt;
  }
  auto [it, inserted] = errors_.try_emplace(host, error);
  if (!inserted) {
    if (it->second == error) return std::nullopt;
    it->second = std::move(error);
  }
  return host;
}

std::optional<std::string> CertificateErrors::Get(const std::string& host) const {
  auto it = errors_.find(Lower(host));
  if (it == errors_.end()) return std::nullopt;
  return it->second;
}

}  // namespace yard::edge
