// The chart layer: tick choice, the colour map's end points, and pictures that are valid PNG
// or SVG files of the requested size; bad input is an error naming it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "plot/image_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/plot/chart.hpp"
#include "posemb/plot/study_chart.hpp"

namespace posemb::plot {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("posemb_chart_" + std::to_string(::getpid()) + "_" + name);
}

TEST(Ticks, LinearStepsAreOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_THAT(linear_ticks(0, 10, 5), ElementsAre(0, 2, 4, 6, 8, 10));
  EXPECT_THAT(linear_ticks(-1, 1, 4), ElementsAre(-1, -0.5, 0, 0.5, 1));
  EXPECT_THAT(linear_ticks(3, 97, 6), ElementsAre(20, 40, 60, 80));
}

TEST(Ticks, LogTicksArePowersOfTenOrOneTwoFiveWithinTwoDecades) {
  EXPECT_THAT(log_ticks(0.5, 5000), ElementsAre(1, 10, 100, 1000));
  EXPECT_THAT(log_ticks(100, 2100), ElementsAre(100, 200, 500, 1000, 2000));
  EXPECT_TRUE(log_ticks(-1, 10).empty());
}

TEST(Viridis, EndsAreMatplotlibsFirstAndLastColours) {
  const Rgb dark = viridis(0), light = viridis(1);
  EXPECT_NEAR(dark.r, 0x44 / 255.0, 1e-12);
  EXPECT_NEAR(dark.b, 0x54 / 255.0, 1e-12);
  EXPECT_NEAR(light.r, 0xfd / 255.0, 1e-12);
  EXPECT_NEAR(light.g, 0xe7 / 255.0, 1e-12);
  const Rgb mid = viridis(0.5);  // #26828e
  EXPECT_NEAR(mid.g, 0x82 / 255.0, 1e-12);
  EXPECT_NEAR(viridis(-3).r, dark.r, 1e-12);  // clamped
  EXPECT_NEAR(viridis(std::numeric_limits<double>::quiet_NaN()).r, dark.r, 1e-12);
}

LineChart two_lines() {
  return {"title", "x", "y", false, true,
          {{"a", {1, 2, 3}, {1, 10, 100}}, {"b", {1, 2, 3}, {2, std::numeric_limits<double>::quiet_NaN(), 5}}}, "note"};
}

TEST(Save, PngAndSvgOfTheRequestedSize) {
  const auto png = temp_path("lines.png"), svg = temp_path("lines.svg");
  save(two_lines(), png, {640, 480});
  const auto png_size = testing::png_size(io::read_file_bytes(png));
  ASSERT_TRUE(png_size.has_value());
  EXPECT_EQ(png_size->width, 640u);
  EXPECT_EQ(png_size->height, 480u);
  save(HeatmapPanels{"t", "v", {Heatmap{"h", "x", "y", 2, 3, {1, 2, 3, 4, 5, 6}}}}, svg, {300, 200});
  const auto svg_size = testing::svg_size(io::read_file_bytes(svg));
  ASSERT_TRUE(svg_size.has_value());
  EXPECT_EQ(svg_size->width, 300u);
  EXPECT_EQ(svg_size->height, 200u);
  std::filesystem::remove(png);
  std::filesystem::remove(svg);
}

TEST(Save, BadInputIsAnErrorNamingIt) {
  EXPECT_THAT([] { save(two_lines(), temp_path("x.jpg")); }, ThrowsMessage<Error>(HasSubstr("use .png or .svg")));
  EXPECT_THAT([] { save(two_lines(), temp_path("x.png"), {50, 600}); },
              ThrowsMessage<Error>(HasSubstr("picture size 50 x 600")));
  LineChart bad = two_lines();
  bad.series[0].y.pop_back();
  EXPECT_THAT([&] { save(bad, temp_path("x.png")); }, ThrowsMessage<Error>(HasSubstr("series 'a' has 3 x values")));
  EXPECT_THAT([] { save(HeatmapPanels{"t", "v", {Heatmap{"h", "x", "y", 2, 2, {1, 2, 3}}}}, temp_path("x.png")); },
              ThrowsMessage<Error>(HasSubstr("3 values for 2 x 2 cells")));
  EXPECT_THAT([] { save(two_lines(), "/nonexistent-folder/x.png"); }, ThrowsMessage<Error>(HasSubstr("/nonexistent-folder")));
}

TEST(StudyChart, CannotEvaluateEntriesAreGapsNamedInTheNote) {
  const auto study = nlohmann::json::parse(R"({"train_length": 32, "schemes": [
      {"scheme": "learned", "results": [{"length": 32, "perplexity": 5.5},
                                        {"length": 64, "perplexity": null, "status": "cannot evaluate"}]},
      {"scheme": "alibi", "results": [{"length": 32, "perplexity": 5.0}, {"length": 64, "perplexity": 4.9}]}]})");
  const LineChart chart = study_chart(study, "s.json");
  ASSERT_EQ(chart.series.size(), 2u);
  EXPECT_EQ(chart.series[0].label, "learned");
  EXPECT_THAT(chart.series[0].x, ElementsAre(32, 64));
  EXPECT_EQ(chart.series[0].y[0], 5.5);
  EXPECT_TRUE(std::isnan(chart.series[0].y[1]));
  EXPECT_THAT(chart.note, HasSubstr("learned at 64"));
  EXPECT_THAT([] { study_chart(nlohmann::json::parse(R"({"schemes": []})"), "s.json"); },
              ThrowsMessage<Error>(HasSubstr("s.json: not a posemb study: 'train_length' is missing")));
}

}  // namespace
}  // namespace posemb::plot
