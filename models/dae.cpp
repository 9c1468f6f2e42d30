#include "models/dae.h"

#include "engine/errors.h"
#include "engine/random.h"

namespace dae {

DaeConfig dae_preset(const std::string& name) {
  if (name == "dae-mnist") return DaeConfig{name, 1, {32, 64, 64}};
  if (name == "dae-rgb") return DaeConfig{name, 3, {64, 128, 128}};
  throw ArgumentError("unknown model '" + name + "' (expected dae-mnist or dae-rgb)");
}

DenoisingAutoencoder::DenoisingAutoencoder(const DaeConfig& config, Generator& gen) : config_(config) {
  const int c = config.in_channels;
  const auto [w0, w1, w2] = config.widths;
  // Layers are created in the order PyTorch creates them, so the same seed
  // walks the generator identically for every parameter.
  encoder_ = register_module("encoder", std::make_shared<Sequential>());
  encoder_->push_back(std::make_shared<Conv2d>(c, w0, 3, 1, 1, gen));
  encoder_->push_back(std::make_shared<ReLU>());
  encoder_->push_back(std::make_shared<Conv2d>(w0, w1, 3, 2, 1, gen));
  encoder_->push_back(std::make_shared<ReLU>());
  encoder_->push_back(std::make_shared<Conv2d>(w1, w2, 3, 2, 1, gen));
  encoder_->push_back(std::make_shared<ReLU>());
  decoder_ = register_module("decoder", std::make_shared<Sequential>());
  decoder_->push_back(std::make_shared<ConvTranspose2d>(w2, w2, 4, 2, 1, 0, gen));
  decoder_->push_back(std::make_shared<ReLU>());
  decoder_->push_back(std::make_shared<ConvTranspose2d>(w2, w0, 4, 2, 1, 0, gen));
  decoder_->push_back(std::make_shared<ReLU>());
  decoder_->push_back(std::make_shared<Conv2d>(w0, c, 3, 1, 1, gen));
  decoder_->push_back(std::make_shared<Sigmoid>());
}

Tensor DenoisingAutoencoder::forward(const Tensor& x) {
  DAE_CHECK(x.rank() == 4, ShapeError, config_.name, ": input must be [N, C, H, W], got ", x.shape().str());
  DAE_CHECK(x.size(1) == config_.in_channels, ShapeError, config_.name, ": expects ", config_.in_channels,
            " channel(s), got input ", x.shape().str());
  DAE_CHECK(x.size(2) % 4 == 0 && x.size(3) % 4 == 0, ShapeError, config_.name,
            ": height and width must be divisible by 4, got input ", x.shape().str());
  return decoder_->forward(encoder_->forward(x));
}

}  // namespace dae
