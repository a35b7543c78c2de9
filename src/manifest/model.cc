#include "manifest/model.h"

namespace yard::manifest {

std::string_view StageKindName(StageKind kind) { return kind == StageKind::kDev ? "dev" : "build"; }

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBoolean:
      return "boolean";
    case ParamType::kSecret:
      return "secret";
    case ParamType::kEnum:
      return "enum";
  }
  return "string";
}

}  // namespace yard::manifest
