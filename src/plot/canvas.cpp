#include "canvas.hpp"

#include <cairo-svg.h>
#include <fmt/format.h>

#include <cmath>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::plot {
namespace {

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Format format_of(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".png") return Format::kPng;
  if (ext == ".svg") return Format::kSvg;
  throw Error(fmt::format("{}: the picture's format comes from the extension: use .png or .svg", path.string()));
}

Canvas::Canvas(Format format, Size size) : size_(size) {
  if (size.width < 100 || size.height < 100 || size.width > 10000 || size.height > 10000)
    throw Error(fmt::format("picture size {} x {}: width and height must be between 100 and 10000 pixels", size.width,
                            size.height));
  svg_ = format == Format::kSvg;
  surface_ = svg_ ? cairo_svg_surface_create_for_stream(append_bytes, &svg_bytes_, size.width, size.height)
                  : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size.width, size.height);
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  if (cr_ != nullptr) cairo_destroy(cr_);
  if (surface_ != nullptr) cairo_surface_destroy(surface_);
}

void Canvas::text(std::string_view s, double x, double y, double points, Align align, bool bold, bool rotate) const {
  const std::string str(s);
  cairo_save(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, points);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, str.c_str(), &extents);
  const double shift = align == Align::kLeft ? 0.0 : align == Align::kCenter ? extents.x_advance / 2 : extents.x_advance;
  cairo_translate(cr_, x, y);
  if (rotate) cairo_rotate(cr_, -M_PI / 2);
  cairo_move_to(cr_, -shift, 0);
  cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
  cairo_show_text(cr_, str.c_str());
  cairo_restore(cr_);
}

std::string Canvas::finish() {
  std::string bytes;
  cairo_destroy(cr_);
  cr_ = nullptr;
  if (svg_) {
    cairo_surface_finish(surface_);
    bytes = std::move(svg_bytes_);
  } else {
    cairo_surface_flush(surface_);
    cairo_surface_write_to_png_stream(surface_, append_bytes, &bytes);
  }
  const cairo_status_t status = cairo_surface_status(surface_);
  if (status != CAIRO_STATUS_SUCCESS) throw Error(fmt::format("drawing failed: {}", cairo_status_to_string(status)));
  return bytes;
}

void save(const LineChart& chart, const std::filesystem::path& path, Size size) {
  const Format format = format_of(path);
  io::write_file_atomically(path, render(chart, format, size));
}

void save(const HeatmapPanels& panels, const std::filesystem::path& path, Size size) {
  const Format format = format_of(path);
  io::write_file_atomically(path, render(panels, format, size));
}

std::string tick_label(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}

}  // namespace posemb::plot
