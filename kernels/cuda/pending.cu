// Kernels of the CUDA backend that are not written yet. Each one fails loudly
// (never a silent CPU fallback); the CUDA backend issue replaces this file.
#include "kernels/common/errors.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/losses.h"
#include "kernels/cuda/noise.h"

namespace dae::kernels::cuda {

namespace {
[[noreturn]] void pending(const char* name) {
  throw DeviceError(std::string("the CUDA kernel ") + name + " is not implemented yet");
}
}  // namespace

void conv2d_forward(const Exec&, const Conv2dShape&, const float*, const float*, const float*, float*) {
  pending("conv2d_forward");
}
void conv2d_backward_data(const Exec&, const Conv2dShape&, const float*, const float*, float*) {
  pending("conv2d_backward_data");
}
void conv2d_backward_weight(const Exec&, const Conv2dShape&, const float*, const float*, float*, float*) {
  pending("conv2d_backward_weight");
}
void bias_backward(const Exec&, int, int, int, const float*, float*) { pending("bias_backward"); }
void conv_transpose2d_forward(const Exec&, const ConvTranspose2dShape&, const float*, const float*, const float*,
                              float*) {
  pending("conv_transpose2d_forward");
}
void conv_transpose2d_backward_data(const Exec&, const ConvTranspose2dShape&, const float*, const float*, float*) {
  pending("conv_transpose2d_backward_data");
}
void conv_transpose2d_backward_weight(const Exec&, const ConvTranspose2dShape&, const float*, const float*, float*,
                                      float*) {
  pending("conv_transpose2d_backward_weight");
}
void max_pool2d_forward(const Exec&, const Pool2dShape&, const float*, float*, std::int32_t*) {
  pending("max_pool2d_forward");
}
void max_pool2d_backward(const Exec&, const Pool2dShape&, const float*, const std::int32_t*, float*) {
  pending("max_pool2d_backward");
}
void sum(const Exec&, std::int64_t, const float*, float*) { pending("sum"); }
void mean(const Exec&, std::int64_t, const float*, float*) { pending("mean"); }
void mse_forward(const Exec&, std::int64_t, const float*, const float*, float*) { pending("mse_forward"); }
void mse_backward(const Exec&, std::int64_t, const float*, const float*, const float*, float*) {
  pending("mse_backward");
}
void sgd_update(const Exec&, std::int64_t, const SgdParams&, float*, const float*, float*) { pending("sgd_update"); }
void weighted_mse(const Exec&, std::int64_t, const float*, const float*, const float*, float, float, float*, float*) {
  pending("weighted_mse");
}
void corrupt(const Exec&, const NoiseParams&, const ImageShape&, const float*, float*, float*) { pending("corrupt"); }

}  // namespace dae::kernels::cuda
