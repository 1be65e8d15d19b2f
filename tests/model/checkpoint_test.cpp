// model/checkpoint: checkpoint.json and its weights read from memory, as the fuzzer
// (fuzz/checkpoint_fuzz.cpp) reads them; malformed manifests and weights are errors naming the
// file. Saving and resuming a run are tested through the CLI (tests/cli/train_command_test.cpp).
#include "posemb/model/checkpoint.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/safetensors.hpp"

namespace posemb::model {
namespace {

GptConfig tiny_config() {
  GptConfig c;
  c.vocab_size = 7;
  c.context_length = 4;
  c.layers = 1;
  c.heads = 2;
  c.channels = 4;
  c.scheme = PositionScheme::kLearned;
  return c;
}

std::string manifest_text(const GptConfig& config, std::int64_t step) {
  nlohmann::ordered_json j;
  j["step"] = step;
  j["weights"] = "checkpoint-00000003.safetensors";
  j["model"] = nlohmann::ordered_json::parse(config_to_json(config));
  j["training"] = nlohmann::ordered_json::parse(training_config_to_json(TrainingConfig{}));
  j["run"] = {{"corpus", "brown"}, {"tokenizer", "bytes"}};
  return j.dump(2);
}

// The weights of `model` as save_checkpoint writes them (without the optimizer's moments).
std::string weights_of(const Gpt& model, std::int64_t step) {
  io::SafetensorsWriter writer;
  for (const auto& e : model.layout().entries()) writer.add("model." + e.name, tensor_in(model.parameters(), e));
  writer.set_metadata("step", std::to_string(step));
  return writer.bytes();
}

io::SafetensorsFile open_bytes(const std::string& bytes) {
  return io::SafetensorsFile::from_bytes(std::as_bytes(std::span(bytes.data(), bytes.size())), "w.safetensors");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, ManifestAndWeightsFromMemory) {
  Gpt saved(tiny_config());
  saved.initialize(3);
  const CheckpointManifest manifest = parse_checkpoint_manifest(manifest_text(tiny_config(), 3), "checkpoint.json");
  EXPECT_EQ(manifest.step, 3);
  EXPECT_EQ(manifest.run.tokenizer, "bytes");
  EXPECT_EQ(manifest.model.channels, 4);
  const Gpt loaded = checkpoint_model_from_weights(manifest, open_bytes(weights_of(saved, 3)));
  EXPECT_EQ(loaded.parameters(), saved.parameters());
}

TEST(Checkpoint, AManifestThatIsNotOneIsAnErrorNamingIt) {
  EXPECT_EQ(error_of([] { parse_checkpoint_manifest("{\"step\": ", "run/checkpoint.json"); })
                .rfind("run/checkpoint.json: not valid JSON at byte ", 0),
            0u);
  EXPECT_NE(error_of([] { parse_checkpoint_manifest("[]", "run/checkpoint.json"); }).find("run/checkpoint.json: "),
            std::string::npos);
}

TEST(Checkpoint, ANumberBeyondADoubleIsAnErrorNamingTheFile) {
  // nlohmann throws out_of_range, not parse_error, for these (found by fuzz/checkpoint_fuzz.cpp).
  std::string manifest = manifest_text(tiny_config(), 3);
  manifest.replace(manifest.find("10000.0"), 7, "1e400");  // rope_theta
  const std::string message = error_of([&] { parse_checkpoint_manifest(manifest, "run/checkpoint.json"); });
  EXPECT_EQ(message.rfind("run/checkpoint.json: not valid JSON: ", 0), 0u) << message;
  EXPECT_NE(message.find("number overflow parsing '1e400'"), std::string::npos) << message;
  for (const auto& parse : std::vector<std::function<void()>>{
           [] { config_from_json(R"({"vocab_size": 1e999})", "model.json"); },
           [] { training_config_from_json(R"({"batch": -1e999})", "model.json"); }}) {
    EXPECT_EQ(error_of(parse).rfind("model.json: not valid JSON: ", 0), 0u) << error_of(parse);
  }
}

TEST(Checkpoint, IntegersMustBeJsonIntegersInRange) {
  // get<std::int64_t>() truncated 1.5 to 1 and converted 6.7e25 with undefined behaviour
  // (found by fuzz/checkpoint_fuzz.cpp).
  const auto with_step = [](const std::string& step) {
    std::string manifest = manifest_text(tiny_config(), 3);
    return manifest.replace(manifest.find("\"step\": 3"), 9, "\"step\": " + step);
  };
  EXPECT_EQ(parse_checkpoint_manifest(with_step("0"), "c.json").step, 0);
  for (const std::string step : {"66666666666666666666e6", "1.5", "-1", "18446744073709551615", "\"3\""})
    EXPECT_EQ(error_of([&] { parse_checkpoint_manifest(with_step(step), "c.json"); }),
              "c.json: 'step' must be an integer ≥ 0 (is " + nlohmann::json::parse(step).dump() + ")")
        << step;

  nlohmann::json training = nlohmann::json::parse(training_config_to_json(TrainingConfig{}));
  training["batch"] = 2.5;
  EXPECT_EQ(error_of([&] { training_config_from_json(training.dump(), "t.json"); }),
            "t.json: training config: 'batch' must be an integer (is 2.5)");
  training["batch"] = 4;
  training["seed"] = -1;
  EXPECT_EQ(error_of([&] { training_config_from_json(training.dump(), "t.json"); }),
            "t.json: training config: 'seed' must be an integer ≥ 0 (is -1)");
  training["seed"] = 1e30;
  EXPECT_EQ(error_of([&] { training_config_from_json(training.dump(), "t.json"); }),
            "t.json: training config: 'seed' must be an integer ≥ 0 (is 1e+30)");

  nlohmann::json model = nlohmann::json::parse(config_to_json(tiny_config()));
  model["layers"] = 18446744073709551615u;  // wrapped to -1 before
  EXPECT_EQ(error_of([&] { config_from_json(model.dump(), "m.json"); }), "m.json: 'layers' must be an integer");
}

TEST(Checkpoint, AModelLargerThanItsWeightsIsAnErrorBeforeAnyMemoryIsTaken) {
  // A manifest's sizes decide how much memory the model takes: channels 400000 asked for 7 TB
  // and layers 100000 laid out parameters for minutes (found by fuzz/checkpoint_fuzz.cpp).
  Gpt saved(tiny_config());
  const std::string weights = weights_of(saved, 3);
  for (const auto& [key, value] : std::vector<std::pair<std::string, Index>>{
           {"channels", 400000}, {"layers", 100000}, {"context_length", 4000000000}, {"vocab_size", 8}}) {
    nlohmann::json manifest = nlohmann::json::parse(manifest_text(tiny_config(), 3));
    manifest["model"][key] = value;
    // A model too large for this machine is refused as the manifest is read (model::validate);
    // one that fits, by the weights that cannot hold it.
    std::string message =
        error_of([&] { (void)parse_checkpoint_manifest(manifest.dump(), "checkpoint.json"); });
    if (!message.empty()) {
      EXPECT_NE(message.find("would take"), std::string::npos) << message;
      continue;
    }
    const CheckpointManifest m = parse_checkpoint_manifest(manifest.dump(), "checkpoint.json");
    message = error_of([&] { checkpoint_model_from_weights(m, open_bytes(weights)); });
    EXPECT_EQ(message.rfind("w.safetensors: its model tensors hold " + fmt::format("{:.0f}", parameter_count(tiny_config())) +
                                " values, but the model in checkpoint.json (",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find(") has " + fmt::format("{:.0f}", parameter_count(m.model)) + " parameters"), std::string::npos)
        << message;
  }
  // read_checkpoint_manifest checks the weights too: `posemb train --resume` builds its trainer
  // from the manifest before it loads them.
  const auto folder = std::filesystem::path(::testing::TempDir()) / "posemb_checkpoint_too_small";
  std::filesystem::create_directories(folder);
  nlohmann::json manifest = nlohmann::json::parse(manifest_text(tiny_config(), 3));
  manifest["model"]["layers"] = 100000;  // fits in memory, not in the weights file
  io::write_file_atomically(folder / "checkpoint.json", manifest.dump());
  io::write_file_atomically(folder / "checkpoint-00000003.safetensors", weights);
  EXPECT_NE(error_of([&] { read_checkpoint_manifest(folder); }).find("its model tensors hold"), std::string::npos);
  std::filesystem::remove_all(folder);
}

TEST(Checkpoint, WeightsOfAnotherStepAreAnError) {
  Gpt saved(tiny_config());
  const CheckpointManifest manifest = parse_checkpoint_manifest(manifest_text(tiny_config(), 3), "checkpoint.json");
  EXPECT_EQ(error_of([&] { checkpoint_model_from_weights(manifest, open_bytes(weights_of(saved, 4))); }),
            "w.safetensors: its step (4) differs from the step 3 in checkpoint.json");
}

}  // namespace
}  // namespace posemb::model
