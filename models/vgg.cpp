#include "models/vgg.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"
#include "engine/random.h"
#include "engine/safetensors.h"
#include "kernels/common/philox.h"

namespace dae {

namespace {

// torchvision's configurations: channel counts of the convs, 0 = a 2x2 max-pool.
const std::vector<int>& config(VggArch arch) {
  static const std::vector<int> vgg16 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  static const std::vector<int> vgg19 = {64,  64,  0,   128, 128, 0,   256, 256, 256, 256, 0,
                                         512, 512, 512, 512, 0,   512, 512, 512, 512, 0};
  return arch == VggArch::kVgg16 ? vgg16 : vgg19;
}

std::vector<VggLayer> build_layers(VggArch arch) {
  std::vector<VggLayer> layers;
  int block = 1, in_block = 1, channels = 3, level = 0;
  for (int v : config(arch)) {
    const int index = int(layers.size());
    if (v == 0) {
      layers.push_back({VggLayer::kPool, index, "pool" + std::to_string(block), channels, level + 1});
      ++level;
      ++block;
      in_block = 1;
    } else {
      const std::string suffix = std::to_string(block) + "_" + std::to_string(in_block);
      channels = v;
      layers.push_back({VggLayer::kConv, index, "conv" + suffix, channels, level});
      layers.push_back({VggLayer::kRelu, index + 1, "relu" + suffix, channels, level});
      ++in_block;
    }
  }
  return layers;
}

const char* arch_name(VggArch arch) { return arch == VggArch::kVgg16 ? "vgg16" : "vgg19"; }

const kernels::Exec& exec_of(const Tensor& t) { return DeviceContext::get(t.device()).exec(); }

// The fixed input of the activation checksum, identical in tools/convert_vgg.py:
// x[0][c][y][x] = ((131 c + 31 y + 17 x) mod 256) / 255 on 1 x 3 x 32 x 32.
Tensor check_input() {
  std::vector<float> v(3 * 32 * 32);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) v[std::size_t((c * 32 + y) * 32 + x)] = float((131 * c + 31 * y + 17 * x) % 256) / 255.0f;
    }
  }
  return Tensor::from_vector(Shape{1, 3, 32, 32}, v);
}

// The sign pattern of projection k: +1 or -1 from a multiplicative hash of the element index.
double check_sign(std::uint64_t i, std::uint32_t k) {
  const std::uint32_t h = std::uint32_t(i * 2654435761ull + std::uint64_t(k) * 40503ull);
  return ((h >> 15) & 1u) != 0 ? 1.0 : -1.0;
}

}  // namespace

const std::vector<VggLayer>& vgg_layers(VggArch arch) {
  static const std::vector<VggLayer> vgg16 = build_layers(VggArch::kVgg16);
  static const std::vector<VggLayer> vgg19 = build_layers(VggArch::kVgg19);
  return arch == VggArch::kVgg16 ? vgg16 : vgg19;
}

int vgg_relu_index(VggArch arch, const std::string& name) {
  std::string valid;
  for (const VggLayer& l : vgg_layers(arch)) {
    if (l.kind != VggLayer::kRelu) continue;
    if (l.name == name) return l.index;
    valid += (valid.empty() ? "" : " ") + l.name;
  }
  throw ArgumentError(concat("unknown ", arch_name(arch), " layer '", name, "' (expected one of: ", valid, ")"));
}

VggArch parse_vgg_arch(const std::string& text) {
  if (text == "vgg16") return VggArch::kVgg16;
  if (text == "vgg19") return VggArch::kVgg19;
  throw ArgumentError("unknown VGG architecture '" + text + "' (expected vgg16 or vgg19)");
}

InputNorm parse_input_norm(const std::string& text) {
  if (text == "imagenet") return InputNorm::kImagenet;
  if (text == "caffe") return InputNorm::kCaffe;
  throw ArgumentError("unknown VGG input normalisation '" + text + "' (expected imagenet or caffe)");
}

VggFeatures::VggFeatures(VggArch arch, int deepest, InputNorm norm) : arch_(arch), norm_(norm), deepest_(deepest) {
  const std::vector<VggLayer>& layers = vgg_layers(arch);
  DAE_CHECK(deepest >= 0 && deepest < int(layers.size()) && layers[std::size_t(deepest)].kind == VggLayer::kRelu,
            ArgumentError, "VGG: layer index ", deepest, " is not a ReLU of ", arch_name(arch));
  Generator gen(0);
  features_ = register_module("features", std::make_shared<Sequential>());
  convs_.assign(std::size_t(deepest) + 1, nullptr);
  int channels = 3;
  for (int i = 0; i <= deepest; ++i) {
    const VggLayer& l = layers[std::size_t(i)];
    if (l.kind == VggLayer::kConv) {
      auto conv = std::make_shared<Conv2d>(channels, l.out_channels, 3, 1, 1, gen);
      convs_[std::size_t(i)] = conv.get();
      features_->push_back(conv);
      channels = l.out_channels;
    } else if (l.kind == VggLayer::kRelu) {
      features_->push_back(std::make_shared<ReLU>());
    } else {
      features_->push_back(std::make_shared<MaxPool2d>(2, 2));
    }
  }
  set_requires_grad(false);  // frozen: no weight gradient is ever computed
}

kernels::ChannelMapParams VggFeatures::normalisation(std::int64_t batch, int in_channels, std::int64_t pixels) const {
  kernels::ChannelMapParams p;
  p.batch = int(batch);
  p.in_channels = in_channels;
  p.out_channels = 3;
  p.pixels = pixels;
  static constexpr float kMean[3] = {0.485f, 0.456f, 0.406f}, kStd[3] = {0.229f, 0.224f, 0.225f};
  static constexpr float kCaffeMeanBgr[3] = {103.939f, 116.779f, 123.68f};
  for (int c = 0; c < 3; ++c) {
    if (norm_ == InputNorm::kImagenet) {
      p.src[c] = in_channels == 1 ? 0 : c;  // a gray image is repeated to 3 channels
      p.scale[c] = 1.0f / kStd[c];
      p.shift[c] = -kMean[c] / kStd[c];
    } else {
      p.src[c] = in_channels == 1 ? 0 : 2 - c;  // RGB -> BGR
      p.scale[c] = 255.0f;
      p.shift[c] = -kCaffeMeanBgr[c];
    }
  }
  return p;
}

VggActivations VggFeatures::run(const Tensor& x) const {
  DAE_CHECK(x.defined() && x.rank() == 4 && (x.size(1) == 1 || x.size(1) == 3), ShapeError,
            "VGG features: input must be [N, 1 or 3, H, W], got ", x.defined() ? x.shape().str() : "undefined");
  DAE_CHECK(x.device() == convs_[0]->weight().device(), ShapeError, "VGG features: input on ", x.device().str(),
            " but the weights are on ", convs_[0]->weight().device().str());
  autograd::NoGradGuard no_grad;
  const Device device = x.device();
  const kernels::Exec& ex = exec_of(x);
  VggActivations pass;
  pass.batch = x.size(0);
  pass.height = int(x.size(2));
  pass.width = int(x.size(3));
  const kernels::ChannelMapParams norm = normalisation(pass.batch, int(x.size(1)), x.size(2) * x.size(3));
  Tensor current = Tensor::empty(Shape{pass.batch, 3, x.size(2), x.size(3)}, device);
  DAE_DISPATCH(device, channel_map_forward, ex, norm, x.data(), current.data());
  pass.outputs.resize(std::size_t(deepest_) + 1);
  pass.argmax.resize(std::size_t(deepest_) + 1);
  for (int i = 0; i <= deepest_; ++i) {
    const VggLayer& l = vgg_layers(arch_)[std::size_t(i)];
    const int c = int(current.size(1)), h = int(current.size(2)), w = int(current.size(3));
    if (l.kind == VggLayer::kConv) {
      kernels::Conv2dShape s{int(pass.batch), c, l.out_channels, h, w, h, w, 3, 3, 1, 1};
      Tensor y = Tensor::empty(Shape{pass.batch, l.out_channels, h, w}, device);
      const Conv2d& conv = *convs_[std::size_t(i)];
      DAE_DISPATCH(device, conv2d_forward, ex, s, current.data(), conv.weight().data(), conv.bias().data(), y.data());
      current = y;
    } else if (l.kind == VggLayer::kRelu) {
      DAE_DISPATCH(device, relu_forward, ex, current.numel(), current.data(), current.data());  // in place
      pass.outputs[std::size_t(i)] = current;
    } else {
      DAE_CHECK(h >= 2 && w >= 2, ShapeError, "VGG features: a ", x.size(2), "x", x.size(3), " image is too small for ",
                l.name, " (", h, "x", w, " before the pool)");
      kernels::Pool2dShape s{int(pass.batch), c, h, w, h / 2, w / 2, 2, 2, 0};
      Tensor y = Tensor::empty(Shape{pass.batch, c, h / 2, w / 2}, device);
      Tensor argmax = Tensor::empty(y.shape(), device);
      DAE_DISPATCH(device, max_pool2d_forward, ex, s, current.data(), y.data(),
                   reinterpret_cast<std::int32_t*>(argmax.data()));
      pass.outputs[std::size_t(i)] = y;
      pass.argmax[std::size_t(i)] = argmax;
      current = y;
    }
  }
  return pass;
}

Tensor VggFeatures::backward(const VggActivations& pass, const Tensor& x, std::int64_t batch,
                             const std::map<int, Tensor>& grads_at) const {
  DAE_CHECK(batch >= 1 && batch <= pass.batch, ShapeError, "VGG backward: batch ", batch, " of a pass of ", pass.batch);
  autograd::NoGradGuard no_grad;
  const Device device = x.device();
  const kernels::Exec& ex = exec_of(x);
  const int nb = int(batch);
  Tensor grad;  // the gradient at the output of the layer being visited
  for (int i = deepest_; i >= 0; --i) {
    const VggLayer& l = vgg_layers(arch_)[std::size_t(i)];
    if (l.kind == VggLayer::kRelu) {
      const auto tap = grads_at.find(i);
      if (tap != grads_at.end()) {
        if (!grad.defined()) {
          grad = tap->second;
        } else {
          Tensor sum = Tensor::empty(grad.shape(), device);
          DAE_DISPATCH(device, add, ex, grad.numel(), grad.data(), tap->second.data(), sum.data());
          grad = sum;
        }
      }
      if (!grad.defined()) continue;  // nothing flows above the deepest tap
      Tensor gx = Tensor::empty(grad.shape(), device);
      DAE_DISPATCH(device, relu_backward, ex, grad.numel(), pass.outputs[std::size_t(i)].data(), grad.data(), gx.data());
      grad = gx;
    } else if (!grad.defined()) {
      continue;
    } else if (l.kind == VggLayer::kConv) {
      const int h = int(grad.size(2)), w = int(grad.size(3));
      const int in_c = i == 0 ? 3 : vgg_layers(arch_)[std::size_t(i) - 1].out_channels;
      kernels::Conv2dShape s{nb, in_c, l.out_channels, h, w, h, w, 3, 3, 1, 1};
      Tensor gx = Tensor::empty(Shape{batch, in_c, h, w}, device);
      DAE_DISPATCH(device, conv2d_backward_data, ex, s, grad.data(), convs_[std::size_t(i)]->weight().data(),
                   gx.data());
      grad = gx;
    } else {
      const Tensor& before = pass.outputs[std::size_t(i) - 1];
      const int c = int(before.size(1)), h = int(before.size(2)), w = int(before.size(3));
      kernels::Pool2dShape s{nb, c, h, w, h / 2, w / 2, 2, 2, 0};
      Tensor gx = Tensor::empty(Shape{batch, c, h, w}, device);
      DAE_DISPATCH(device, max_pool2d_backward, ex, s, grad.data(),
                   reinterpret_cast<const std::int32_t*>(pass.argmax[std::size_t(i)].data()), gx.data());
      grad = gx;
    }
  }
  DAE_CHECK(grad.defined(), ShapeError, "VGG backward: no gradient was given at any layer");
  const kernels::ChannelMapParams norm = normalisation(batch, int(x.size(1)), x.size(2) * x.size(3));
  Tensor grad_x = Tensor::empty(Shape{batch, x.size(1), x.size(2), x.size(3)}, device);
  DAE_DISPATCH(device, channel_map_backward, ex, norm, grad.data(), grad_x.data());
  return grad_x;
}

std::map<std::string, Tensor> VggFeatures::features(const Tensor& x, const std::vector<std::string>& layers) const {
  std::vector<int> indices;
  for (const std::string& name : layers) {
    const int i = vgg_relu_index(arch_, name);
    DAE_CHECK(i <= deepest_, ArgumentError, "VGG layer ", name, " is deeper than the extractor (built up to ",
              vgg_layers(arch_)[std::size_t(deepest_)].name, ")");
    indices.push_back(i);
  }
  const VggActivations pass = run(x);
  std::map<std::string, Tensor> out;
  for (std::size_t k = 0; k < layers.size(); ++k) out[layers[k]] = pass.outputs[std::size_t(indices[k])];
  return out;
}

Tensor VggFeatures::forward(const Tensor& x) { return run(x).outputs.back(); }

std::map<std::string, std::vector<double>> VggFeatures::activation_checksum() const {
  const Device device = convs_[0]->weight().device();
  const VggActivations pass = run(check_input().to(device));
  std::map<std::string, std::vector<double>> out;
  for (int i = 0; i <= deepest_; ++i) {
    const VggLayer& l = vgg_layers(arch_)[std::size_t(i)];
    if (l.kind != VggLayer::kRelu) continue;
    const std::vector<float> v = pass.outputs[std::size_t(i)].to_vector();
    double sum = 0, sum2 = 0, p1 = 0, p2 = 0;
    for (std::size_t k = 0; k < v.size(); ++k) {
      const double a = v[k];
      sum += a;
      sum2 += a * a;
      p1 += a * check_sign(k, 1);
      p2 += a * check_sign(k, 2);
    }
    const double n = double(v.size());
    out[l.name] = {sum / n, std::sqrt(sum2 / n), p1 / n, p2 / n};
  }
  return out;
}

std::shared_ptr<VggFeatures> VggFeatures::load(const std::string& path, const std::string& deepest_name) {
  const SafetensorsContent file = load_safetensors(path);
  const auto meta = [&](const char* key) -> const std::string& {
    const auto it = file.metadata.find(key);
    DAE_CHECK(it != file.metadata.end(), FileError, "'", path, "' has no '", key,
              "' in its metadata: not a VGG weights file converted by tools/convert_vgg.py");
    return it->second;
  };
  DAE_CHECK(meta("format") == "dae-vgg", FileError, "'", path, "' is not a converted VGG weights file (format '",
            meta("format"), "')");
  const VggArch arch = parse_vgg_arch(meta("arch"));
  const InputNorm norm = parse_input_norm(meta("input_norm"));
  const int file_deepest = vgg_relu_index(arch, meta("deepest"));
  int deepest = file_deepest;
  if (!deepest_name.empty()) {
    deepest = vgg_relu_index(arch, deepest_name);
    DAE_CHECK(deepest <= file_deepest, ArgumentError, "layer ", deepest_name, " is deeper than the weights in '", path,
              "' (they stop at ", meta("deepest"), ")");
  }
  auto vgg = std::make_shared<VggFeatures>(arch, deepest, norm);
  std::map<std::string, Tensor> wanted;
  for (const auto& [name, tensor] : file.tensors) {
    // Keep the layers this extractor has; the file may hold deeper ones.
    int index = -1;
    if (std::sscanf(name.c_str(), "features.%d.", &index) == 1 && index > deepest) continue;
    wanted.emplace(name, tensor);
  }
  vgg->load_state_dict(wanted, true, path);
  vgg->source_ = path;

  // The file's own check: activations on the fixed input must match.
  nlohmann::json expected;
  try {
    expected = nlohmann::json::parse(meta("activation_checksum"));
  } catch (const nlohmann::json::exception&) {
    throw FileError("'" + path + "': activation_checksum in the metadata is not valid JSON");
  }
  DAE_CHECK(expected.is_object() && expected.contains("layers") && expected["layers"].is_object(), FileError, "'",
            path, "': activation_checksum has no layer statistics");
  const auto actual = vgg->activation_checksum();
  for (const auto& [layer, stats] : actual) {
    DAE_CHECK(expected["layers"].contains(layer), FileError, "'", path, "': activation_checksum has no entry for ", layer);
    const nlohmann::json& want = expected["layers"][layer];
    DAE_CHECK(want.is_array() && want.size() == stats.size(), FileError, "'", path, "': bad checksum entry for ", layer);
    const double rms = want[1].is_number() ? std::fabs(want[1].get<double>()) : 0.0;
    for (std::size_t k = 0; k < stats.size(); ++k) {
      const double w = want[k].is_number() ? want[k].get<double>() : NAN;
      DAE_CHECK(std::fabs(stats[k] - w) <= 1e-3 * rms + 1e-6, FileError, "'", path,
                "': refused: the activations of ", layer, " on the check input do not match the checksum recorded "
                "at conversion (statistic ", k, ": ", stats[k], " vs ", w,
                "); the weights were altered or are not what the metadata says");
    }
  }
  return vgg;
}

}  // namespace dae
