// `posemb report`: a self-contained HTML page. Checked in headless Chromium (Debian's
// `chromium`, installed by scripts/setup.sh): the page loads with no script error and every
// figure decodes (the page's own script records both on <html>, and --dump-dom reads them).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "cli/cli_run.hpp"
#include "posemb/io/file.hpp"

namespace posemb {
namespace {

using testing::run_posemb;
using testing::TempDir;

struct BrowserView {
  int exit_code = -1;
  std::string dom;
};

BrowserView open_in_chromium(const TempDir& dir, const std::string& page) {
  const auto dom = dir.path() / "dom.html";
  const std::string command = "chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                              testing::shell_quote((dir.path() / "profile").string()) + " --dump-dom " +
                              testing::shell_quote("file://" + page) + " >" + testing::shell_quote(dom.string()) +
                              " 2>/dev/null";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::slurp(dom)};
}

std::string attribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex("<html[^>]*\\s" + name + "=\"([^\"]*)\""))) return m[1];
  return "(absent)";
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Report, EveryFigureLoadsInHeadlessChromiumWithoutErrors) {
  const TempDir dir;
  const auto page = (dir.path() / "report.html").string();
  const auto run = run_posemb({"report", "-o", page, "--study", std::string(POSEMB_SOURCE_DIR) + "/docs/study-default/study.json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string html = io::read_file_bytes(page);
  // Self-contained: every picture is a PNG inside the page ("iVBORw0KGgo" is the PNG signature in
  // base64), and nothing is fetched.
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 8u);
  EXPECT_EQ(count(html, "http://") + count(html, "https://"), 0u);
  EXPECT_NE(html.find("<td>cannot evaluate</td>"), std::string::npos);

  const BrowserView view = open_in_chromium(dir, page);
  ASSERT_EQ(view.exit_code, 0) << "chromium did not run (scripts/setup.sh installs Debian's chromium)";
  EXPECT_EQ(attribute(view.dom, "data-figures"), "8") << view.dom.substr(0, 400);
  EXPECT_EQ(attribute(view.dom, "data-figures-loaded"), "8");
  EXPECT_EQ(attribute(view.dom, "data-errors"), "(absent)");
}

TEST(Report, WithoutAStudyItSaysHowToMakeOne) {
  const TempDir dir;
  const auto page = (dir.path() / "report.html").string();
  ASSERT_EQ(run_posemb({"report", "-o", page}).exit_code, 0);
  const std::string html = io::read_file_bytes(page);
  EXPECT_EQ(count(html, "<img class=\"figure\""), 7u);
  EXPECT_NE(html.find("No study was given"), std::string::npos);
}

TEST(Report, BadOptionsAreClearErrors) {
  const TempDir dir;
  auto run = run_posemb({"report", "-o", (dir.path() / "report.txt").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("name it FILE.html"), std::string::npos) << run.err;
  run = run_posemb({"report", "-o", (dir.path() / "r.html").string(), "--study", (dir.path() / "none.json").string()});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("none.json: cannot open"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "r.html"));
  // A folder given as the study: said so (it was "not valid JSON at byte 1").
  run = run_posemb({"report", "-o", (dir.path() / "r.html").string(), "--study", dir.path().string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(dir.path().string() + ": is a folder, not a file"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace posemb
