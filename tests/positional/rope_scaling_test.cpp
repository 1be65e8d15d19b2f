#include "posemb/positional/rope_scaling.hpp"

#include <gtest/gtest.h>

#include <iostream>

#include "golden.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope.hpp"

namespace posemb::positional {
namespace {

using testing::expect_elementwise_close;
using testing::expect_scaled_close;
using testing::floats;

std::string describe(const nlohmann::json& c) {
  return c["name"].get<std::string>() + (c["seq_len"].is_null() ? "" : " seq_len " + c["seq_len"].dump());
}

// Frequencies within 1e-6 relative (most are bit-identical; PyTorch's vectorised pow is not
// correctly rounded, so a few differ by one ulp). Given the same frequencies, the cos/sin
// tables agree to 1e-5 at every position, 131071 included: the float32 product is the same.
TEST(RopeFrequencies, EveryRopeTypeMatchesTransformers457) {
  const auto golden = testing::load_positional_golden("rope_frequencies.json");
  ASSERT_GE(golden["cases"].size(), 15u);
  std::size_t identical = 0, total = 0;
  for (const auto& c : golden["cases"]) {
    const RopeParams params = rope_params_from_hf_config(c["config"].dump(), c["name"].get<std::string>());
    EXPECT_EQ(params.rotary_dim, c["rotary_dim"].get<Index>()) << describe(c);
    std::optional<Index> seq_len;
    if (!c["seq_len"].is_null()) seq_len = c["seq_len"].get<Index>();
    const RopeFrequencies ours = compute_rope_frequencies(params, seq_len);
    const auto reference_inv_freq = floats(c["inv_freq"]);
    expect_elementwise_close(ours.inv_freq, reference_inv_freq, 1e-6, describe(c) + " inv_freq");
    EXPECT_NEAR(ours.attention_factor, c["attention_factor"].get<double>(), 1e-6) << describe(c);
    for (std::size_t i = 0; i < reference_inv_freq.size(); ++i) identical += ours.inv_freq[i] == reference_inv_freq[i];
    total += reference_inv_freq.size();

    RopeFrequencies reference{reference_inv_freq, ours.attention_factor};
    const auto positions = c["positions"].get<std::vector<Index>>();
    const RopeCache f32 = rope_cos_sin_at(reference, positions);
    expect_scaled_close(f32.cos, floats(c["cos"]), 1e-5, describe(c) + " cos");
    expect_scaled_close(f32.sin, floats(c["sin"]), 1e-5, describe(c) + " sin");
    const RopeCache f64 = rope_cos_sin_at(reference, positions, AnglePrecision::kFloat64);
    expect_scaled_close(f64.cos, floats(c["cos_double_angle"]), 1e-6, describe(c) + " cos, double angles");

    // With our own frequencies: within 1e-5 plus what one ulp of inv_freq (and the product's rounding) moves the angle by.
    const RopeCache own = rope_cos_sin_at(ours, positions);
    const auto expected_cos = floats(c["cos"]);
    const auto half = static_cast<std::size_t>(own.half);
    for (std::size_t r = 0; r < positions.size(); ++r)
      for (std::size_t i = 0; i < half; ++i) {
        const double slack = static_cast<double>(positions[r]) * ours.inv_freq[i] * 0x1p-22 * ours.attention_factor;
        EXPECT_NEAR(own.cos[r * half + i], expected_cos[r * half + i], 1e-5 * ours.attention_factor + slack)
            << describe(c) << " position " << positions[r] << " pair " << i;
      }
  }
  std::cout << "[ info ] " << identical << " of " << total << " inverse frequencies bit-identical to PyTorch's\n";
  EXPECT_GT(identical, total * 9 / 10);
}

TEST(RopeFrequencies, DynamicDependsOnSequenceLengthOnlyAboveTheTrainedLength) {
  RopeParams p;
  p.head_dim = p.rotary_dim = 64;
  p.max_position_embeddings = 2048;
  p.scaling.type = RopeType::kDynamic;
  p.scaling.factor = 4.0;
  const auto base = compute_rope_frequencies(p).inv_freq;
  EXPECT_EQ(compute_rope_frequencies(p, 10).inv_freq, base);
  EXPECT_EQ(compute_rope_frequencies(p, 2048).inv_freq, base);
  const auto longer = compute_rope_frequencies(p, 8192).inv_freq;
  EXPECT_EQ(longer[0], 1.0f);
  EXPECT_LT(longer.back(), base.back());
}

TEST(PRope, KeepsOnlyTheHighestFrequencies) {
  const auto golden = testing::load_positional_golden("p_rope.json");
  for (const auto& c : golden["cases"]) {
    RopeParams p;
    p.head_dim = p.rotary_dim = c["head_dim"].get<Index>();
    p.kept_frequency_fraction = c["fraction"].get<double>();
    const auto f = compute_rope_frequencies(p);
    expect_elementwise_close(f.inv_freq, floats(c["inv_freq"]), 1e-5, "p-RoPE " + c["fraction"].dump());
    const auto kept = c["kept"].get<std::size_t>();
    for (std::size_t i = 0; i < f.inv_freq.size(); ++i) EXPECT_EQ(f.inv_freq[i] == 0.0f, i >= kept);
  }
}

}  // namespace
}  // namespace posemb::positional
