#include "losses/perceptual.h"

#include <charconv>
#include <cmath>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"
#include "engine/ops.h"

namespace dae {

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    out.push_back(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_layer_list(const std::string& text) {
  std::vector<std::string> out = split(text);
  for (const std::string& s : out) {
    DAE_CHECK(!s.empty(), ArgumentError, "--layers '", text, "': empty layer name");
  }
  return out;
}

std::vector<float> parse_weight_list(const std::string& text) {
  std::vector<float> out;
  for (const std::string& s : split(text)) {
    float v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    DAE_CHECK(!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(v) && v >= 0.0f,
              ArgumentError, "--layer-weights '", text, "': '", s, "' is not a number >= 0");
    out.push_back(v);
  }
  return out;
}

std::shared_ptr<PerceptualLoss> make_perceptual_loss(const std::string& vgg_path, const std::string& layers,
                                                     const std::string& layer_weights, bool mask_aware) {
  PerceptualOptions options;
  options.layers = parse_layer_list(layers);
  options.layer_weights = parse_weight_list(layer_weights);
  options.mask_aware = mask_aware;
  DAE_CHECK(options.layer_weights.size() == options.layers.size(), ArgumentError, "--layer-weights '", layer_weights,
            "' has ", options.layer_weights.size(), " weight(s) for the ", options.layers.size(), " layer(s) of --layers '",
            layers, "'");
  // Build VGG only up to the deepest layer asked for. The architecture comes
  // from the file, so find the deepest name after a first look at its metadata.
  std::shared_ptr<VggFeatures> probe = VggFeatures::load(vgg_path);
  int deepest = -1;
  std::string deepest_name;
  for (const std::string& name : options.layers) {
    const int index = vgg_relu_index(probe->arch(), name);
    if (index > deepest) {
      deepest = index;
      deepest_name = name;
    }
  }
  DAE_CHECK(deepest <= probe->deepest(), ArgumentError, "layer ", deepest_name, " is deeper than the weights in '",
            vgg_path, "' (they stop at ", vgg_layers(probe->arch())[std::size_t(probe->deepest())].name, ")");
  std::shared_ptr<VggFeatures> vgg = deepest == probe->deepest() ? probe : VggFeatures::load(vgg_path, deepest_name);
  return std::make_shared<PerceptualLoss>(vgg, options);
}

PerceptualLoss::PerceptualLoss(std::shared_ptr<VggFeatures> vgg, PerceptualOptions options)
    : vgg_(std::move(vgg)), options_(std::move(options)) {
  DAE_CHECK(vgg_ != nullptr, ArgumentError, "the perceptual loss needs VGG weights (--vgg FILE)");
  DAE_CHECK(!options_.layers.empty(), ArgumentError, "--layers: no layer given");
  DAE_CHECK(options_.layer_weights.size() == options_.layers.size(), ArgumentError, "--layer-weights has ",
            options_.layer_weights.size(), " weight(s) for ", options_.layers.size(), " layer(s) in --layers");
  for (std::size_t k = 0; k < options_.layers.size(); ++k) {
    const int index = vgg_relu_index(vgg_->arch(), options_.layers[k]);
    DAE_CHECK(index <= vgg_->deepest(), ArgumentError, "layer ", options_.layers[k],
              " is deeper than the VGG weights loaded from '", vgg_->source(), "' (they stop at ",
              vgg_layers(vgg_->arch())[std::size_t(vgg_->deepest())].name, ")");
    DAE_CHECK(std::isfinite(options_.layer_weights[k]) && options_.layer_weights[k] >= 0.0f, ArgumentError,
              "--layer-weights: weight ", options_.layer_weights[k], " of ", options_.layers[k], " must be >= 0");
    indices_.push_back(index);
  }
}

PerceptualResult PerceptualLoss::operator()(const Tensor& output, const Tensor& clean, const Tensor& mask, float alpha,
                                            float beta) const {
  DAE_CHECK(output.defined() && clean.defined() && output.shape() == clean.shape() && output.rank() == 4, ShapeError,
            "perceptual loss: output ", output.description(), " and clean ", clean.description(),
            " must be two [N, C, H, W] tensors of one shape");
  DAE_CHECK(output.device() == clean.device(), ShapeError, "perceptual loss: output on ", output.device().str(),
            " but clean on ", clean.device().str());
  if (options_.mask_aware) {
    DAE_CHECK(mask.defined() && mask.shape() == output.shape() && mask.device() == output.device(), ShapeError,
              "perceptual loss with --perc-mask: the mask ", mask.description(), " does not match the output ",
              output.description());
  }
  const bool want_grad = autograd::any_requires_grad({&output});
  const Device device = output.device();
  const kernels::Exec& ex = DeviceContext::get(device).exec();
  const std::int64_t n = output.size(0);
  const int height = int(output.size(2)), width = int(output.size(3));

  // One batched pass over [output; clean] when its activations fit the budget.
  std::size_t pass_bytes = 0;
  for (int i = 0; i <= vgg_->deepest(); ++i) {
    const VggLayer& l = vgg_layers(vgg_->arch())[std::size_t(i)];
    if (l.kind == VggLayer::kConv) continue;
    pass_bytes += std::size_t(2 * n) * l.out_channels * std::size_t(height >> l.level) * std::size_t(width >> l.level) *
                  sizeof(float) * (l.kind == VggLayer::kPool ? 2 : 1);
  }
  const bool batched = pass_bytes <= options_.batched_pass_budget;
  auto pass = std::make_shared<VggActivations>();
  VggActivations clean_pass;
  {
    autograd::NoGradGuard no_grad;
    if (batched) {
      *pass = vgg_->run(cat_batch({output.detach(), clean}));
    } else {
      *pass = vgg_->run(output.detach());
      clean_pass = vgg_->run(clean);
    }
  }

  PerceptualResult result;
  std::map<int, Tensor> grads_at;
  Tensor total;
  for (std::size_t k = 0; k < indices_.size(); ++k) {
    const int index = indices_[k];
    const VggLayer& l = vgg_layers(vgg_->arch())[std::size_t(index)];
    const Tensor& features = pass->outputs[std::size_t(index)];
    kernels::FeatureDistanceShape s{int(n), int(features.size(1)), features.size(2) * features.size(3)};
    const float* a = features.data();
    const float* b = batched ? features.data() + s.size() : clean_pass.outputs[std::size_t(index)].data();
    Tensor weight_map;
    if (options_.mask_aware) {
      kernels::MaskPoolShape ms{int(n), int(mask.size(1)), height, width, 1 << l.level};
      weight_map = Tensor::empty(Shape{n, ms.out_height(), ms.out_width()}, device);
      DAE_CHECK(ms.out_height() == features.size(2) && ms.out_width() == features.size(3), ShapeError,
                "perceptual loss: mask pooled to ", ms.out_height(), "x", ms.out_width(), " but ", l.name, " is ",
                features.size(2), "x", features.size(3));
      DAE_DISPATCH(device, mask_weight_map, ex, ms, mask.data(), alpha, beta, weight_map.data());
    }
    const float w = options_.layer_weights[k];
    const float per_element = 1.0f / (float(s.channels) * float(s.pixels) * float(n));  // 1 / (C H W N)
    const bool with_grad = want_grad && w > 0.0f;
    // The kernel folds the layer weight in, so its gradient is the one backward needs.
    const float scale = w > 0.0f ? w * per_element : per_element;
    Tensor value = Tensor::empty(Shape{}, device);
    Tensor grad = with_grad ? Tensor::empty(Shape{n, features.size(1), features.size(2), features.size(3)}, device)
                            : Tensor();
    DAE_DISPATCH(device, feature_distance, ex, s, a, b, weight_map.defined() ? weight_map.data() : nullptr, scale,
                 value.data(), with_grad ? grad.data() : nullptr);
    if (with_grad) {
      auto [slot, inserted] = grads_at.try_emplace(index, grad);
      if (!inserted) {  // the same layer listed twice: the gradients add up
        Tensor sum = Tensor::empty(grad.shape(), device);
        DAE_DISPATCH(device, add, ex, grad.numel(), slot->second.data(), grad.data(), sum.data());
        slot->second = sum;
      }
    }
    autograd::NoGradGuard no_grad;
    const Tensor weighted = w > 0.0f ? value : mul(value, 0.0f);
    result.layers.emplace_back(l.name, w > 0.0f ? mul(value, 1.0f / w) : value);
    total = total.defined() ? add(total, weighted) : weighted;
  }
  result.total = total;
  if (want_grad && !grads_at.empty()) {
    const Tensor saved_output = output.detach();
    const std::shared_ptr<VggFeatures> vgg = vgg_;
    autograd::record("perceptual_loss", result.total, {&output},
                     [vgg, pass, saved_output, n, grads_at](const Tensor& g, const autograd::Node&) {
                       const Tensor grad_x = vgg->backward(*pass, saved_output, n, grads_at);
                       Tensor scaled = Tensor::empty(grad_x.shape(), grad_x.device());
                       const kernels::Exec& gex = DeviceContext::get(g.device()).exec();
                       DAE_DISPATCH(g.device(), mul_by_scalar, gex, grad_x.numel(), grad_x.data(), g.data(), 1.0f,
                                    scaled.data());
                       return std::vector<Tensor>{scaled};
                     });
  }
  return result;
}

}  // namespace dae
