#include "services/edge/console_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace sluice::edge {
namespace {

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/console_files_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& body) {
    std::ofstream(dir_ + "/" + name) << body;
  }
  std::string dir_;
};

TEST_F(ConsoleFilesTest, ServesKnownTypesAndIndexAtTheRoot) {
  Write("index.html", "<!doctype html>");
  Write("console.js", "let a = 1;");
  Write("console.css", "body{}");
  auto files = ConsoleFiles::Load(dir_);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_NE(files->Find(""), nullptr);
  EXPECT_EQ(files->Find("")->body, "<!doctype html>");
  EXPECT_EQ(files->Find("")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(files->Find("console.js")->content_type,
            "text/javascript; charset=utf-8");
  EXPECT_EQ(files->Find("console.css")->body, "body{}");
}

TEST_F(ConsoleFilesTest, LeavesOutOtherFilesDotFilesAndDirectories) {
  Write("index.html", "x");
  Write("notes.txt", "private");
  Write(".hidden.js", "x");
  std::filesystem::create_directory(dir_ + "/sub.js");
  auto files = ConsoleFiles::Load(dir_);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->Find("notes.txt"), nullptr);
  EXPECT_EQ(files->Find(".hidden.js"), nullptr);
  EXPECT_EQ(files->Find("sub.js"), nullptr);
  EXPECT_EQ(files->Find("../index.html"), nullptr);
}

TEST_F(ConsoleFilesTest, RefusesADirectoryWithoutIndexOrNoDirectory) {
  Write("console.js", "x");
  EXPECT_THAT(std::string(ConsoleFiles::Load(dir_).status().message()),
              ::testing::HasSubstr("has no index.html"));
  EXPECT_EQ(ConsoleFiles::Load(dir_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ConsoleFilesTest, RefusesAFileTooLargeToBeAConsoleFile) {
  Write("index.html", "x");
  Write("huge.js", std::string(5 * 1024 * 1024, ' '));
  auto files = ConsoleFiles::Load(dir_);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(files.status().message()), ::testing::HasSubstr("huge.js"));
}

TEST(ConsoleFilesShipped, TheSourceConsoleLoadsWithItsScriptAndStyle) {
  auto files = ConsoleFiles::Load(SLUICE_CONSOLE_SOURCE_DIR);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& index = files->Find("")->body;
  // Every file the page refers to is served.
  for (const char* name : {"console.js", "console.css"}) {
    EXPECT_NE(files->Find(name), nullptr) << name;
    EXPECT_NE(index.find(name), std::string::npos) << name;
  }
}

TEST(ConsoleFilesHeaders, ThePageMayTalkOnlyToItsOwnOrigin) {
  std::string csp;
  for (const auto& [name, value] : ConsoleFiles::Headers()) {
    if (name == "Content-Security-Policy") csp = value;
  }
  EXPECT_THAT(csp, ::testing::HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, ::testing::HasSubstr("connect-src 'self'"));
  EXPECT_THAT(csp, ::testing::HasSubstr("frame-ancestors 'none'"));
}

}  // namespace
}  // namespace sluice::edge
