#include "engine/tensor.h"

#include <cstring>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"
#include "engine/random.h"

namespace dae {

// ---- Storage ---------------------------------------------------------------

Storage::Storage(Device device, std::size_t bytes)
    : device_(device), bytes_(bytes), context_(&DeviceContext::get(device)), data_(context_->allocate(bytes)) {}

Storage::~Storage() { context_->deallocate(data_, bytes_); }

// ---- factories ---------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(device, std::size_t(shape.numel()) * sizeof(float));
  impl->shape = shape;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  const kernels::Exec& ex = DeviceContext::get(device).exec();
  DAE_DISPATCH(device, fill, ex, t.numel(), value, t.data());
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device) { return full(shape, 0.0f, device); }
Tensor Tensor::ones(const Shape& shape, Device device) { return full(shape, 1.0f, device); }
Tensor Tensor::scalar(float value, Device device) { return full(Shape{}, value, device); }

Tensor Tensor::uniform(const Shape& shape, float lo, float hi, Generator& gen, Device device) {
  std::vector<float> values(std::size_t(shape.numel()));
  gen.uniform(values.data(), shape.numel(), lo, hi);
  return from_vector(shape, values, device);
}

Tensor Tensor::normal(const Shape& shape, float mean, float stddev, Generator& gen, Device device) {
  std::vector<float> values(std::size_t(shape.numel()));
  gen.normal(values.data(), shape.numel(), mean, stddev);
  return from_vector(shape, values, device);
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values, Device device) {
  DAE_CHECK(std::int64_t(values.size()) == shape.numel(), ShapeError, "from_vector: ", values.size(),
            " values do not fill a tensor of shape ", shape.str());
  Tensor t = empty(shape, device);
  DeviceContext::get(device).copy_from_host(t.data(), values.data(), t.nbytes());
  return t;
}

// ---- properties --------------------------------------------------------------

void Tensor::require_defined(const char* what) const {
  if (!impl_) throw ShapeError(std::string(what) + " of an undefined tensor");
}

const Shape& Tensor::shape() const {
  require_defined("shape");
  return impl_->shape;
}

std::int64_t Tensor::size(int dim) const {
  const Shape& s = shape();
  if (dim < 0) dim += s.rank();
  DAE_CHECK(dim >= 0 && dim < s.rank(), ShapeError, "dimension ", dim, " out of range for shape ", s.str());
  return s[dim];
}

Device Tensor::device() const {
  require_defined("device");
  return impl_->storage->device();
}

float* Tensor::data() const {
  require_defined("data");
  return static_cast<float*>(impl_->storage->data());
}

std::span<float> Tensor::host() const {
  DAE_CHECK(device().is_cpu(), DeviceError, "host access to a tensor on ", device().str(),
            " (copy it with .to(cpu) or .to_vector() first)");
  return {data(), std::size_t(numel())};
}

// ---- transfers ---------------------------------------------------------------

std::vector<float> Tensor::to_vector() const {
  std::vector<float> values(static_cast<std::size_t>(numel()));
  DeviceContext::get(device()).copy_to_host(values.data(), data(), nbytes());
  return values;
}

float Tensor::item() const {
  DAE_CHECK(numel() == 1, ShapeError, "item() needs a one-element tensor, got shape ", shape().str());
  float value = 0.0f;
  DeviceContext::get(device()).copy_to_host(&value, data(), sizeof(float));
  return value;
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), target);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  DAE_CHECK(src.numel() == numel(), ShapeError, "copy_from: source shape ", src.shape().str(),
            " does not match destination shape ", shape().str());
  const Device from = src.device(), to = device();
  if (from == to) {
    DeviceContext::get(to).copy_within(data(), src.data(), nbytes());
  } else if (from.is_cpu()) {
    DeviceContext::get(to).copy_from_host(data(), src.data(), nbytes());
  } else if (to.is_cpu()) {
    DeviceContext::get(from).copy_to_host(data(), src.data(), nbytes());
  } else {
    std::vector<float> staging = src.to_vector();
    DeviceContext::get(to).copy_from_host(data(), staging.data(), nbytes());
  }
}

// ---- views -------------------------------------------------------------------

Tensor Tensor::detach() const {
  require_defined("detach");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  DAE_CHECK(new_shape.numel() == numel(), ShapeError, "reshape: cannot view ", shape().str(), " (", numel(),
            " elements) as ", new_shape.str());
  Tensor out = detach();
  out.impl_->shape = new_shape;
  const Shape old_shape = shape();
  autograd::record("reshape", out, {this}, [old_shape](const Tensor& grad, const autograd::Node&) {
    return std::vector<Tensor>{grad.reshape(old_shape)};
  });
  return out;
}

// ---- autograd ----------------------------------------------------------------

Tensor& Tensor::set_requires_grad(bool enabled) {
  require_defined("set_requires_grad");
  DAE_CHECK(is_leaf() || enabled, ShapeError, "cannot clear requires_grad of a non-leaf tensor (use detach())");
  impl_->requires_grad = enabled;
  return *this;
}

void Tensor::zero_grad() {
  if (impl_) impl_->grad.reset();
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  return impl_ ? impl_->grad_fn : none;
}

void Tensor::backward(const Tensor& grad_output) const {
  require_defined("backward");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    DAE_CHECK(numel() == 1, ShapeError, "backward() without a gradient needs a one-element tensor, got shape ",
              shape().str());
    seed = Tensor::ones(shape(), device());
  }
  DAE_CHECK(seed.shape() == shape(), ShapeError, "backward: gradient shape ", seed.shape().str(),
            " does not match tensor shape ", shape().str());
  autograd::run_backward(*this, seed);
}

std::string Tensor::description() const {
  if (!impl_) return "undefined tensor";
  return "tensor " + shape().str() + " on " + device().str();
}

}  // namespace dae
