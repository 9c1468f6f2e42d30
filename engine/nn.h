// Neural-network modules with named parameters, PyTorch-style.
//
// A Module owns parameters (leaf tensors with requires_grad) and child
// modules, each under a name; named_parameters() and state_dict() join the
// names with dots exactly as torch.nn.Module does ("encoder.0.weight"), so a
// checkpoint written by either side loads in the other.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace dae {

class Generator;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Parameters of this module and its children, in registration order.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;

  // The parameters by name (detached views sharing memory).
  std::vector<std::pair<std::string, Tensor>> state_dict() const;
  // Copies values in from `state` (any device). Every parameter must be
  // present with the same shape; with `strict`, extra names are errors too.
  // Throws dae::ShapeError naming the tensor (and `source`, e.g. a file name).
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true,
                       const std::string& source = "state dict");

  // Moves every parameter to `device` (in place: tensors already handed out follow).
  void to(Device device);
  // Freezes or unfreezes every parameter (requires_grad).
  void set_requires_grad(bool enabled);
  void zero_grad();
  std::int64_t parameter_count() const;

 protected:
  Tensor& register_parameter(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;
  std::deque<std::pair<std::string, Tensor>> params_;  // deque: references stay valid
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// torch.nn.Conv2d (groups 1, zero padding), PyTorch's default initialisation:
// weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)),
// bias likewise, fan_in = in_channels * kernel * kernel.
class Conv2d : public Module {
 public:
  Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor& weight() { return *weight_; }
  Tensor& bias() { return *bias_; }
  const Tensor& weight() const { return *weight_; }
  const Tensor& bias() const { return *bias_; }

 private:
  int stride_, padding_;
  Tensor* weight_ = nullptr;
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

// torch.nn.ConvTranspose2d; weight [in, out, k, k]; PyTorch computes fan_in
// from dimension 1, so fan_in = out_channels * kernel * kernel.
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int in_channels, int out_channels, int kernel, int stride, int padding, int output_padding,
                  Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor& weight() { return *weight_; }
  Tensor& bias() { return *bias_; }

 private:
  int stride_, padding_, output_padding_;
  Tensor* weight_ = nullptr;
  Tensor* bias_ = nullptr;
  Tensor no_bias_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int kernel, int stride = 0, int padding = 0) : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) override;

 private:
  int kernel_, stride_, padding_;
};

// Children named "0", "1", ... run in order.
class Sequential : public Module {
 public:
  Sequential() = default;
  void push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::size_t size() const { return layers_.size(); }
  Module& operator[](std::size_t i) { return *layers_[i]; }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace dae
