// `posemb inspect FILE`: runs the built binary and checks its stdout, stderr and exit code.
// What it lists is compared with the fixtures' manifests, which the independent writers
// produced (tools/goldens/io/), not with earlier output of the command.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "posemb/io/file.hpp"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string quoted(const std::string& argument) {
  std::string out = "'";
  for (const char c : argument) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A folder of the running test's own (ctest runs tests in parallel processes).
std::filesystem::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "posemb_cli_inspect" / info->name();
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `posemb ARGS...`, capturing stdout and stderr in files.
CliRun run_posemb(std::initializer_list<std::string> arguments) {
  const auto dir = test_dir();
  std::string command = quoted(POSEMB_CLI_PATH);
  for (const std::string& argument : arguments) {
    command += ' ';
    command += quoted(argument);
  }
  command += fmt::format(" >{} 2>{}", quoted((dir / "out").string()), quoted((dir / "err").string()));
  const int status = std::system(command.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = posemb::io::read_file_bytes(dir / "out");
  run.err = posemb::io::read_file_bytes(dir / "err");
  return run;
}

std::filesystem::path golden(const std::string& relative) {
  return std::filesystem::path(POSEMB_GOLDENS_DIR) / "io" / relative;
}

nlohmann::json manifest(const std::string& relative) {
  return nlohmann::json::parse(posemb::io::read_file_bytes(golden(relative)));
}

TEST(InspectCommand, SafetensorsAsJsonListsWhatTheWriterWrote) {
  const auto expected = manifest("safetensors/expected.json")["files"];
  for (const auto& [name, file] : expected.items()) {
    SCOPED_TRACE(name);
    const CliRun run = run_posemb({"inspect", golden("safetensors/" + name).string(), "--format", "json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err, "");
    const auto listed = nlohmann::json::parse(run.out);
    EXPECT_EQ(listed["format"], "safetensors");
    EXPECT_EQ(listed["metadata"], file["metadata"]);
    ASSERT_EQ(listed["tensors"].size(), file["tensors"].size());
    for (std::size_t i = 0; i < file["tensors"].size(); ++i) {
      for (const char* key : {"name", "dtype", "shape", "data_offsets"})
        EXPECT_EQ(listed["tensors"][i][key], file["tensors"][i][key]) << key;
    }
  }
}

TEST(InspectCommand, SafetensorsAsTextIsATable) {
  const auto path = golden("safetensors/gpt2_tables.safetensors").string();
  const CliRun run = run_posemb({"inspect", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr(path + ": safetensors, 2 tensors"), HasSubstr("metadata:\n  format: pt\n"),
                             HasSubstr("wpe.weight  F32    [5, 4]  [0, 80)"),
                             HasSubstr("wte.weight  F32    [6, 4]  [80, 176)")));
}

TEST(InspectCommand, NpyAsJsonAndText) {
  const auto expected = manifest("npy/expected.json")["files"]["f4_fortran.npy"];
  const auto path = golden("npy/f4_fortran.npy").string();
  const CliRun json = run_posemb({"inspect", path, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto listed = nlohmann::json::parse(json.out);
  EXPECT_EQ(listed["format"], "npy");
  EXPECT_EQ(listed["descr"], expected["descr"]);
  EXPECT_EQ(listed["shape"], expected["shape"]);
  EXPECT_EQ(listed["fortran_order"], expected["fortran_order"]);

  const CliRun text = run_posemb({"inspect", path});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, AllOf(HasSubstr("npy 1.0, dtype '<f4' (F32), shape [2, 3, 4], Fortran (column-major) order"),
                              HasSubstr("96 bytes of data")));
}

TEST(InspectCommand, MalformedFileIsAnErrorOnStderr) {
  const auto path = test_dir() / "truncated.safetensors";
  const std::string valid = posemb::io::read_file_bytes(golden("safetensors/gpt2_tables.safetensors"));
  posemb::io::write_file_atomically(path, valid.substr(0, valid.size() - 10));
  const CliRun run = run_posemb({"inspect", path.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, AllOf(HasSubstr("posemb: error: " + path.string()),
                             HasSubstr("tensor \"wte.weight\": data_offsets [80, 176) end past the data buffer")));
}

// A file of another kind: its first 8 bytes read as a header length run far past its end. The
// message says it is not safetensors (naming the path and the byte), nor .npy, and what it
// looks like.
TEST(InspectCommand, AFileThatIsNeitherSafetensorsNorNpySaysWhatItLooksLike) {
  const auto text = test_dir() / "notes.txt";
  posemb::io::write_file_atomically(text, "These are notes, not tensors.\n");
  CliRun run = run_posemb({"inspect", text.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, AllOf(HasSubstr("posemb: error: " + text.string() +
                                       ": not a safetensors file: the header length at byte 0 is "),
                             HasSubstr(", but only 22 bytes follow it (and the format allows at most 100000000); nor "
                                       "is it a .npy file: its first bytes look like text")));

  const auto png = test_dir() / "picture.png";
  posemb::io::write_file_atomically(png, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01", 20));
  run = run_posemb({"inspect", png.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, AllOf(HasSubstr(png.string() + ": not a safetensors file: the header length at byte 0 is "
                                                      "727905341920923785, but only 12 bytes follow it"),
                             HasSubstr("its first bytes look like a PNG image")));

  // A small length past the end, and no JSON at byte 8: not a safetensors file cut short.
  const auto binary = test_dir() / "data.bin";
  posemb::io::write_file_atomically(binary, std::string("\x40\0\0\0\0\0\0\0\x01\x02\x03\x04", 12));
  run = run_posemb({"inspect", binary.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "posemb: error: " + binary.string() +
                         ": not a safetensors file: the header length at byte 0 is 64, but only 4 bytes follow it, "
                         "and byte 8 is not the '{' that starts a JSON header\n");
}

TEST(InspectCommand, MissingFileNamesThePath) {
  const CliRun run = run_posemb({"inspect", "/nonexistent/model.safetensors"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("posemb: error: /nonexistent/model.safetensors: cannot open for reading"));
}

TEST(InspectCommand, HelpAndBadFormat) {
  const CliRun help = run_posemb({"inspect", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, AllOf(HasSubstr("FILE"), HasSubstr("--format")));
  const CliRun bad = run_posemb({"inspect", golden("npy/f4.npy").string(), "--format", "yaml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("yaml"));
}

}  // namespace
