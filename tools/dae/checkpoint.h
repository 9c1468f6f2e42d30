// Training checkpoints (SPEC §3): the model's parameters under their PyTorch
// names, the SGD momentum buffers as "optim.<name>.momentum_buffer", and in
// __metadata__ the step, the epoch, the random state and the run
// configuration, so that `--resume` continues exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/safetensors.h"
#include "engine/sgd.h"
#include "models/dae.h"

namespace dae::tool {

struct CheckpointState {
  std::int64_t step = 0;   // optimizer steps done
  std::int64_t epoch = 0;  // epoch of the next step
  std::string config_json; // the run configuration (flags) as JSON
  std::uint64_t seed = 0;  // the run seed: data order and noise are pure functions of (seed, step)
};

// Writes `path` atomically: a crash or an error never leaves a broken file
// in place of the previous checkpoint.
void save_checkpoint(const std::string& path, const DenoisingAutoencoder& model, const SGD* optimizer,
                     const CheckpointState& state);

// Loads a model from a checkpoint or a plain state dict (a file written by
// PyTorch with the same names). The preset comes from the file's metadata, or
// from `preset` when the file has none ("" = infer from the tensor shapes).
// Throws naming the file and the tensor that does not fit.
std::unique_ptr<DenoisingAutoencoder> load_model(const std::string& path, const std::string& preset = "");

// The parts of a checkpoint: parameters (optim.* entries removed), buffers, metadata.
struct LoadedCheckpoint {
  std::map<std::string, Tensor> parameters;
  std::map<std::string, Tensor> optimizer;
  Metadata metadata;
  CheckpointState state;
  bool has_state = false;  // a training checkpoint (not just weights)
};
LoadedCheckpoint read_checkpoint(const std::string& path);

}  // namespace dae::tool
