#include "posemb/model/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/json_integer.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/safetensors.hpp"

namespace posemb::model {
namespace {

constexpr const char* kManifest = "checkpoint.json";

std::string weights_name(std::int64_t step) {
  return fmt::format("checkpoint-{:08}.safetensors", step);
}

// Parses "checkpoint-<step>.safetensors"; -1 for any other name.
std::int64_t weights_step(const std::string& name) {
  constexpr std::string_view kPrefix = "checkpoint-", kSuffix = ".safetensors";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return -1;
  const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) return -1;
  return std::stoll(digits);
}

// After saving step `step`: keeps its weights and the newest older ones (the checkpoint before
// it, in case this one turns out bad), removes older ones. Files of later steps are left alone:
// they are not this run's history (a resumed run re-creates them as it reaches them).
void remove_older_weights(const std::filesystem::path& folder, std::int64_t step) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> older;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::int64_t s = weights_step(entry.path().filename().string());
    if (s >= 0 && s < step) older.emplace_back(s, entry.path());
  }
  std::sort(older.begin(), older.end());
  for (std::size_t i = 0; i + 1 < older.size(); ++i) std::filesystem::remove(older[i].second);
}

void require_finite(const FloatBuffer& values, std::string_view what, std::int64_t step) {
  for (const float v : values)
    if (!std::isfinite(v))
      throw Error(fmt::format("step {}: the {} hold a non-finite value ({}); no checkpoint was written", step, what, v));
}

// The weights must be those of the manifest: the same step in their metadata, and room for
// every parameter of the model the manifest describes. The model's memory is taken from the
// manifest's config, which a damaged checkpoint.json can make as large as it likes; the
// weights file has to hold every parameter, so its size bounds the model before one is built.
void check_weights(const io::SafetensorsFile& file, const CheckpointManifest& manifest) {
  const auto& meta = file.metadata();
  const auto step_it = meta.find("step");
  if (step_it == meta.end() || step_it->second != std::to_string(manifest.step))
    throw Error(fmt::format("{}: its step ({}) differs from the step {} in {}", file.source(),
                            step_it == meta.end() ? "missing" : step_it->second, manifest.step, kManifest));
  Index held = 0;  // values in the model's tensors: at most 2 per byte of the file, no overflow
  for (const io::SafetensorsTensorInfo& t : file.tensors())
    if (t.name.starts_with("model.")) held += shape_numel(t.shape);
  const double needed = parameter_count(manifest.model);
  if (needed > static_cast<double>(held))
    throw Error(fmt::format("{}: its model tensors hold {} values, but the model in {} (vocabulary {}, {} layers, "
                            "{} channels, context {}) has {} parameters",
                            file.source(), held, kManifest, manifest.model.vocab_size, manifest.model.layers,
                            manifest.model.channels, manifest.model.context_length,
                            fmt::format("{:.0f}", needed)));
}

// The weights file a manifest names, after checking it against the manifest.
io::SafetensorsFile open_weights(const std::filesystem::path& folder, const CheckpointManifest& manifest) {
  io::SafetensorsFile file(folder / manifest.weights_file);
  check_weights(file, manifest);
  return file;
}

}  // namespace

bool has_checkpoint(const std::filesystem::path& folder) {
  std::error_code ec;
  return std::filesystem::is_regular_file(folder / kManifest, ec);
}

CheckpointManifest parse_checkpoint_manifest(std::string_view json_text, std::string_view where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON at byte {}", where, e.byte));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    throw Error(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  CheckpointManifest m;
  try {
    const std::optional<std::int64_t> step = json_integer<std::int64_t>(j.at("step"));
    if (!step || *step < 0)
      throw Error(fmt::format("{}: 'step' must be an integer ≥ 0 (is {})", where, j.at("step").dump()));
    m.step = *step;
    m.weights_file = j.at("weights").get<std::string>();
    m.run.corpus = j.at("run").at("corpus").get<std::string>();
    m.run.tokenizer = j.at("run").at("tokenizer").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  if (!j.contains("model") || !j.contains("training"))
    throw Error(fmt::format("{}: missing 'model' or 'training'", where));
  m.model = config_from_json(j["model"].dump(), where);
  m.training = training_config_from_json(j["training"].dump(), where);
  if (m.weights_file.find('/') != std::string::npos || m.weights_file.empty())
    throw Error(fmt::format("{}: 'weights' must name a file in the same folder (is '{}')", where, m.weights_file));
  return m;
}

CheckpointManifest read_checkpoint_manifest(const std::filesystem::path& folder) {
  const auto path = folder / kManifest;
  CheckpointManifest manifest = parse_checkpoint_manifest(io::read_file_bytes(path), path.string());
  (void)open_weights(folder, manifest);  // before anyone builds the model it describes
  return manifest;
}

void save_checkpoint(const std::filesystem::path& folder, const Trainer& trainer, const RunInfo& run) {
  const std::int64_t step = trainer.steps_done();
  const Gpt& model = trainer.model();
  // A checkpoint is the state to go back to: never one that holds NaN or infinity.
  require_finite(model.parameters(), "weights", step);
  require_finite(trainer.optimizer().first_moments(), "optimizer's first moments", step);
  require_finite(trainer.optimizer().second_moments(), "optimizer's second moments", step);
  io::SafetensorsWriter writer;
  for (const auto& e : model.layout().entries()) {
    writer.add("model." + e.name, tensor_in(model.parameters(), e));
    writer.add("adamw.m." + e.name, tensor_in(trainer.optimizer().first_moments(), e));
    writer.add("adamw.v." + e.name, tensor_in(trainer.optimizer().second_moments(), e));
  }
  writer.set_metadata("step", std::to_string(step));
  writer.set_metadata("format", "posemb tiny GPT checkpoint");
  const std::string weights = weights_name(step);
  writer.write(folder / weights);

  nlohmann::ordered_json j;
  j["step"] = step;
  j["weights"] = weights;
  j["model"] = nlohmann::ordered_json::parse(config_to_json(model.config()));
  j["training"] = nlohmann::ordered_json::parse(training_config_to_json(trainer.config()));
  j["run"] = {{"corpus", run.corpus}, {"tokenizer", run.tokenizer}};
  io::write_file_atomically(folder / kManifest, j.dump(2) + "\n");

  remove_older_weights(folder, step);
}


Gpt load_checkpoint_model(const std::filesystem::path& folder) {
  const CheckpointManifest manifest = read_checkpoint_manifest(folder);
  return checkpoint_model_from_weights(manifest, io::SafetensorsFile(folder / manifest.weights_file));
}

Gpt checkpoint_model_from_weights(const CheckpointManifest& manifest, const io::SafetensorsFile& weights) {
  check_weights(weights, manifest);
  Gpt model(manifest.model);
  for (const auto& e : model.layout().entries()) {
    const Tensor t = weights.load_tensor("model." + e.name, e.shape);
    std::copy(t.values().begin(), t.values().end(), model.parameters().begin() + e.offset);
  }
  return model;
}

void restore_checkpoint(const std::filesystem::path& folder, const CheckpointManifest& manifest, Trainer& trainer) {
  const io::SafetensorsFile file = open_weights(folder, manifest);
  Gpt& model = trainer.model();
  auto load_into = [&](const std::string& name, FloatBuffer& buffer, const ParameterEntry& e) {
    const Tensor t = file.load_tensor(name, e.shape);
    std::copy(t.values().begin(), t.values().end(), buffer.begin() + e.offset);
  };
  for (const auto& e : model.layout().entries()) {
    load_into("model." + e.name, model.parameters(), e);
    load_into("adamw.m." + e.name, trainer.optimizer().first_moments(), e);
    load_into("adamw.v." + e.name, trainer.optimizer().second_moments(), e);
  }
  trainer.optimizer().set_steps_taken(manifest.step);
}


}  // namespace posemb::model
