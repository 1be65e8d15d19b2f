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

std::string error_of(const std::string& json) {
  try {
    (void)rope_params_from_hf_config(json, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RopeConfigErrors, NameTheParameter) {
  const std::string head = R"("hidden_size": 64, "num_attention_heads": 2, "max_position_embeddings": 128)";
  const auto with = [&](const std::string& extra) { return "{" + head + ", " + extra + "}"; };
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "linear", "factor": 0})")).find("rope_scaling.factor must be"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "linear", "factor": -2})")).find("factor"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "linear"})")).find("rope_scaling.factor is required"),
            std::string::npos);
  const std::string unknown = error_of(with(R"("rope_scaling": {"rope_type": "ntk-by-parts", "factor": 2})"));
  EXPECT_NE(unknown.find("unknown rope_type 'ntk-by-parts'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("llama3"), std::string::npos) << unknown;
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
      "original_max_position_embeddings": 64})")).find("high_freq_factor is required"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
      "high_freq_factor": 4, "original_max_position_embeddings": 64})")).find("low_freq_factor (4) must be less"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
      "high_freq_factor": 4})")).find("original_max_position_embeddings is required"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1],
      "long_factor": [1, 1]})")).find("short_factor must have rotary_dim / 2 = 16 values, got 2"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "yarn", "factor": "4"})")).find("rope_scaling.factor must be a number"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("partial_rotary_factor": 0.3)")).find("rotary dim must be even"), std::string::npos);
  EXPECT_NE(error_of(R"({"hidden_size": 64})").find("needs head_dim, or hidden_size and num_attention_heads"),
            std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("expected a JSON object"), std::string::npos);
  const std::string broken = error_of("{\"hidden_size\": 64,\n \"rope_theta\": }");
  EXPECT_NE(broken.find("cfg.json: not valid JSON at byte 36"), std::string::npos) << broken;
}

TEST(RopeConfigErrors, ANumberBeyondADoubleIsAnErrorNamingTheFile) {
  // nlohmann throws out_of_range, not parse_error, for these (found by fuzz/hf_config_fuzz.cpp).
  const std::string big = error_of(R"({"head_dim": 64, "rope_theta": 1e400})");
  EXPECT_EQ(big.rfind("cfg.json: not valid JSON: ", 0), 0u) << big;
  EXPECT_NE(big.find("number overflow parsing '1e400'"), std::string::npos) << big;
  EXPECT_NE(error_of("8888888888888888888888e888888").find("cfg.json: not valid JSON"), std::string::npos);
}

TEST(RopeConfigErrors, AHeadDimNoModelHasIsAnErrorNotAnAllocation) {
  // head_dim 4e9 made compute_rope_frequencies allocate 8 GB (found by fuzz/hf_config_fuzz.cpp).
  EXPECT_EQ(error_of(R"({"head_dim": 4000000000})"), "cfg.json: head_dim 4000000000 is larger than 65536: not a "
                                                     "transformer's head");
  EXPECT_NE(error_of(R"({"hidden_size": 9000000000000000, "num_attention_heads": 1})").find("is larger than 65536"),
            std::string::npos);
  EXPECT_EQ(rope_params_from_hf_config(R"({"head_dim": 65536})").head_dim, 65536);
}

TEST(RopeConfig, ReadsTransformers5RopeParametersAndModelConventions) {
  const RopeParams v5 = rope_params_from_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0,
      "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(v5.scaling.type, RopeType::kLlama3);
  EXPECT_EQ(v5.theta, 500000.0);
  EXPECT_EQ(v5.rotary_dim, 128);

  const RopeParams gptj = rope_params_from_hf_config(R"({"model_type": "gptj", "n_embd": 4096, "n_head": 16,
      "rotary_dim": 64, "n_positions": 2048})");
  EXPECT_EQ(gptj.pairing, RopePairing::kInterleaved);
  EXPECT_EQ(gptj.head_dim, 256);
  EXPECT_EQ(gptj.rotary_dim, 64);

  const RopeParams neox = rope_params_from_hf_config(R"({"model_type": "gpt_neox", "hidden_size": 6144,
      "num_attention_heads": 64, "rotary_pct": 0.25, "rotary_emb_base": 10000})");
  EXPECT_EQ(neox.pairing, RopePairing::kHalves);
  EXPECT_EQ(neox.rotary_dim, 24);

  const RopeParams old_key = rope_params_from_hf_config(R"({"head_dim": 64, "max_position_embeddings": 4096,
      "rope_scaling": {"type": "dynamic", "factor": 2.0}})");
  EXPECT_EQ(old_key.scaling.type, RopeType::kDynamic);
}

}  // namespace
}  // namespace posemb::positional
