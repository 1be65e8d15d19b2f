// libFuzzer target: a training run's checkpoint.json and its weights file, read as
// `posemb plot attention --checkpoint` reads them (parse_checkpoint_manifest, which reads the
// model and training configs, then checkpoint_model_from_weights).
// Input: the manifest's text, a NUL byte, the weights file's bytes (no NUL: the manifest alone).
// Either posemb::Error or a model with the manifest's config whose every parameter came from
// the weights.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/checkpoint_fuzz fuzz/corpus/checkpoint -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/safetensors.hpp"
#include "posemb/model/checkpoint.hpp"

using posemb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace posemb;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  try {
    const model::CheckpointManifest manifest = model::parse_checkpoint_manifest(input.substr(0, nul), "checkpoint.json");
    model::validate(manifest.model);
    model::validate(manifest.training);
    if (nul == std::string_view::npos) return 0;
    const std::string_view weights = input.substr(nul + 1);
    const io::SafetensorsFile file = io::SafetensorsFile::from_bytes(
        std::as_bytes(std::span(weights.data(), weights.size())), manifest.weights_file);
    const model::Gpt gpt = model::checkpoint_model_from_weights(manifest, file);
    check(gpt.layout().total_size() == static_cast<Index>(gpt.parameters().size()));
  } catch (const Error& e) {
    fuzz::refused(e);
  }
  return 0;
}
