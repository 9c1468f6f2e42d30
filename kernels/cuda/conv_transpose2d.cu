// conv_transpose2d on CUDA through the convolution duality, exactly as
// kernels/cpu/conv_transpose2d.cpp: every pass is a pass of s.as_conv().
#include "kernels/cuda/conv_transpose2d.h"

#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_passes.h"

namespace dae::kernels::cuda {

void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const float* x, const float* weight,
                              const float* bias, float* y) {
  const Conv2dShape conv = s.as_conv();  // conv: y-shaped input -> x-shaped output
  detail::check_conv_indexing("conv_transpose2d_forward", conv);
  if (s.output_size() == 0) return;
  // y = the gradient the convolution would send back to its input, given x as
  // its output gradient; the bias is added in the same pass.
  detail::conv_backward_data(ex, conv, x, weight, bias, y);
}

void conv_transpose2d_backward_data(const Exec& ex, const ConvTranspose2dShape& s, const float* grad_y,
                                    const float* weight, float* grad_x) {
  const Conv2dShape conv = s.as_conv();
  detail::check_conv_indexing("conv_transpose2d_backward_data", conv);
  if (s.input_size() == 0) return;
  // grad_x = conv2d(grad_y, weight viewed as [in_channels, out_channels * kh * kw]).
  detail::conv_forward(ex, conv, grad_y, weight, nullptr, grad_x);
}

void conv_transpose2d_backward_weight(const Exec& ex, const ConvTranspose2dShape& s, const float* x,
                                      const float* grad_y, float* grad_weight, float* grad_bias) {
  const Conv2dShape conv = s.as_conv();
  detail::check_conv_indexing("conv_transpose2d_backward_weight", conv);
  // The convolution's input is our grad_y, its output gradient our x:
  // grad_weight[in_channels][out_channels * kh * kw] comes out in PyTorch's layout.
  if (s.weight_size() > 0) detail::conv_backward_weight(ex, conv, grad_y, x, grad_weight);
  if (grad_bias != nullptr) bias_backward(ex, s.batch, s.out_channels, s.out_height * s.out_width, grad_y, grad_bias);
}

}  // namespace dae::kernels::cuda
