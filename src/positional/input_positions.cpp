#include "posemb/positional/input_positions.hpp"

#include <fmt/format.h>

#include "posemb/positional/scheme.hpp"

namespace posemb::positional {

Tensor input_position_rows(std::string_view scheme_name, const SinusoidalParams& sinusoidal,
                           std::span<const Index> token_indices) {
  const SchemeKind kind = parse_scheme_kind(scheme_name);
  switch (kind) {
    case SchemeKind::kNope:
      if (sinusoidal.dim < 1) throw Error(fmt::format("nope: dim must be at least 1, got {}", sinusoidal.dim));
      return Tensor({static_cast<Index>(token_indices.size()), sinusoidal.dim});
    case SchemeKind::kSinusoidal: return SinusoidalPositions(sinusoidal).rows(token_indices);
    case SchemeKind::kLearned:
      throw Error("learned positions are rows of the model's own position table (wpe); load them with the "
                  "model's weights instead of computing them");
    default:
      throw Error(fmt::format("scheme '{}' acts inside attention, on the {}, not on the input embeddings; "
                              "schemes that add to the input: sinusoidal, learned, nope",
                              scheme_name, placement_name(placement_of(kind))));
  }
}

}  // namespace posemb::positional
