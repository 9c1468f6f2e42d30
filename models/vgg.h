// The VGG feature extractor of the perceptual loss (SPEC §2, §7):
// torchvision's vgg16().features and vgg19().features, numbered as
// torchvision numbers them (a conv at index i, its ReLU at i + 1, the 2x2
// max-pools in between), zero padding for every 3x3 conv, floor-mode
// pooling, built only up to the deepest layer asked for and frozen (no
// weight gradient is ever computed).
//
// Weights come from a file converted by tools/convert_vgg.py. Its
// __metadata__ records the architecture, the input normalisation
// ("imagenet": (x - mean) / std on RGB; "caffe": RGB -> BGR, x 255, minus the
// BGR mean), the deepest layer present and a checksum of reference
// activations; loading recomputes that checksum and refuses a file whose
// activations do not match, so silently wrong weights cannot train.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/nn.h"
#include "kernels/common/shapes.h"

namespace dae {

enum class VggArch { kVgg16, kVgg19 };
enum class InputNorm { kImagenet, kCaffe };

struct VggLayer {
  enum Kind { kConv, kRelu, kPool } kind;
  int index;             // torchvision's index in `features`
  std::string name;      // conv1_1, relu1_1, pool1, ...
  int out_channels;      // channels after this layer
  int level;             // pools before this layer: the layer is 2^level times smaller than the input
};

// Every layer of the architecture in order.
const std::vector<VggLayer>& vgg_layers(VggArch arch);
// The index of a ReLU layer by name ("relu2_2"); throws dae::ArgumentError listing the valid names.
int vgg_relu_index(VggArch arch, const std::string& name);
VggArch parse_vgg_arch(const std::string& text);
InputNorm parse_input_norm(const std::string& text);

// Activations of one pass, kept for the backward pass of the perceptual loss.
struct VggActivations {
  std::int64_t batch = 0;
  int height = 0, width = 0;
  std::vector<Tensor> outputs;  // outputs[i]: the output of layer i (ReLU and pool outputs; conv entries empty)
  std::vector<Tensor> argmax;   // argmax[i]: the winners of pool layer i (int32 stored in a float tensor)
};

class VggFeatures : public Module {
 public:
  // An extractor up to layer index `deepest` (a ReLU) with the default
  // PyTorch initialisation (tests use it with weights loaded afterwards).
  VggFeatures(VggArch arch, int deepest, InputNorm norm);

  // Loads a converted weights file, building the layers up to `deepest_name`
  // (must be present in the file; "" = the deepest the file has), and checks
  // the file's activation checksum. Throws dae::FileError naming the file.
  static std::shared_ptr<VggFeatures> load(const std::string& path, const std::string& deepest_name = "");

  VggArch arch() const { return arch_; }
  InputNorm input_norm() const { return norm_; }
  int deepest() const { return deepest_; }
  const std::string& source() const { return source_; }

  // The map from images in [0, 1] ([N, 1 or 3, H, W]) to the network's input:
  // channel repeat for gray images, then the normalisation.
  kernels::ChannelMapParams normalisation(std::int64_t batch, int in_channels, std::int64_t pixels) const;

  // Runs the layers on x without a tape and keeps every output.
  VggActivations run(const Tensor& x) const;
  // The gradient w.r.t. x of the first `batch` images of a pass, given the
  // gradients arriving at some ReLU outputs (index -> [batch, C, H, W]).
  Tensor backward(const VggActivations& pass, const Tensor& x, std::int64_t batch,
                  const std::map<int, Tensor>& grads_at) const;

  // The features at the named ReLU layers (no tape), for tests and `dae compare`.
  std::map<std::string, Tensor> features(const Tensor& x, const std::vector<std::string>& layers) const;
  // The output of the deepest layer (Module interface; no tape).
  Tensor forward(const Tensor& x) override;

  // Activation statistics on the fixed check input (see tools/convert_vgg.py):
  // for every ReLU layer up to the deepest, [mean, rms, projection 1, projection 2].
  std::map<std::string, std::vector<double>> activation_checksum() const;

 private:
  VggArch arch_;
  InputNorm norm_;
  int deepest_;
  std::string source_ = "random initialisation";
  std::shared_ptr<Sequential> features_;
  std::vector<Conv2d*> convs_;  // convs_[i]: the conv at layer index i (or null)
};

}  // namespace dae
