// max_pool2d: the forward pass records each window's winner; the backward pass
// routes the gradient to it.
#include <memory>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/op_utils.h"

namespace dae {

using detail::exec_of;

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  detail::check_rank("max_pool2d", "input", x, 4);
  if (stride == 0) stride = kernel;
  DAE_CHECK(kernel >= 1 && stride >= 1, ShapeError, "max_pool2d: kernel and stride must be >= 1 (got ", kernel, ", ",
            stride, ")");
  DAE_CHECK(padding >= 0 && 2 * padding <= kernel, ShapeError,
            "max_pool2d: padding must be in [0, kernel/2] (got ", padding, " with kernel ", kernel, ")");
  kernels::Pool2dShape s;
  s.batch = int(x.size(0));
  s.channels = int(x.size(1));
  s.in_height = int(x.size(2));
  s.in_width = int(x.size(3));
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  DAE_CHECK(s.in_height + 2 * padding >= kernel && s.in_width + 2 * padding >= kernel, ShapeError,
            "max_pool2d: kernel ", kernel, " is larger than the padded input ", x.shape().str());
  s.out_height = (s.in_height + 2 * padding - kernel) / stride + 1;
  s.out_width = (s.in_width + 2 * padding - kernel) / stride + 1;

  Tensor y = Tensor::empty(Shape{s.batch, s.channels, s.out_height, s.out_width}, x.device());
  // The winners' indices are int32; they live in a float-sized buffer of the same element count.
  Tensor argmax = Tensor::empty(y.shape(), x.device());
  auto* argmax_data = reinterpret_cast<std::int32_t*>(argmax.data());
  DAE_DISPATCH(x.device(), max_pool2d_forward, exec_of(x), s, x.data(), y.data(), argmax_data);

  autograd::record("max_pool2d", y, {&x}, [s, argmax](const Tensor& g, const autograd::Node&) {
    Tensor grad = Tensor::empty(Shape{s.batch, s.channels, s.in_height, s.in_width}, g.device());
    DAE_DISPATCH(g.device(), max_pool2d_backward, exec_of(g), s, g.data(),
                 reinterpret_cast<const std::int32_t*>(argmax.data()), grad.data());
    return std::vector<Tensor>{grad};
  });
  return y;
}

}  // namespace dae
