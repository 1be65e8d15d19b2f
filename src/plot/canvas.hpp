#pragma once
// A cairo drawing surface for one picture, PNG or SVG, and the few
// drawing helpers the charts share (text, axes frames). Private to src/plot.
#include <cairo.h>

#include <string>
#include <string_view>

#include "posemb/plot/chart.hpp"

namespace posemb::plot {

class Canvas {
 public:
  Canvas(Format format, Size size);  // checks the size
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() const { return cr_; }
  int width() const { return size_.width; }
  int height() const { return size_.height; }

  enum class Align { kLeft, kCenter, kRight };
  // Text with its baseline at y; `rotate` turns it a quarter counter-clockwise (y-axis labels).
  void text(std::string_view s, double x, double y, double points, Align align = Align::kCenter, bool bold = false,
            bool rotate = false) const;

  // Finishes the picture: the PNG file's or the SVG document's bytes.
  std::string finish();

 private:
  Size size_;
  bool svg_ = false;
  std::string svg_bytes_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
};

// "1000", "0.25", "1e-05": short tick labels.
std::string tick_label(double v);

}  // namespace posemb::plot
