#include "ssh/host_keys.h"

#include <fmt/core.h>
#include <libssh/libssh.h>
#include <sys/stat.h>

#include <memory>

#include "auth/ssh_public_key.h"
#include "base/fs.h"
#include "base/log.h"

namespace yard::ssh {
namespace {

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using Key = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

struct Kind {
  ssh_keytypes_e type;
  int bits;
  const char* file;
};
// ed25519 first: the key clients prefer and record.
constexpr Kind kKinds[] = {{SSH_KEYTYPE_ED25519, 0, "ssh_host_ed25519_key"},
                           {SSH_KEYTYPE_RSA, 3072, "ssh_host_rsa_key"}};

Result<std::string> PublicLine(ssh_key key) {
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) {
    return Unexpected(ErrorCode::kInternal, "cannot export a host key");
  }
  std::string line = fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), base64);
  ssh_string_free_char(base64);
  return line;
}

Result<Key> Create(const Kind& kind, const std::string& path) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(kind.type, kind.bits, &raw) != SSH_OK) {
    return Unexpected(ErrorCode::kInternal, fmt::format("cannot generate {}", kind.file));
  }
  Key key(raw);
  // Written beside and renamed into place: a crash leaves no half-written key to refuse.
  std::string temporary = path + ".new";
  (void)fs::RemoveFile(temporary);
  if (ssh_pki_export_privkey_file(key.get(), nullptr, nullptr, nullptr, temporary.c_str()) !=
          SSH_OK ||
      ::chmod(temporary.c_str(), 0600) != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
    (void)fs::RemoveFile(temporary);
    return Unexpected(ErrorCode::kIo, fmt::format("cannot write the host key {}", path));
  }
  log::Info("ssh: made the host key {}", path);
  return key;
}

}  // namespace

Result<std::vector<HostKey>> LoadOrCreateHostKeys(const std::string& dir) {
  TRY(fs::CreateDirectories(dir, 0700));
  std::vector<HostKey> keys;
  for (const Kind& kind : kKinds) {
    std::string path = fs::Join(dir, kind.file);
    Key key;
    if (fs::Exists(path)) {
      ssh_key raw = nullptr;
      if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK ||
          ssh_key_type(raw) != kind.type) {
        if (raw != nullptr) ssh_key_free(raw);
        return Unexpected(ErrorCode::kFailedPrecondition,
                          fmt::format("the host key {} cannot be read; it is not replaced, "
                                      "since clients know it: restore it, or remove it to "
                                      "make a new one (clients will then warn once)",
                                      path));
      }
      key.reset(raw);
    } else {
      key = TRY(Create(kind, path));
    }
    keys.push_back({.type = ssh_key_type_to_char(ssh_key_type(key.get())),
                    .path = path,
                    .fingerprint = TRY(auth::KeyFingerprint(key.get())),
                    .public_line = TRY(PublicLine(key.get()))});
  }
  return keys;
}

}  // namespace yard::ssh
