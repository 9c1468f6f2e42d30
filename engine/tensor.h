// Tensor: a float32, dense, row-major (NCHW) array on one device, with
// reference-counted storage and the bookkeeping autograd needs.
//
// Copies of a Tensor share the same TensorImpl (like a shared_ptr); reshape()
// and detach() share the storage but not the autograd state. There is no
// implicit host access to device memory: read a cuda tensor with to_vector(),
// item() or to(Device::cpu()).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/shape.h"

namespace dae {

class Generator;
class DeviceContext;

namespace autograd {
struct Node;
}

// A block of device memory owned by its DeviceContext's allocator.
class Storage {
 public:
  Storage(Device device, std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Device device_;
  std::size_t bytes_;
  DeviceContext* context_;
  void* data_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;            // accumulated by backward() on leaves
  std::shared_ptr<autograd::Node> grad_fn;     // the op that produced this tensor (non-leaves)
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories -------------------------------------------------------
  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, Device device = Device::cpu());
  static Tensor uniform(const Shape& shape, float lo, float hi, Generator& gen, Device device = Device::cpu());
  static Tensor normal(const Shape& shape, float mean, float stddev, Generator& gen, Device device = Device::cpu());
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values, Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());

  // ---- properties ------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return shape().rank(); }
  std::int64_t size(int dim) const;
  std::int64_t numel() const { return shape().numel(); }
  Device device() const;
  std::size_t nbytes() const { return std::size_t(numel()) * sizeof(float); }

  // Raw pointer into the tensor's memory on its own device (for kernels).
  float* data() const;
  // The values as a host span; throws dae::DeviceError for a cuda tensor.
  std::span<float> host() const;

  // ---- explicit transfers ------------------------------------------------
  std::vector<float> to_vector() const;  // copy to the host
  float item() const;                    // the value of a one-element tensor
  Tensor to(Device device) const;        // copy to another device (or self if already there)
  void copy_from(const Tensor& src);     // overwrite values with src's (same shape; any devices)

  // ---- views and copies ------------------------------------------------
  // Same storage, new shape with the same element count; keeps autograd.
  Tensor reshape(const Shape& shape) const;
  // Same storage, cut from the graph (requires_grad = false).
  Tensor detach() const;
  // New storage with the same values, cut from the graph.
  Tensor clone() const;

  // ---- autograd --------------------------------------------------------
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  Tensor& set_requires_grad(bool enabled);
  bool is_leaf() const { return !impl_ || impl_->grad_fn == nullptr; }
  Tensor grad() const { return Tensor(impl_ ? impl_->grad : nullptr); }
  void zero_grad();  // drops the accumulated gradient
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  // Runs the backward pass from this tensor (a one-element loss, or with an
  // explicit grad_output of the same shape).
  void backward(const Tensor& grad_output = Tensor()) const;

  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  std::string description() const;  // "tensor [64, 1, 28, 28] on cpu"

 private:
  void require_defined(const char* what) const;
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace dae
