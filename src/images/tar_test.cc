#include "images/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::images {
namespace {

struct Entry {
  std::string path;
  mode_t type = 0;
  mode_t perm = 0;
  std::string data;
  std::string symlink;
  int64_t mtime = 0;
  int64_t uid = -1;
};

// Reads an archive back with libarchive, as the engine will.
std::vector<Entry> List(const std::string& tar) {
  std::vector<Entry> entries;
  archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  EXPECT_EQ(archive_read_open_memory(reader, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* header = nullptr;
  while (archive_read_next_header(reader, &header) == ARCHIVE_OK) {
    Entry entry;
    entry.path = archive_entry_pathname(header);
    if (entry.path.size() > 1 && entry.path.back() == '/') entry.path.pop_back();
    entry.type = archive_entry_filetype(header);
    entry.perm = archive_entry_perm(header);
    entry.mtime = archive_entry_mtime(header);
    entry.uid = archive_entry_uid(header);
    if (const char* target = archive_entry_symlink(header)) entry.symlink = target;
    char buffer[8192];
    la_ssize_t got;
    while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
      entry.data.append(buffer, static_cast<size_t>(got));
    }
    EXPECT_EQ(got, 0) << archive_error_string(reader);
    entries.push_back(entry);
  }
  archive_read_free(reader);
  return entries;
}

std::vector<std::string> Paths(const std::vector<Entry>& entries) {
  std::vector<std::string> paths;
  for (const Entry& entry : entries) paths.push_back(entry.path);
  return paths;
}

TEST(TarWriterTest, EntriesRoundTripWithTheirModes) {
  std::string long_path = "deep/" + std::string(150, 'n') + ".txt";  // past ustar's 100 bytes
  std::string big(300 * 1024, 'x');
  TarWriter tar;
  ASSERT_TRUE(tar.AddDirectory("bin", 0755, 1700000000));
  ASSERT_TRUE(tar.AddFile("bin/run.sh", 0755, "#!/bin/sh\necho hi\n", 1700000001));
  ASSERT_TRUE(tar.AddFile("empty", 0600, ""));
  ASSERT_TRUE(tar.AddSymlink("latest", "bin/run.sh"));
  ASSERT_TRUE(tar.AddFile(long_path, 0644, "long"));
  ASSERT_TRUE(tar.BeginFile("big", 0640, static_cast<int64_t>(big.size())));
  ASSERT_TRUE(tar.WriteData(std::string_view(big).substr(0, 1000)));
  ASSERT_TRUE(tar.WriteData(std::string_view(big).substr(1000)));
  auto archive = tar.Finish();
  ASSERT_TRUE(archive) << archive.error().message;

  std::vector<Entry> entries = List(*archive);
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0].path, "bin");
  EXPECT_EQ(entries[0].type, AE_IFDIR);
  EXPECT_EQ(entries[0].perm, 0755u);
  EXPECT_EQ(entries[0].mtime, 1700000000);
  EXPECT_EQ(entries[1].path, "bin/run.sh");
  EXPECT_EQ(entries[1].type, AE_IFREG);
  EXPECT_EQ(entries[1].perm, 0755u);
  EXPECT_EQ(entries[1].data, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(entries[1].uid, 0);
  EXPECT_EQ(entries[2].perm, 0600u);
  EXPECT_EQ(entries[2].data, "");
  EXPECT_EQ(entries[3].type, AE_IFLNK);
  EXPECT_EQ(entries[3].symlink, "bin/run.sh");
  EXPECT_EQ(entries[4].path, long_path);
  EXPECT_EQ(entries[4].data, "long");
  EXPECT_EQ(entries[5].perm, 0640u);
  EXPECT_EQ(entries[5].data, big);
}

TEST(TarWriterTest, RefusesMisuse) {
  TarWriter absolute;
  EXPECT_EQ(absolute.AddFile("/etc/passwd", 0644, "x").error().code, ErrorCode::kInvalidArgument);

  TarWriter short_file;
  ASSERT_TRUE(short_file.BeginFile("a", 0644, 10));
  ASSERT_TRUE(short_file.WriteData("12345"));
  EXPECT_FALSE(short_file.AddFile("b", 0644, "x"));  // 5 bytes of "a" are missing
  EXPECT_FALSE(short_file.Finish());

  TarWriter long_file;
  ASSERT_TRUE(long_file.BeginFile("a", 0644, 2));
  EXPECT_FALSE(long_file.WriteData("123"));

  TarWriter twice;
  ASSERT_TRUE(twice.Finish());
  EXPECT_FALSE(twice.AddFile("late", 0644, "x"));
}

class TarDirectoryTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
    std::string full = dir_.File(path);
    ASSERT_TRUE(fs::CreateDirectories(full.substr(0, full.rfind('/'))));
    ASSERT_TRUE(fs::AtomicWriteFile(full, text, mode));
    ASSERT_EQ(::chmod(full.c_str(), mode), 0);
  }
  void Link(const std::string& target, const std::string& path) {
    ASSERT_EQ(::symlink(target.c_str(), dir_.File(path).c_str()), 0) << path;
  }
  testing::TempDir dir_;
};

TEST_F(TarDirectoryTest, ArchivesEverythingInAStableOrder) {
  Write("Dockerfile", "FROM debian\n");
  Write("bin/start", "#!/bin/sh\n", 0755);
  Write("secret.key", "k", 0600);
  Write(".git/HEAD", "ref: refs/heads/main\n");
  Write("caf\xc3\xa9.txt", "non-ASCII name");
  ASSERT_TRUE(fs::CreateDirectories(dir_.File("empty"), 0700));
  Link("bin/start", "run");
  Link("../Dockerfile", "bin/Dockerfile");
  Link("missing", "dangling");  // dangling, but inside

  auto archive = TarDirectory(dir_.path());
  ASSERT_TRUE(archive) << archive.error().message;
  std::vector<Entry> entries = List(*archive);
  EXPECT_EQ(Paths(entries),
            (std::vector<std::string>{".git", ".git/HEAD", "Dockerfile", "bin", "bin/Dockerfile",
                                      "bin/start", "caf\xc3\xa9.txt", "dangling", "empty", "run",
                                      "secret.key"}));
  auto find = [&](std::string_view path) {
    for (const Entry& entry : entries) {
      if (entry.path == path) return entry;
    }
    ADD_FAILURE() << "no entry " << path;
    return Entry{};
  };
  EXPECT_EQ(find("Dockerfile").data, "FROM debian\n");
  EXPECT_EQ(find("Dockerfile").perm, 0644u);
  EXPECT_EQ(find("bin/start").perm, 0755u);
  EXPECT_EQ(find("bin/start").data, "#!/bin/sh\n");
  EXPECT_EQ(find("secret.key").perm, 0600u);
  EXPECT_EQ(find("caf\xc3\xa9.txt").data, "non-ASCII name");
  EXPECT_EQ(find("empty").type, AE_IFDIR);
  EXPECT_EQ(find("empty").perm, 0700u);
  EXPECT_EQ(find("run").type, AE_IFLNK);
  EXPECT_EQ(find("run").symlink, "bin/start");
  EXPECT_EQ(find("bin/Dockerfile").symlink, "../Dockerfile");
  EXPECT_EQ(find("bin/start").uid, 0);

  struct stat info;
  ASSERT_EQ(::stat(dir_.File("Dockerfile").c_str(), &info), 0);
  EXPECT_EQ(find("Dockerfile").mtime, info.st_mtime);

  // The same tree gives the same archive.
  EXPECT_EQ(*TarDirectory(dir_.path()), *archive);
}

TEST_F(TarDirectoryTest, RefusesSymlinksLeadingOutside) {
  for (const char* target :
       {"/etc/passwd", "..", "../outside", "sub/../../outside", "a/b/../../.."}) {
    testing::TempDir dir;
    ASSERT_TRUE(fs::CreateDirectories(dir.File("sub")));
    ASSERT_EQ(::symlink(target, dir.File("link").c_str()), 0);
    auto archive = TarDirectory(dir.path());
    ASSERT_FALSE(archive) << target;
    EXPECT_EQ(archive.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(archive.error().message.find("outside the directory"), std::string::npos)
        << archive.error().message;
  }
}

TEST_F(TarDirectoryTest, RefusesDotDotThroughAnotherSymlink) {
  // "here" is the root itself, so "here/.." would be the root's parent: refused, although
  // reading it by name alone would stay inside.
  Link(".", "here");
  Link("here/..", "escape");
  auto archive = TarDirectory(dir_.path());
  ASSERT_FALSE(archive);
  EXPECT_NE(archive.error().message.find("escape"), std::string::npos) << archive.error().message;
}

TEST_F(TarDirectoryTest, RefusesFifosAndReportsMissingOrTooLarge) {
  ASSERT_EQ(::mkfifo(dir_.File("pipe").c_str(), 0644), 0);
  auto fifo = TarDirectory(dir_.path());
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(::unlink(dir_.File("pipe").c_str()), 0);

  EXPECT_EQ(TarDirectory(dir_.File("nope")).error().code, ErrorCode::kNotFound);

  Write("big", std::string(64 * 1024, 'x'));
  EXPECT_EQ(TarDirectory(dir_.path(), 32 * 1024).error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(TarDirectory(dir_.path(), 1024 * 1024));
}

}  // namespace
}  // namespace yard::images
