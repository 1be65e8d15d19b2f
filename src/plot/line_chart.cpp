// Line charts: a frame with ticks and grid, one coloured line per series, a legend on the right.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "canvas.hpp"
#include "posemb/core/error.hpp"

namespace posemb::plot {
namespace {

// matplotlib's "tab10" colours: distinct, and readable on white.
constexpr std::array<Rgb, 10> kPalette{{{0.122, 0.467, 0.706},
                                        {1.000, 0.498, 0.055},
                                        {0.173, 0.627, 0.173},
                                        {0.839, 0.153, 0.157},
                                        {0.580, 0.404, 0.741},
                                        {0.549, 0.337, 0.294},
                                        {0.890, 0.467, 0.761},
                                        {0.498, 0.498, 0.498},
                                        {0.737, 0.741, 0.133},
                                        {0.090, 0.745, 0.812}}};

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(hi >= lo); }
};

// Maps data to pixels along one axis, linearly or by log10.
struct Scale {
  double lo, hi, p0, p1;
  bool log;
  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi, x = log ? std::log10(v) : v;
    return p0 + (x - a) / (b - a) * (p1 - p0);
  }
};

Range padded(Range r, bool log) {
  if (r.hi == r.lo) {
    r.lo = log ? r.lo / 2 : r.lo - 1;
    r.hi = log ? r.hi * 2 : r.hi + 1;
  } else if (log) {
    const double pad = std::pow(r.hi / r.lo, 0.04);
    r.lo /= pad;
    r.hi *= pad;
  } else {
    const double pad = (r.hi - r.lo) * 0.04;
    r.lo -= pad;
    r.hi += pad;
  }
  return r;
}

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

}  // namespace

std::string render(const LineChart& chart, Format format, Size size) {
  Range xr, yr;
  for (const Series& s : chart.series) {
    if (s.x.size() != s.y.size())
      throw Error(fmt::format("series '{}' has {} x values but {} y values", s.label, s.x.size(), s.y.size()));
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (usable(s.x[i], chart.log_x) && usable(s.y[i], chart.log_y)) {
        xr.add(s.x[i]);
        yr.add(s.y[i]);
      }
  }
  if (xr.empty()) throw Error(fmt::format("chart '{}': nothing to plot (no finite points)", chart.title));
  xr = padded(xr, chart.log_x);
  yr = padded(yr, chart.log_y);

  Canvas canvas(format, size);
  cairo_t* cr = canvas.cr();
  const double left = 90, right = canvas.width() - 210, top = 60, bottom = canvas.height() - (chart.note.empty() ? 70 : 95);
  const Scale sx{xr.lo, xr.hi, left, right, chart.log_x}, sy{yr.lo, yr.hi, bottom, top, chart.log_y};

  // Grid and ticks.
  cairo_set_line_width(cr, 1);
  const auto xt = chart.log_x ? log_ticks(xr.lo, xr.hi) : linear_ticks(xr.lo, xr.hi);
  const auto yt = chart.log_y ? log_ticks(yr.lo, yr.hi) : linear_ticks(yr.lo, yr.hi);
  for (const double v : xt) {
    const double px = sx(v);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, px, top);
    cairo_line_to(cr, px, bottom);
    cairo_stroke(cr);
    canvas.text(tick_label(v), px, bottom + 18, 12);
  }
  for (const double v : yt) {
    const double py = sy(v);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, left, py);
    cairo_line_to(cr, right, py);
    cairo_stroke(cr);
    canvas.text(tick_label(v), left - 6, py + 4, 12, Canvas::Align::kRight);
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);

  // Series, clipped to the frame; a non-finite point breaks the line.
  cairo_save(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  for (std::size_t k = 0; k < chart.series.size(); ++k) {
    const Series& s = chart.series[k];
    const Rgb c = kPalette[k % kPalette.size()];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    bool drawing = false;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], chart.log_x) || !usable(s.y[i], chart.log_y)) {
        drawing = false;
        continue;
      }
      if (drawing)
        cairo_line_to(cr, sx(s.x[i]), sy(s.y[i]));
      else
        cairo_move_to(cr, sx(s.x[i]), sy(s.y[i]));
      drawing = true;
    }
    cairo_stroke(cr);
    if (s.x.size() <= 32)  // few points: mark them
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (usable(s.x[i], chart.log_x) && usable(s.y[i], chart.log_y)) {
          cairo_arc(cr, sx(s.x[i]), sy(s.y[i]), 3.5, 0, 2 * M_PI);
          cairo_fill(cr);
        }
  }
  cairo_restore(cr);

  // Legend, titles, labels.
  for (std::size_t k = 0; k < chart.series.size(); ++k) {
    const Rgb c = kPalette[k % kPalette.size()];
    const double y = top + 14 + 22.0 * static_cast<double>(k);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_rectangle(cr, right + 16, y - 9, 22, 10);
    cairo_fill(cr);
    canvas.text(chart.series[k].label, right + 46, y, 13, Canvas::Align::kLeft);
  }
  canvas.text(chart.title, canvas.width() / 2.0, 34, 17, Canvas::Align::kCenter, true);
  canvas.text(chart.x_label + (chart.log_x ? " (log scale)" : ""), (left + right) / 2, bottom + 44, 14);
  canvas.text(chart.y_label + (chart.log_y ? " (log scale)" : ""), 26, (top + bottom) / 2, 14, Canvas::Align::kCenter,
              false, true);
  if (!chart.note.empty()) canvas.text(chart.note, left, canvas.height() - 16, 12, Canvas::Align::kLeft);
  return canvas.finish();
}

}  // namespace posemb::plot
