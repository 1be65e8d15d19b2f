#include "posemb/plot/study_chart.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

#include "posemb/core/error.hpp"

namespace posemb::plot {

LineChart study_chart(const nlohmann::json& study, std::string_view source) {
  const auto need = [&](const nlohmann::json& object, const char* key) -> const nlohmann::json& {
    if (!object.is_object() || !object.contains(key))
      throw Error(fmt::format("{}: not a posemb study: '{}' is missing", source, key));
    return object.at(key);
  };
  LineChart chart;
  chart.title = fmt::format("Held-out perplexity past the training length (L = {})", need(study, "train_length").dump());
  chart.x_label = "evaluation length (tokens)";
  chart.y_label = "held-out perplexity";
  chart.log_x = true;
  chart.log_y = true;
  std::vector<std::string> left_out;
  for (const auto& scheme : need(study, "schemes")) {
    Series series;
    series.label = need(scheme, "scheme").get<std::string>();
    for (const auto& r : need(scheme, "results")) {
      const double length = need(r, "length").get<double>();
      const auto& perplexity = need(r, "perplexity");
      series.x.push_back(length);
      if (perplexity.is_number()) {
        series.y.push_back(perplexity.get<double>());
      } else {
        series.y.push_back(std::numeric_limits<double>::quiet_NaN());
        left_out.push_back(fmt::format("{} at {}", series.label, length));
      }
    }
    chart.series.push_back(std::move(series));
  }
  if (!left_out.empty())
    chart.note = fmt::format("Not plotted (cannot evaluate: learned positions end at L): {}",
                             fmt::join(left_out, ", "));
  return chart;
}

}  // namespace posemb::plot
