#include <algorithm>
#include <array>
#include <cmath>

#include "posemb/plot/chart.hpp"

namespace posemb::plot {

// matplotlib's viridis (lib/matplotlib/_cm_listed.py, _viridis_data) at t = 0, 1/8, ..., 1
// (entries 0, 32, ..., 224, 255), as the sRGB hex values matplotlib documents:
// #440154 #482878 #3e4989 #31688e #26828e #1f9e89 #35b779 #6ece58 #fde725.
// Between them, linear interpolation: the map is smooth enough that 9 points keep it.
Rgb viridis(double t) {
  static constexpr std::array<std::array<int, 3>, 9> kPoints{{{0x44, 0x01, 0x54},
                                                              {0x48, 0x28, 0x78},
                                                              {0x3e, 0x49, 0x89},
                                                              {0x31, 0x68, 0x8e},
                                                              {0x26, 0x82, 0x8e},
                                                              {0x1f, 0x9e, 0x89},
                                                              {0x35, 0xb7, 0x79},
                                                              {0x6e, 0xce, 0x58},
                                                              {0xfd, 0xe7, 0x25}}};
  if (!std::isfinite(t)) t = 0.0;
  const double scaled = std::clamp(t, 0.0, 1.0) * (kPoints.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(scaled), kPoints.size() - 2);
  const double f = scaled - static_cast<double>(i);
  const auto mix = [&](int c) { return ((1 - f) * kPoints[i][c] + f * kPoints[i + 1][c]) / 255.0; };
  return {mix(0), mix(1), mix(2)};
}

}  // namespace posemb::plot
