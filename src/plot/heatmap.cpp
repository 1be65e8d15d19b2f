// Heatmaps: one or more panels of cells coloured by viridis on a shared scale, and a colour bar.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "canvas.hpp"
#include "posemb/core/error.hpp"

namespace posemb::plot {
namespace {

// Panels sit on a grid of up to 4 columns of square panels; the column count that gives the
// largest squares wins, so that a few panels (4 heads of an attention map) fill the canvas in
// 2 x 2 rather than leave its lower half empty in 1 x 4.
struct Grid {
  std::int64_t cols = 1, rows = 1;
  double cell_w = 0, cell_h = 0, side = 0;
};

Grid best_grid(std::int64_t panels, double width, double height, double gap_x, double gap_y) {
  Grid best;
  for (std::int64_t cols = 1; cols <= std::min<std::int64_t>(panels, 4); ++cols) {
    Grid g;
    g.cols = cols;
    g.rows = (panels + cols - 1) / cols;
    g.cell_w = (width - gap_x * double(cols - 1)) / double(cols);
    g.cell_h = (height - gap_y * double(g.rows)) / double(g.rows);
    g.side = std::min(g.cell_w, g.cell_h);
    if (g.side > best.side + 0.5) best = g;
  }
  return best;
}

}  // namespace

std::string render(const HeatmapPanels& figure, Format format, Size size) {
  if (figure.panels.empty()) throw Error(fmt::format("figure '{}': nothing to plot (no panels)", figure.title));
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Heatmap& h : figure.panels) {
    if (h.rows < 1 || h.cols < 1 || static_cast<std::int64_t>(h.values.size()) != h.rows * h.cols)
      throw Error(fmt::format("heatmap '{}': {} values for {} x {} cells", h.title, h.values.size(), h.rows, h.cols));
    for (const double v : h.values)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  }
  if (!(hi >= lo)) lo = hi = 0;
  const double span = hi > lo ? hi - lo : 1.0;

  Canvas canvas(format, size);
  cairo_t* cr = canvas.cr();
  const auto n = static_cast<std::int64_t>(figure.panels.size());
  const double top = 60, bottom = canvas.height() - 20.0, left = 80, right_edge = canvas.width() - 110.0;
  const double gap_x = 40, gap_y = 70, bar_width = 18;
  const Grid grid = best_grid(n, right_edge - left, bottom - top, gap_x, gap_y);
  const double cell_w = grid.cell_w, side = grid.side;
  // The grid is centred vertically when its squares are narrower than the space.
  const double grid_top = top + (bottom - top - double(grid.rows) * (side + gap_y)) / 2;
  for (std::int64_t p = 0; p < n; ++p) {
    const Heatmap& h = figure.panels[static_cast<std::size_t>(p)];
    const double x0 = left + double(p % grid.cols) * (cell_w + gap_x) + (cell_w - side) / 2;
    const double y0 = grid_top + 20 + double(p / grid.cols) * (side + gap_y);
    const double panel_w = side, panel_h = side;
    const double cw = panel_w / static_cast<double>(h.cols), ch = panel_h / static_cast<double>(h.rows);
    for (std::int64_t r = 0; r < h.rows; ++r)
      for (std::int64_t c = 0; c < h.cols; ++c) {
        const double v = h.values[static_cast<std::size_t>(r * h.cols + c)];
        const Rgb color = std::isfinite(v) ? viridis((v - lo) / span) : Rgb{1, 1, 1};  // masked cells stay white
        cairo_set_source_rgb(cr, color.r, color.g, color.b);
        // A hair wider than the cell, so that anti-aliasing leaves no seams.
        cairo_rectangle(cr, x0 + static_cast<double>(c) * cw, y0 + static_cast<double>(r) * ch, cw + 0.5, ch + 0.5);
        cairo_fill(cr);
      }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, panel_w, panel_h);
    cairo_stroke(cr);
    // Ticks: cell indices shifted by the axis value of the first row / column.
    const int tick_count = std::max(2, static_cast<int>(panel_w / 70));
    for (const double v : linear_ticks(0, static_cast<double>(h.cols - 1), tick_count))
      canvas.text(tick_label(v + h.first_x), x0 + (v + 0.5) * cw, y0 + panel_h + 14, 10);
    for (const double v : linear_ticks(0, static_cast<double>(h.rows - 1), tick_count))
      canvas.text(tick_label(v + h.first_y), x0 - 4, y0 + (v + 0.5) * ch + 4, 10, Canvas::Align::kRight);
    canvas.text(h.title, x0 + panel_w / 2, y0 - 8, 12);
    canvas.text(h.x_label, x0 + panel_w / 2, y0 + panel_h + 32, 12);
    canvas.text(h.y_label, x0 - 34, y0 + panel_h / 2, 12, Canvas::Align::kCenter, false, true);
  }
  const double bar_top = top + 20, bar_bottom = bottom - gap_y + 20;
  // Colour bar with its scale.
  const double bx = right_edge + 20;
  const int steps = 128;
  for (int i = 0; i < steps; ++i) {
    const Rgb c = viridis(static_cast<double>(i) / (steps - 1));
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    const double y = bar_bottom - (bar_bottom - bar_top) * (i + 1) / steps;
    cairo_rectangle(cr, bx, y, bar_width, (bar_bottom - bar_top) / steps + 0.5);
    cairo_fill(cr);
  }
  for (const double v : linear_ticks(lo, hi)) {
    const double y = bar_bottom - (v - lo) / span * (bar_bottom - bar_top);
    canvas.text(tick_label(v), bx + bar_width + 5, y + 4, 11, Canvas::Align::kLeft);
  }
  canvas.text(figure.value_label, bx + bar_width / 2, bar_top - 8, 12);
  canvas.text(figure.title, canvas.width() / 2.0, 30, 17, Canvas::Align::kCenter, true);
  return canvas.finish();
}

}  // namespace posemb::plot
