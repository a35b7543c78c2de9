#include "base/result.h"

#include <cstdio>

namespace yard::internal {

void MustFailed(const Error& error, const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: MUST(%s) failed: %s: %s\n", file, line, expr,
               std::string(ErrorCodeName(error.code)).c_str(), error.message.c_str());
  std::abort();
}

}  // namespace yard::internal
