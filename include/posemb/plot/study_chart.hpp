#pragma once
// The extrapolation study's picture: held-out perplexity against evaluation length, one line
// per scheme, from the study's JSON (`posemb study` writes study.json). Entries the study
// could not evaluate (learned positions past their table) are left out and named in the
// chart's note, never drawn as numbers.
#include <nlohmann/json.hpp>
#include <string_view>

#include "posemb/plot/chart.hpp"

namespace posemb::plot {

// Throws posemb::Error naming `source` and the missing or malformed key.
LineChart study_chart(const nlohmann::json& study, std::string_view source);

}  // namespace posemb::plot
