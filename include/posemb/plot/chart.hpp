#pragma once
// Charts for the command line's pictures, drawn with cairo: line charts (linear or log axes,
// one colour and legend entry per series) and heatmaps (viridis, with a colour bar), alone or
// as small multiples. The output format follows the file's extension (.png or .svg); files are
// written atomically. Bad sizes, paths or data throw posemb::Error naming them.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace posemb::plot {

struct Size {
  int width = 900;
  int height = 600;
};

struct Series {
  std::string label;
  std::vector<double> x, y;  // same length; points with a non-finite y are gaps
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::string note;  // a line under the plot (e.g. what was left out and why)
};

// values[r * cols + c] is drawn at row r (top to bottom) and column c.
struct Heatmap {
  std::string title, x_label, y_label;
  std::int64_t rows = 0, cols = 0;
  std::vector<double> values;
  double first_x = 0, first_y = 0;  // the axis value of column 0 and of row 0
};

// Panels side by side sharing one colour scale and bar (e.g. one per attention head).
struct HeatmapPanels {
  std::string title, value_label;
  std::vector<Heatmap> panels;
};

enum class Format { kPng, kSvg };

// .png or .svg; anything else is an error naming the path.
Format format_of(const std::filesystem::path& path);

// The picture's bytes: a PNG file, or an SVG document.
std::string render(const LineChart& chart, Format format, Size size = {});
std::string render(const HeatmapPanels& panels, Format format, Size size = {});

// render() into a file, atomically, in the format its extension names.
void save(const LineChart& chart, const std::filesystem::path& path, Size size = {});
void save(const HeatmapPanels& panels, const std::filesystem::path& path, Size size = {});

// Viridis (matplotlib's perceptually uniform map) at t in [0, 1]: r, g, b in [0, 1].
struct Rgb {
  double r, g, b;
};
Rgb viridis(double t);

// Readable tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten
// (linear), or the powers of ten inside the range (log).
std::vector<double> linear_ticks(double lo, double hi, int target_count = 6);
std::vector<double> log_ticks(double lo, double hi);

}  // namespace posemb::plot
