// add, sub, mul (tensor-tensor and tensor-scalar), each backward beside its forward.
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/op_utils.h"

namespace dae {

using detail::check_same_shape;
using detail::exec_of;

Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", "a", a, "b", b);
  Tensor out = Tensor::empty(a.shape(), a.device());
  DAE_DISPATCH(a.device(), add, exec_of(a), a.numel(), a.data(), b.data(), out.data());
  // d(a+b)/da = d(a+b)/db = 1: the gradient passes through unchanged.
  autograd::record("add", out, {&a, &b}, [](const Tensor& g, const autograd::Node&) {
    return std::vector<Tensor>{g, g};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  check_same_shape("sub", "a", a, "b", b);
  Tensor out = Tensor::empty(a.shape(), a.device());
  DAE_DISPATCH(a.device(), sub, exec_of(a), a.numel(), a.data(), b.data(), out.data());
  autograd::record("sub", out, {&a, &b}, [](const Tensor& g, const autograd::Node& self) {
    Tensor grad_b;
    if (self.needs_input_grad(1)) {
      grad_b = Tensor::empty(g.shape(), g.device());
      DAE_DISPATCH(g.device(), mul_scalar, exec_of(g), g.numel(), g.data(), -1.0f, grad_b.data());
    }
    return std::vector<Tensor>{g, grad_b};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", "a", a, "b", b);
  Tensor out = Tensor::empty(a.shape(), a.device());
  DAE_DISPATCH(a.device(), mul, exec_of(a), a.numel(), a.data(), b.data(), out.data());
  const Tensor saved_a = a.detach(), saved_b = b.detach();
  autograd::record("mul", out, {&a, &b}, [saved_a, saved_b](const Tensor& g, const autograd::Node& self) {
    Tensor grad_a, grad_b;
    if (self.needs_input_grad(0)) {  // d(ab)/da = b
      grad_a = Tensor::empty(g.shape(), g.device());
      DAE_DISPATCH(g.device(), mul, exec_of(g), g.numel(), g.data(), saved_b.data(), grad_a.data());
    }
    if (self.needs_input_grad(1)) {  // d(ab)/db = a
      grad_b = Tensor::empty(g.shape(), g.device());
      DAE_DISPATCH(g.device(), mul, exec_of(g), g.numel(), g.data(), saved_a.data(), grad_b.data());
    }
    return std::vector<Tensor>{grad_a, grad_b};
  });
  return out;
}

Tensor add(const Tensor& a, float scalar) {
  detail::check_defined("add", "a", a);
  Tensor out = Tensor::empty(a.shape(), a.device());
  DAE_DISPATCH(a.device(), add_scalar, exec_of(a), a.numel(), a.data(), scalar, out.data());
  autograd::record("add_scalar", out, {&a}, [](const Tensor& g, const autograd::Node&) {
    return std::vector<Tensor>{g};
  });
  return out;
}

Tensor mul(const Tensor& a, float scalar) {
  detail::check_defined("mul", "a", a);
  Tensor out = Tensor::empty(a.shape(), a.device());
  DAE_DISPATCH(a.device(), mul_scalar, exec_of(a), a.numel(), a.data(), scalar, out.data());
  autograd::record("mul_scalar", out, {&a}, [scalar](const Tensor& g, const autograd::Node&) {
    Tensor grad = Tensor::empty(g.shape(), g.device());
    DAE_DISPATCH(g.device(), mul_scalar, exec_of(g), g.numel(), g.data(), scalar, grad.data());
    return std::vector<Tensor>{grad};
  });
  return out;
}

}  // namespace dae
