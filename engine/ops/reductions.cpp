// sum, mean and the MSE loss. Results are scalars of shape []; the upstream
// gradient stays on the device (kernels read it through a pointer).
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/op_utils.h"

namespace dae {

using detail::exec_of;

Tensor sum(const Tensor& x) {
  detail::check_defined("sum", "x", x);
  Tensor out = Tensor::empty(Shape{}, x.device());
  DAE_DISPATCH(x.device(), sum, exec_of(x), x.numel(), x.data(), out.data());
  const Shape shape = x.shape();
  autograd::record("sum", out, {&x}, [shape](const Tensor& g, const autograd::Node&) {
    Tensor grad = Tensor::empty(shape, g.device());  // d(sum)/dx_i = 1
    DAE_DISPATCH(g.device(), fill_from, exec_of(g), grad.numel(), g.data(), grad.data());
    return std::vector<Tensor>{grad};
  });
  return out;
}

Tensor mean(const Tensor& x) {
  detail::check_defined("mean", "x", x);
  DAE_CHECK(x.numel() > 0, ShapeError, "mean: 'x' is empty (shape ", x.shape().str(), ")");
  Tensor out = Tensor::empty(Shape{}, x.device());
  DAE_DISPATCH(x.device(), mean, exec_of(x), x.numel(), x.data(), out.data());
  const Shape shape = x.shape();
  autograd::record("mean", out, {&x}, [shape](const Tensor& g, const autograd::Node&) {
    Tensor grad = Tensor::empty(shape, g.device());  // d(mean)/dx_i = 1/n
    DAE_DISPATCH(g.device(), fill_from, exec_of(g), grad.numel(), g.data(), grad.data());
    DAE_DISPATCH(g.device(), mul_scalar, exec_of(g), grad.numel(), grad.data(), 1.0f / float(grad.numel()),
                 grad.data());
    return std::vector<Tensor>{grad};
  });
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target) {
  detail::check_same_shape("mse_loss", "input", input, "target", target);
  DAE_CHECK(input.numel() > 0, ShapeError, "mse_loss: 'input' is empty (shape ", input.shape().str(), ")");
  Tensor out = Tensor::empty(Shape{}, input.device());
  DAE_DISPATCH(input.device(), mse_forward, exec_of(input), input.numel(), input.data(), target.data(), out.data());
  const Tensor saved_input = input.detach(), saved_target = target.detach();
  autograd::record("mse_loss", out, {&input, &target},
                   [saved_input, saved_target](const Tensor& g, const autograd::Node& self) {
                     const std::int64_t n = saved_input.numel();
                     Tensor grad_input, grad_target;
                     if (self.needs_input_grad(0)) {  // 2 (input - target) / n
                       grad_input = Tensor::empty(saved_input.shape(), g.device());
                       DAE_DISPATCH(g.device(), mse_backward, exec_of(g), n, saved_input.data(), saved_target.data(),
                                    g.data(), grad_input.data());
                     }
                     if (self.needs_input_grad(1)) {  // 2 (target - input) / n
                       grad_target = Tensor::empty(saved_target.shape(), g.device());
                       DAE_DISPATCH(g.device(), mse_backward, exec_of(g), n, saved_target.data(),
                                    saved_input.data(), g.data(), grad_target.data());
                     }
                     return std::vector<Tensor>{grad_input, grad_target};
                   });
  return out;
}

}  // namespace dae
