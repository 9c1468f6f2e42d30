#include "engine/nn.h"

#include <cmath>
#include <set>

#include "engine/errors.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace dae {

// ---- Module ------------------------------------------------------------------

Tensor& Module::register_parameter(const std::string& name, Tensor value) {
  value.set_requires_grad(true);
  params_.emplace_back(name, std::move(value));
  return params_.back().second;
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, tensor] : params_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [name, t] : named_parameters()) out.emplace_back(name, t.detach());
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict, const std::string& source) {
  const auto params = named_parameters();
  std::set<std::string> known;
  // Check everything first, then copy: a failed load changes nothing.
  for (const auto& [name, param] : params) {
    known.insert(name);
    auto it = state.find(name);
    DAE_CHECK(it != state.end(), ShapeError, source, ": missing tensor '", name, "' (shape ", param.shape().str(),
              ")");
    DAE_CHECK(it->second.shape() == param.shape(), ShapeError, source, ": tensor '", name, "' has shape ",
              it->second.shape().str(), " but the model expects ", param.shape().str());
  }
  if (strict) {
    for (const auto& [name, value] : state) {
      DAE_CHECK(known.count(name) > 0, ShapeError, source, ": unexpected tensor '", name, "' (shape ",
                value.shape().str(), ") that the model does not have");
    }
  }
  for (const auto& [name, param] : params) {
    Tensor target = param;
    target.copy_from(state.at(name));
  }
}

void Module::to(Device device) {
  for (auto& [name, param] : named_parameters()) {
    if (param.device() == device) continue;
    Tensor moved = param.to(device);
    param.impl()->storage = moved.impl()->storage;
    param.impl()->grad.reset();
  }
}

void Module::set_requires_grad(bool enabled) {
  for (auto& [name, param] : named_parameters()) param.impl()->requires_grad = enabled;
}

void Module::zero_grad() {
  for (auto& [name, param] : named_parameters()) param.zero_grad();
}

std::int64_t Module::parameter_count() const {
  std::int64_t total = 0;
  for (auto& [name, param] : named_parameters()) total += param.numel();
  return total;
}

// ---- layers ------------------------------------------------------------------

namespace {
// PyTorch's default for Conv and ConvTranspose: kaiming_uniform_(a = sqrt(5))
// gives bound gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)), i.e.
// 1 / sqrt(fan_in); the bias uses the same bound.
float default_bound(int fan_in) { return 1.0f / std::sqrt(float(fan_in)); }
}  // namespace

Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, Generator& gen, bool bias)
    : stride_(stride), padding_(padding) {
  DAE_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0, ShapeError, "Conv2d: channels and kernel must be > 0");
  const float bound = default_bound(in_channels * kernel * kernel);
  weight_ = &register_parameter("weight", Tensor::uniform(Shape{out_channels, in_channels, kernel, kernel}, -bound,
                                                          bound, gen));
  if (bias) bias_ = &register_parameter("bias", Tensor::uniform(Shape{out_channels}, -bound, bound, gen));
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, *weight_, bias_ != nullptr ? *bias_ : no_bias_, stride_, padding_);
}

ConvTranspose2d::ConvTranspose2d(int in_channels, int out_channels, int kernel, int stride, int padding,
                                 int output_padding, Generator& gen, bool bias)
    : stride_(stride), padding_(padding), output_padding_(output_padding) {
  DAE_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0, ShapeError,
            "ConvTranspose2d: channels and kernel must be > 0");
  const float bound = default_bound(out_channels * kernel * kernel);
  weight_ = &register_parameter("weight", Tensor::uniform(Shape{in_channels, out_channels, kernel, kernel}, -bound,
                                                          bound, gen));
  if (bias) bias_ = &register_parameter("bias", Tensor::uniform(Shape{out_channels}, -bound, bound, gen));
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, *weight_, bias_ != nullptr ? *bias_ : no_bias_, stride_, padding_, output_padding_);
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, kernel_, stride_, padding_); }

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

}  // namespace dae
