// conv2d and conv_transpose2d: shape checks, kernel dispatch, and backward.
#include <string>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/op_utils.h"

namespace dae {

using detail::exec_of;

namespace {

void check_conv_args(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, int stride,
                     int padding) {
  detail::check_rank(op, "input", x, 4);
  detail::check_rank(op, "weight", weight, 4);
  detail::check_same_device(op, "input", x, "weight", weight);
  DAE_CHECK(stride >= 1, ShapeError, op, ": stride must be >= 1 (got ", stride, ")");
  DAE_CHECK(padding >= 0, ShapeError, op, ": padding must be >= 0 (got ", padding, ")");
  if (bias.defined()) {
    detail::check_rank(op, "bias", bias, 1);
    detail::check_same_device(op, "input", x, "bias", bias);
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding) {
  check_conv_args("conv2d", x, weight, bias, stride, padding);
  kernels::Conv2dShape s;
  s.batch = int(x.size(0));
  s.in_channels = int(x.size(1));
  s.in_height = int(x.size(2));
  s.in_width = int(x.size(3));
  s.out_channels = int(weight.size(0));
  s.kernel_h = int(weight.size(2));
  s.kernel_w = int(weight.size(3));
  s.stride = stride;
  s.padding = padding;
  DAE_CHECK(weight.size(1) == s.in_channels, ShapeError, "conv2d: input ", x.shape().str(), " has ", s.in_channels,
            " channels but weight ", weight.shape().str(), " expects ", weight.size(1));
  DAE_CHECK(!bias.defined() || bias.size(0) == s.out_channels, ShapeError, "conv2d: bias ", bias.shape().str(),
            " does not match weight ", weight.shape().str());
  const int padded_h = s.in_height + 2 * padding, padded_w = s.in_width + 2 * padding;
  DAE_CHECK(padded_h >= s.kernel_h && padded_w >= s.kernel_w, ShapeError, "conv2d: kernel ", s.kernel_h, "x",
            s.kernel_w, " is larger than the padded input ", padded_h, "x", padded_w, " (input ", x.shape().str(), ")");
  s.out_height = (padded_h - s.kernel_h) / stride + 1;
  s.out_width = (padded_w - s.kernel_w) / stride + 1;

  Tensor y = Tensor::empty(Shape{s.batch, s.out_channels, s.out_height, s.out_width}, x.device());
  DAE_DISPATCH(x.device(), conv2d_forward, exec_of(x), s, x.data(), weight.data(),
               bias.defined() ? bias.data() : nullptr, y.data());

  const Tensor saved_x = x.detach(), saved_w = weight.detach();
  const bool has_bias = bias.defined();
  autograd::record("conv2d", y, {&x, &weight, &bias},
                   [s, saved_x, saved_w, has_bias](const Tensor& g, const autograd::Node& self) {
                     const kernels::Exec& ex = exec_of(g);
                     Tensor grad_x, grad_w, grad_b;
                     if (self.needs_input_grad(0)) {
                       grad_x = Tensor::empty(saved_x.shape(), g.device());
                       DAE_DISPATCH(g.device(), conv2d_backward_data, ex, s, g.data(), saved_w.data(), grad_x.data());
                     }
                     const bool want_b = has_bias && self.needs_input_grad(2);
                     if (want_b) grad_b = Tensor::empty(Shape{s.out_channels}, g.device());
                     if (self.needs_input_grad(1)) {
                       grad_w = Tensor::empty(saved_w.shape(), g.device());
                       DAE_DISPATCH(g.device(), conv2d_backward_weight, ex, s, saved_x.data(), g.data(),
                                    grad_w.data(), want_b ? grad_b.data() : nullptr);
                     } else if (want_b) {
                       DAE_DISPATCH(g.device(), bias_backward, ex, s.batch, s.out_channels,
                                    s.out_height * s.out_width, g.data(), grad_b.data());
                     }
                     return std::vector<Tensor>{grad_x, grad_w, grad_b};
                   });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride, int padding,
                        int output_padding) {
  check_conv_args("conv_transpose2d", x, weight, bias, stride, padding);
  DAE_CHECK(output_padding >= 0 && output_padding < stride, ShapeError,
            "conv_transpose2d: output_padding must be in [0, stride) (got ", output_padding, " with stride ", stride,
            ")");
  kernels::ConvTranspose2dShape s;
  s.batch = int(x.size(0));
  s.in_channels = int(x.size(1));
  s.in_height = int(x.size(2));
  s.in_width = int(x.size(3));
  s.out_channels = int(weight.size(1));
  s.kernel_h = int(weight.size(2));
  s.kernel_w = int(weight.size(3));
  s.stride = stride;
  s.padding = padding;
  s.output_padding = output_padding;
  DAE_CHECK(weight.size(0) == s.in_channels, ShapeError, "conv_transpose2d: input ", x.shape().str(), " has ",
            s.in_channels, " channels but weight ", weight.shape().str(), " expects ", weight.size(0));
  DAE_CHECK(!bias.defined() || bias.size(0) == s.out_channels, ShapeError, "conv_transpose2d: bias ",
            bias.shape().str(), " does not match weight ", weight.shape().str());
  s.out_height = (s.in_height - 1) * stride - 2 * padding + s.kernel_h + output_padding;
  s.out_width = (s.in_width - 1) * stride - 2 * padding + s.kernel_w + output_padding;
  DAE_CHECK(s.out_height > 0 && s.out_width > 0, ShapeError, "conv_transpose2d: output size ", s.out_height, "x",
            s.out_width, " is not positive (input ", x.shape().str(), ", weight ", weight.shape().str(), ")");

  Tensor y = Tensor::empty(Shape{s.batch, s.out_channels, s.out_height, s.out_width}, x.device());
  DAE_DISPATCH(x.device(), conv_transpose2d_forward, exec_of(x), s, x.data(), weight.data(),
               bias.defined() ? bias.data() : nullptr, y.data());

  const Tensor saved_x = x.detach(), saved_w = weight.detach();
  const bool has_bias = bias.defined();
  autograd::record("conv_transpose2d", y, {&x, &weight, &bias},
                   [s, saved_x, saved_w, has_bias](const Tensor& g, const autograd::Node& self) {
                     const kernels::Exec& ex = exec_of(g);
                     Tensor grad_x, grad_w, grad_b;
                     if (self.needs_input_grad(0)) {
                       grad_x = Tensor::empty(saved_x.shape(), g.device());
                       DAE_DISPATCH(g.device(), conv_transpose2d_backward_data, ex, s, g.data(), saved_w.data(),
                                    grad_x.data());
                     }
                     const bool want_b = has_bias && self.needs_input_grad(2);
                     if (want_b) grad_b = Tensor::empty(Shape{s.out_channels}, g.device());
                     if (self.needs_input_grad(1)) {
                       grad_w = Tensor::empty(saved_w.shape(), g.device());
                       DAE_DISPATCH(g.device(), conv_transpose2d_backward_weight, ex, s, saved_x.data(), g.data(),
                                    grad_w.data(), want_b ? grad_b.data() : nullptr);
                     } else if (want_b) {
                       DAE_DISPATCH(g.device(), bias_backward, ex, s.batch, s.out_channels,
                                    s.out_height * s.out_width, g.data(), grad_b.data());
                     }
                     return std::vector<Tensor>{grad_x, grad_w, grad_b};
                   });
  return y;
}

}  // namespace dae
