#pragma once

// The installation's secrets key: DATA_DIR/secrets.key, 32 random bytes, mode 0600, made at
// the first start. Losing it loses every sealed value (docs/state.md: back it up with the
// database, but not next to it where the same people can read both).

#include <string>

#include "base/result.h"
#include "secrets/secret_box.h"

namespace yard::secrets {

struct KeyFile {
  SecretBox box;
  bool created = false;  // made now: nothing sealed before can open with it
};

/// Reads the key at `path`, first creating it (O_EXCL, mode 0600) when it does not exist.
/// kFailedPrecondition, with what to do, when it is not a regular file, is not 32 bytes, or
/// may be read or written by group or others.
Result<KeyFile> LoadOrCreateKey(const std::string& path);

}  // namespace yard::secrets
