#include "tools/dae/checkpoint.h"

#include <charconv>

#include "engine/errors.h"
#include "engine/random.h"
#include "kernels/common/philox.h"

namespace dae::tool {

namespace {
std::int64_t parse_int(const Metadata& m, const char* key, const std::string& path) {
  const auto it = m.find(key);
  DAE_CHECK(it != m.end(), FileError, "'", path, "': checkpoint metadata has no '", key, "'");
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  DAE_CHECK(ec == std::errc() && end == it->second.data() + it->second.size() && v >= 0, FileError, "'", path,
            "': checkpoint metadata '", key, "' is not a non-negative integer ('", it->second, "')");
  return v;
}
}  // namespace

void save_checkpoint(const std::string& path, const DenoisingAutoencoder& model, const SGD* optimizer,
                     const CheckpointState& state) {
  NamedTensors tensors = model.state_dict();
  if (optimizer != nullptr) {
    for (auto& entry : optimizer->state()) tensors.push_back(entry);
  }
  Metadata meta;
  meta["format"] = "dae-checkpoint";
  meta["model"] = model.config().name;
  meta["step"] = std::to_string(state.step);
  meta["epoch"] = std::to_string(state.epoch);
  meta["seed"] = std::to_string(state.seed);
  meta["rng"] = "philox4x32-10 keyed by seed; data order, augmentation and noise are functions of (seed, step)";
  if (!state.config_json.empty()) meta["config"] = state.config_json;
  save_safetensors(path, tensors, meta);
}

LoadedCheckpoint read_checkpoint(const std::string& path) {
  SafetensorsContent content = load_safetensors(path);
  LoadedCheckpoint out;
  out.metadata = content.metadata;
  for (auto& [name, tensor] : content.tensors) {
    if (name.rfind("optim.", 0) == 0) {
      out.optimizer.emplace(name, tensor);
    } else {
      out.parameters.emplace(name, tensor);
    }
  }
  const auto format = out.metadata.find("format");
  if (format != out.metadata.end() && format->second == "dae-checkpoint" && out.metadata.count("step") > 0) {
    out.has_state = true;
    out.state.step = parse_int(out.metadata, "step", path);
    out.state.epoch = parse_int(out.metadata, "epoch", path);
    out.state.seed = std::uint64_t(parse_int(out.metadata, "seed", path));
    const auto config = out.metadata.find("config");
    if (config != out.metadata.end()) out.state.config_json = config->second;
  }
  return out;
}

std::unique_ptr<DenoisingAutoencoder> load_model(const std::string& path, const std::string& preset) {
  LoadedCheckpoint ckpt = read_checkpoint(path);
  std::string name = preset;
  if (name.empty()) {
    const auto it = ckpt.metadata.find("model");
    if (it != ckpt.metadata.end()) {
      name = it->second;
    } else {
      // A plain state dict: the first layer's shape tells the preset.
      const auto w = ckpt.parameters.find("encoder.0.weight");
      DAE_CHECK(w != ckpt.parameters.end(), FileError, "'", path,
                "' has no tensor 'encoder.0.weight': not a dae model (pass --model to name the preset)");
      name = w->second.shape() == Shape{64, 3, 3, 3} ? "dae-rgb" : "dae-mnist";
    }
  }
  Generator gen(0, philox::kStreamInit);
  auto model = std::make_unique<DenoisingAutoencoder>(dae_preset(name), gen);
  model->load_state_dict(ckpt.parameters, true, path);
  return model;
}

}  // namespace dae::tool
