#include "posemb/positional/hf_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "posemb/core/error.hpp"

// What transformers does with each edge case is read from its sources (docs/positional.md
// quotes the lines): v4.57 for `rope_scaling`, 5.x for `rope_parameters`. The expected
// messages are the ones this reader promises; the values (which type wins, which theta) are
// transformers'.
namespace posemb::positional {
namespace {

std::string error_of(const std::string& json) {
  try {
    (void)rope_params_from_hf_config(json, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const std::string kHead = R"("hidden_size": 64, "num_attention_heads": 2, "max_position_embeddings": 128)";
std::string config_with(const std::string& extra) { return "{" + kHead + ", " + extra + "}"; }
RopeParams read(const std::string& extra) { return rope_params_from_hf_config(config_with(extra), "cfg.json"); }

TEST(RopeConfigErrors, NameTheParameter) {
  const auto with = config_with;
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "linear", "factor": 0})")),
            "cfg.json: rope: rope_scaling.factor must be a finite number greater than 0, got 0");
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "linear", "factor": -2})")),
            "cfg.json: rope: rope_scaling.factor must be a finite number greater than 0, got -2");
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "linear"})")),
            "cfg.json: rope: rope_scaling.factor is required for rope_type 'linear'");
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
      "original_max_position_embeddings": 64})")).find("high_freq_factor is required"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
      "high_freq_factor": 4, "original_max_position_embeddings": 64})")).find("low_freq_factor (4) must be less"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
      "high_freq_factor": 4})")).find("original_max_position_embeddings is required"), std::string::npos);
  EXPECT_NE(error_of(with(R"("rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1],
      "long_factor": [1, 1]})")).find("short_factor must have rotary_dim / 2 = 16 values, got 2"), std::string::npos);
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "yarn", "factor": "4"})")),
            "cfg.json: rope_scaling.factor must be a number, got string");
  EXPECT_EQ(error_of(with(R"("partial_rotary_factor": 0.3)")),
            "cfg.json: rope: rotary dim must be even and positive, got 9 (from int(head dimension 32 x "
            "partial_rotary_factor 0.3))");
  EXPECT_EQ(error_of(with(R"("rotary_pct": 1.5)")), "cfg.json: rotary_pct must be in (0, 1], got 1.5");
  EXPECT_EQ(error_of(R"({"hidden_size": 64})"), "cfg.json: needs head_dim, or hidden_size and num_attention_heads");
  EXPECT_EQ(error_of(R"({"n_embd": 64, "n_head": 0})"), "cfg.json: n_head must be positive, got 0");
  EXPECT_EQ(error_of(R"({"hidden_size": 1, "num_attention_heads": 2})"),
            "cfg.json: head dimension hidden_size // num_attention_heads = 1 // 2 is 0");
  EXPECT_EQ(error_of(R"({"head_dim": -64})"), "cfg.json: head_dim must be a whole number, 0 or more, got -64");
  EXPECT_EQ(error_of(with(R"("rotary_dim": 80, "model_type": "gptj")")),
            "cfg.json: rope: rotary dim 80 (from rotary_dim) is larger than head_dim 32");
  EXPECT_EQ(error_of(with(R"("model_type": 7)")), "cfg.json: model_type must be a string, got number");
  EXPECT_EQ(error_of(with(R"("rope_scaling": "linear")")), "cfg.json: rope_scaling must be an object, got string");
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "yarn", "factor": 4, "truncate": 0})")),
            "cfg.json: rope_scaling.truncate must be true or false, got number");
  EXPECT_EQ(error_of(with(R"("rope_scaling": {"rope_type": "longrope", "short_factor": [1, "x"]})")),
            "cfg.json: rope_scaling.short_factor[1] must be a number, got string");
  EXPECT_EQ(error_of("[1, 2]"), "cfg.json: expected a JSON object, got array");
  const std::string broken = error_of("{\"hidden_size\": 64,\n \"rope_theta\": }");
  EXPECT_NE(broken.find("cfg.json: not valid JSON at byte 36"), std::string::npos) << broken;
}

TEST(RopeConfigErrors, NameTheFileTheyCameFrom) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "posemb_hf_config_bad.json";
  std::ofstream(path) << config_with(R"("rope_theta": 1e400)");
  try {
    (void)rope_params_from_hf_config_file(path);
    ADD_FAILURE() << "expected a posemb::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() + ": rope_theta: 1e400 is not a finite number (it overflows a double)");
  }
  std::filesystem::remove(path);
}

// v4.57's model configs copy `type` over `rope_type` (models/llama/configuration_llama.py:
// `if ... "type" in self.rope_scaling: self.rope_scaling["rope_type"] = self.rope_scaling["type"]`),
// whichever comes first in the file.
TEST(RopeConfigErrors, AHeadDimNoModelHasIsAnErrorNotAnAllocation) {
  // head_dim 4e9 made compute_rope_frequencies allocate 8 GB (found by fuzz/hf_config_fuzz.cpp).
  EXPECT_EQ(error_of(R"({"head_dim": 4000000000})"), "cfg.json: head_dim 4000000000 is larger than 65536: not a "
                                                     "transformer's head");
  EXPECT_NE(error_of(R"({"hidden_size": 9000000000000000, "num_attention_heads": 1})").find("is larger than 65536"),
            std::string::npos);
  EXPECT_EQ(rope_params_from_hf_config(R"({"head_dim": 65536})").head_dim, 65536);
}

TEST(RopeConfig, RopeScalingTypeOverwritesRopeTypeAsTransformers457Does) {
  EXPECT_EQ(read(R"("rope_scaling": {"type": "linear", "rope_type": "dynamic", "factor": 2})").scaling.type,
            RopeType::kLinear);
  EXPECT_EQ(read(R"("rope_scaling": {"rope_type": "dynamic", "type": "linear", "factor": 2})").scaling.type,
            RopeType::kLinear);
  EXPECT_EQ(read(R"("rope_scaling": {"type": "dynamic", "factor": 2})").scaling.type, RopeType::kDynamic);
  // A `type` that is there but null still overwrites: rope_type None, which v4.57 cannot build.
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"type": null, "rope_type": "linear", "factor": 2})")),
            "cfg.json: rope_scaling.type must be a string, got null");
}

// 5.x keeps `rope_type` and lets `type` only fill it in (standardize_rope_params:
// `rope_parameters.setdefault("rope_type", rope_parameters.get("type", "default"))`).
TEST(RopeConfig, RopeParametersRopeTypeWinsAsTransformers5Does) {
  EXPECT_EQ(read(R"("rope_parameters": {"type": "linear", "rope_type": "dynamic", "factor": 2})").scaling.type,
            RopeType::kDynamic);
  EXPECT_EQ(read(R"("rope_parameters": {"type": "linear", "factor": 2})").scaling.type, RopeType::kLinear);
  // No type at all is 'default' in 5.x ...
  const RopeParams plain = read(R"("rope_parameters": {"rope_theta": 500000.0})");
  EXPECT_EQ(plain.scaling.type, RopeType::kDefault);
  EXPECT_EQ(plain.theta, 500000.0);
}

TEST(RopeConfig, ScalingKeysWithoutATypeAreRefused) {
  // v4.57 builds no model from these: ROPE_INIT_FUNCTIONS[None] is a KeyError.
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"factor": 4.0})")),
            "cfg.json: rope_scaling.factor is given but rope_scaling has no 'rope_type' (or 'type'): a type is "
            "required (known: default, linear, dynamic, yarn, longrope, llama3); transformers v4.57 cannot build a "
            "model from it");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {})")),
            "cfg.json: rope_scaling has no 'rope_type' (or 'type'): a type is required (known: default, linear, "
            "dynamic, yarn, longrope, llama3); transformers v4.57 cannot build a model from it");
  // ... and 5.x would silently take 'default' and drop the factor.
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"rope_theta": 10000.0, "factor": 4.0})")),
            "cfg.json: rope_parameters.factor is given but rope_parameters has no 'rope_type': a type is required "
            "(known: default, linear, dynamic, yarn, longrope, llama3); transformers 5 would use 'default' and "
            "ignore it");
  // null is absent, as in transformers.
  EXPECT_EQ(read(R"("rope_scaling": null)").scaling.type, RopeType::kDefault);
}

TEST(RopeConfig, UnknownRopeTypesNameTheKeyAndTheKnownTypes) {
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "ntk-by-parts", "factor": 2})")),
            "cfg.json: rope_scaling.rope_type: unknown rope_type 'ntk-by-parts' (known: default, linear, dynamic, "
            "yarn, longrope, llama3)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"type": "su", "factor": 2})")),
            "cfg.json: rope_scaling.type: unknown rope_type 'su' (known: default, linear, dynamic, yarn, longrope, "
            "llama3)");
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"rope_type": "mrope"})")),
            "cfg.json: rope_parameters.rope_type: unknown rope_type 'mrope' (known: default, linear, dynamic, yarn, "
            "longrope, llama3)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": 3})")),
            "cfg.json: rope_scaling.rope_type must be a string, got number");
}

// 5.x: rope_parameters' own rope_theta wins over the top-level one
// (`self.rope_parameters.setdefault("rope_theta", rope_theta)`); the top-level one fills in.
TEST(RopeConfig, RopeParametersThetaWinsOverTheTopLevelAsTransformers5Does) {
  EXPECT_EQ(read(R"("rope_theta": 10000.0, "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0})").theta,
            500000.0);
  EXPECT_EQ(read(R"("rope_theta": 250000.0, "rope_parameters": {"rope_type": "default"})").theta, 250000.0);
  EXPECT_EQ(read(R"("rope_parameters": {"rope_type": "default"})").theta, 10000.0);
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"rope_type": "default", "rope_theta": -5})")),
            "cfg.json: rope: rope_parameters.rope_theta must be a finite number greater than 1, got -5");
}

// v4.57 reads only the top-level rope_theta; 5.x would prefer one inside rope_scaling. Agreeing
// values are fine; disagreeing ones are refused.
TEST(RopeConfig, RopeThetaInsideRopeScalingMustAgreeWithTheTopLevel) {
  EXPECT_EQ(read(R"("rope_theta": 500000.0, "rope_scaling": {"rope_type": "linear", "factor": 2,
      "rope_theta": 500000.0})").theta, 500000.0);
  EXPECT_EQ(error_of(config_with(R"("rope_theta": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 2,
      "rope_theta": 500000.0})")),
            "cfg.json: rope_scaling.rope_theta (500000) disagrees with rope_theta (10000): transformers v4.57 reads "
            "only the top-level key, 5.x prefers rope_scaling's; give one value");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": 2, "rope_theta": 500000.0})")),
            "cfg.json: rope_scaling.rope_theta (500000) disagrees with the default rope_theta (10000): transformers "
            "v4.57 reads only the top-level key, 5.x prefers rope_scaling's; give one value");
}

// Both blocks: v4.57 reads rope_scaling only, and so does 5.x (`rope_scaling or
// self.rope_parameters`). posemb reads them when they agree and refuses them when they do not.
TEST(RopeConfig, RopeScalingAndRopeParametersTogetherMustAgree) {
  const RopeParams same = read(R"("rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 4},
      "rope_parameters": {"rope_type": "linear", "factor": 4, "rope_theta": 500000.0})");
  EXPECT_EQ(same.scaling.type, RopeType::kLinear);
  EXPECT_EQ(same.scaling.factor, 4.0);
  EXPECT_EQ(same.theta, 500000.0);
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": 4},
      "rope_parameters": {"rope_type": "linear", "factor": 8})")),
            "cfg.json: rope_scaling and rope_parameters disagree on factor (4 and 8): transformers v4.57 and 5.x "
            "would both read rope_scaling and ignore rope_parameters; give one of them");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "yarn", "factor": 4},
      "rope_parameters": {"rope_type": "linear", "factor": 4})")),
            "cfg.json: rope_scaling and rope_parameters disagree on rope_type (yarn and linear): transformers v4.57 "
            "and 5.x would both read rope_scaling and ignore rope_parameters; give one of them");
  EXPECT_EQ(error_of(config_with(R"("rope_theta": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 4},
      "rope_parameters": {"rope_type": "linear", "factor": 4, "rope_theta": 500000.0})")),
            "cfg.json: rope_scaling and rope_parameters disagree on rope_theta (rope_parameters.rope_theta 500000 and "
            "rope_theta (10000)): transformers v4.57 and 5.x would both read rope_scaling and ignore rope_parameters; "
            "give one of them");
}

// Python's json module reads NaN, Infinity and 1e400 (as inf); transformers would then compute
// NaN or zero frequencies. nlohmann::json refuses them, and the reader names the key.
TEST(RopeConfig, NonFiniteNumbersNameTheKeyAndTheValue) {
  EXPECT_EQ(error_of(config_with(R"("rope_theta": 1e400)")),
            "cfg.json: rope_theta: 1e400 is not a finite number (it overflows a double)");
  EXPECT_EQ(error_of(config_with(R"("rope_theta": -1e400)")),
            "cfg.json: rope_theta: -1e400 is not a finite number (it overflows a double)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": 1e999})")),
            "cfg.json: rope_scaling.factor: 1e999 is not a finite number (it overflows a double)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1, 2e308]})")),
            "cfg.json: rope_scaling.short_factor[2]: 2e308 is not a finite number (it overflows a double)");
  EXPECT_EQ(error_of(config_with(R"("rope_theta": NaN)")),
            "cfg.json: rope_theta: NaN is not a finite number (JSON has no NaN or Infinity)");
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"rope_type": "linear", "factor": Infinity})")),
            "cfg.json: rope_parameters.factor: Infinity is not a finite number (JSON has no NaN or Infinity)");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "yarn", "factor": 4, "beta_fast": -Infinity})")),
            "cfg.json: rope_scaling.beta_fast: -Infinity is not a finite number (JSON has no NaN or Infinity)");
  // Zero and negative values transformers cannot use (a negative base gives NaN frequencies).
  EXPECT_EQ(error_of(config_with(R"("rope_theta": 0)")),
            "cfg.json: rope: rope_theta must be a finite number greater than 1, got 0");
  EXPECT_EQ(error_of(config_with(R"("rotary_emb_base": -10000)")),
            "cfg.json: rope: rotary_emb_base must be a finite number greater than 1, got -10000");
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"rope_type": "dynamic", "factor": -2})")),
            "cfg.json: rope: rope_parameters.factor must be a finite number greater than 0, got -2");
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "yarn", "factor": 4, "attention_factor": 0})")),
            "cfg.json: rope: rope_scaling.attention_factor must be a finite number greater than 0, got 0");
  // 1e-400 underflows to 0 in Python too: a plain 0, refused as such.
  EXPECT_EQ(error_of(config_with(R"("rope_scaling": {"rope_type": "linear", "factor": 1e-400})")),
            "cfg.json: rope: rope_scaling.factor must be a finite number greater than 0, got 0");
}

TEST(RopeConfig, PerLayerTypeRopeParametersAreRefused) {
  EXPECT_EQ(error_of(config_with(R"("rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1e6},
      "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}})")),
            "cfg.json: rope_parameters.full_attention is an object: RoPE parameters per layer type are not supported "
            "(posemb reads one RoPE for the whole model)");
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

  const RopeParams partial_v5 = read(R"("rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5})");
  EXPECT_EQ(partial_v5.rotary_dim, 16);
  EXPECT_EQ(error_of(config_with(R"("partial_rotary_factor": 0.25,
      "rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5})")),
            "cfg.json: rope_parameters.partial_rotary_factor (0.5) disagrees with partial_rotary_factor (0.25); give "
            "one value");
}

}  // namespace
}  // namespace posemb::positional
