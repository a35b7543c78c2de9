#include "base/error.h"

#include <gtest/gtest.h>

namespace yard {
namespace {

TEST(ErrorTest, CodesRoundTripThroughTheirNames) {
  for (ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
        ErrorCode::kUnauthenticated, ErrorCode::kPermissionDenied, ErrorCode::kFailedPrecondition,
        ErrorCode::kTooLarge, ErrorCode::kMethodNotAllowed, ErrorCode::kTimeout,
        ErrorCode::kCancelled, ErrorCode::kUnavailable, ErrorCode::kIo, ErrorCode::kInternal, ErrorCode::kUsage}) {
    EXPECT_EQ(ErrorCodeFromName(ErrorCodeName(code)), code) << ErrorCodeName(code);
  }
  EXPECT_EQ(ErrorCodeFromName("no-such-code"), ErrorCode::kInternal);
}

TEST(ErrorTest, MapsToHttpStatus) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kMethodNotAllowed), 405);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kCancelled), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
  EXPECT_EQ(ErrorCodeForHttpStatus(404), ErrorCode::kNotFound);
  EXPECT_EQ(ErrorCodeForHttpStatus(418), ErrorCode::kInternal);
}

TEST(ErrorTest, UsageErrorsExitWithTwoAndOthersWithOne) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUsage), 2);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kInvalidArgument), 1);
  EXPECT_EQ(ExitCodeFor(ErrorCode::kUnavailable), 1);
}

TEST(ErrorTest, WithContextPrefixes) {
  Error error{ErrorCode::kIo, "disk full"};
  Error wrapped = error.WithContext("write config");
  EXPECT_EQ(wrapped.code, ErrorCode::kIo);
  EXPECT_EQ(wrapped.message, "write config: disk full");
}

}  // namespace
}  // namespace yard
