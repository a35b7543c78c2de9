// EngineProcess without podman: where it keeps its files, and how it refuses to start.

#include "runtime/engine_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "testing/temp_dir.h"

namespace yard::runtime {
namespace {

using ::testing::HasSubstr;

TEST(EngineProcessTest, RefusesASocketPathTooLongForUnixSockets) {
  testing::TempDir dir;
  EngineProcess engine({.data_dir = dir.File(std::string(120, 'd'))});
  auto started = engine.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST(EngineProcessTest, MissingPodmanIsNotFound) {
  testing::TempDir dir;
  EngineProcess engine({.data_dir = dir.path(), .podman = dir.File("no-such-podman")});
  auto started = engine.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(engine.pid(), -1);
}

TEST(EngineProcessTest, WritesContainersConf) {
  testing::TempDir dir;
  EngineProcess engine({.data_dir = dir.path(), .podman = dir.File("no-such-podman")});
  ASSERT_FALSE(engine.Start());
  EXPECT_EQ(engine.socket_path(), dir.path() + "/engine/podman.sock");
  EXPECT_EQ(engine.endpoint().ToString(), "unix://" + dir.path() + "/engine/podman.sock");
  FILE* file = fopen((dir.path() + "/engine/containers.conf").c_str(), "r");
  ASSERT_NE(file, nullptr);
  char buffer[512] = {};
  size_t n = fread(buffer, 1, sizeof(buffer) - 1, file);
  fclose(file);
  EXPECT_EQ(std::string(buffer, n), kEngineContainersConf);
  EXPECT_THAT(std::string(buffer, n), HasSubstr("runtime = \"runc\""));
}

}  // namespace
}  // namespace yard::runtime
