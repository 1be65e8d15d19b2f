#pragma once
// Checkpoints of a training run, in a folder:
//   checkpoint-<step>.safetensors   the weights ("model.<name>") and AdamW's moments
//                                   ("adamw.m.<name>", "adamw.v.<name>"), float32
//   checkpoint.json                 {"step", "weights": "checkpoint-<step>.safetensors",
//                                    "model": {…}, "training": {…}, "run": {…}}
// Both are written atomically, the weights first: checkpoint.json only ever names a
// complete weights file, so an interrupted save leaves the previous checkpoint intact.
// The step is also in the weights' metadata and must agree on load. Older weights files
// are removed after a save (the newest two are kept).
//
// Resuming restores the weights, the moments and the step; batches and the learning rate
// are functions of the step, so the resumed run continues bit for bit as the run that was
// not interrupted (tests/model/checkpoint_test.cpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "posemb/model/config.hpp"
#include "posemb/model/trainer.hpp"

namespace posemb::io {
class SafetensorsFile;
}  // namespace posemb::io

namespace posemb::model {

// What a run records beside the configs, so that `posemb train --resume` reads the same data.
struct RunInfo {
  std::string corpus;
  std::string tokenizer;
};

struct CheckpointManifest {
  std::int64_t step = 0;
  std::string weights_file;
  GptConfig model;
  TrainingConfig training;
  RunInfo run;
};

void save_checkpoint(const std::filesystem::path& folder, const Trainer& trainer, const RunInfo& run);

// Reads and validates checkpoint.json (errors name the file and the key), and checks the
// weights file it names as restore_checkpoint does: the same step, and tensors large enough
// for the model the manifest describes, so that no model is built before its sizes are known
// to come from real weights.
CheckpointManifest read_checkpoint_manifest(const std::filesystem::path& folder);
// The same from checkpoint.json's text; `where` names it in errors.
CheckpointManifest parse_checkpoint_manifest(std::string_view json_text, std::string_view where);

// Loads the weights file into a trainer built with the manifest's configs. Throws
// posemb::Error naming the file and tensor when a tensor is missing or has the wrong shape,
// or when the step in the weights differs from the manifest's, or when the weights' model
// tensors hold fewer values than the manifest's model has parameters.
void restore_checkpoint(const std::filesystem::path& folder, const CheckpointManifest& manifest, Trainer& trainer);

bool has_checkpoint(const std::filesystem::path& folder);

// The trained model alone (no optimizer state), for evaluation and pictures. Same errors.
Gpt load_checkpoint_model(const std::filesystem::path& folder);
// The same from a manifest and its weights file already opened.
Gpt checkpoint_model_from_weights(const CheckpointManifest& manifest, const io::SafetensorsFile& weights);

}  // namespace posemb::model
