// The cuBLAS convolution path (ConvAlgo::kCublas): the classic im2col + GEMM
// of Caffe, with our im2col / col2im kernels (kernels/cuda/im2col.h) and
// cublasSgemm in FP32. Images go in groups whose column matrices fit in
// kMaxColumnFloats; forward and backward-data run one strided-batched GEMM
// per group. Real CUDA only: under the emulator every pass throws.
//
// cuBLAS is column-major; a row-major matrix R[rows][cols] is, to cuBLAS, the
// column-major matrix R^T with leading dimension cols. So the row-major
// product C = A B is asked for as C^T = B^T A^T.
#include "kernels/cuda/conv_passes.h"
#include "kernels/cuda/runtime.h"

#if DAE_CUDA_HARDWARE

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/im2col.h"
#include "kernels/cuda/library_check.h"

namespace dae::kernels::cuda::detail::cublas_conv {

namespace {

constexpr std::int64_t kMaxColumnFloats = std::int64_t(64) << 20;  // 256 MiB of columns per group

cublasHandle_t handle_of(const Exec& ex) {
  if (ex.libraries == nullptr) throw DeviceError("the cublas convolution needs the device context's cuBLAS handle");
  return static_cast<cublasHandle_t>(ex.libraries->cublas());
}

struct Sizes {
  int k;       // rows of one column matrix: in_channels * kh * kw
  int pixels;  // its columns: out_height * out_width
  std::int64_t in_image, out_image;
  int group;   // images per column buffer
  bool identity;  // 1x1 kernel, stride 1, no padding: the column matrix is the image
};

Sizes sizes_of(const Conv2dShape& s) {
  Sizes z;
  z.k = s.in_channels * s.kernel_h * s.kernel_w;
  z.pixels = s.out_height * s.out_width;
  z.in_image = std::int64_t(s.in_channels) * s.in_height * s.in_width;
  z.out_image = std::int64_t(s.out_channels) * z.pixels;
  const std::int64_t per_image = std::max<std::int64_t>(1, std::int64_t(z.k) * z.pixels);
  z.group = int(std::clamp<std::int64_t>(kMaxColumnFloats / per_image, 1, std::max(1, s.batch)));
  z.identity = s.kernel_h == 1 && s.kernel_w == 1 && s.stride == 1 && s.padding == 0;
  return z;
}

}  // namespace

void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y) {
  const cublasHandle_t handle = handle_of(ex);
  const Sizes z = sizes_of(s);
  ScratchBuffer columns(ex, z.identity ? 0 : std::size_t(z.group) * z.k * z.pixels * sizeof(float));
  const float one = 1.0f, zero = 0.0f;
  for (int first = 0; first < s.batch; first += z.group) {
    const int count = std::min(z.group, s.batch - first);
    const float* col = x + first * z.in_image;
    if (!z.identity) {
      im2col(ex, s, col, count, columns.as<float>());
      col = columns.as<float>();
    }
    // y_n[C_out x P] = W[C_out x K] col_n[K x P]  <=>  y_n^T = col_n^T W^T
    DAE_CUBLAS_CHECK(cublasSgemmStridedBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N, z.pixels, s.out_channels, z.k, &one,
                                               col, z.pixels, std::int64_t(z.k) * z.pixels, weight, z.k, 0, &zero,
                                               y + first * z.out_image, z.pixels, z.out_image, count));
  }
  if (bias != nullptr) add_channel_bias(ex, s.batch, s.out_channels, z.pixels, bias, y);
}

void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x) {
  const cublasHandle_t handle = handle_of(ex);
  const Sizes z = sizes_of(s);
  ScratchBuffer columns(ex, z.identity ? 0 : std::size_t(z.group) * z.k * z.pixels * sizeof(float));
  const float one = 1.0f, zero = 0.0f;
  for (int first = 0; first < s.batch; first += z.group) {
    const int count = std::min(z.group, s.batch - first);
    float* col = z.identity ? grad_x + first * z.in_image : columns.as<float>();
    // col_n[K x P] = W^T[K x C_out] grad_y_n[C_out x P]  <=>  col_n^T = grad_y_n^T W
    DAE_CUBLAS_CHECK(cublasSgemmStridedBatched(handle, CUBLAS_OP_N, CUBLAS_OP_T, z.pixels, z.k, s.out_channels, &one,
                                               grad_y + first * z.out_image, z.pixels, z.out_image, weight, z.k, 0,
                                               &zero, col, z.pixels, std::int64_t(z.k) * z.pixels, count));
    if (!z.identity) col2im(ex, s, col, count, grad_x + first * z.in_image);
  }
  if (bias != nullptr) add_channel_bias(ex, s.batch, s.in_channels, s.in_height * s.in_width, bias, grad_x);
}

void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight) {
  const cublasHandle_t handle = handle_of(ex);
  const Sizes z = sizes_of(s);
  if (s.batch == 0) {
    DAE_CUDA_CHECK(cudaMemsetAsync(grad_weight, 0, std::size_t(s.weight_size()) * sizeof(float),
                                   static_cast<cudaStream_t>(ex.stream)));
    return;
  }
  ScratchBuffer columns(ex, z.identity ? 0 : std::size_t(z.group) * z.k * z.pixels * sizeof(float));
  const float one = 1.0f, zero = 0.0f;
  for (int first = 0; first < s.batch; first += z.group) {
    const int count = std::min(z.group, s.batch - first);
    const float* cols = x + first * z.in_image;
    if (!z.identity) {
      im2col(ex, s, cols, count, columns.as<float>());
      cols = columns.as<float>();
    }
    for (int i = 0; i < count; ++i) {
      const int n = first + i;
      // grad_W[C_out x K] += grad_y_n[C_out x P] col_n^T[P x K]  <=>  grad_W^T += col_n grad_y_n^T.
      // Images are added one after another on the stream: a fixed order.
      DAE_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, z.k, s.out_channels, z.pixels, &one,
                                   cols + std::int64_t(i) * z.k * z.pixels, z.pixels, grad_y + n * z.out_image,
                                   z.pixels, n == 0 ? &zero : &one, grad_weight, z.k));
    }
  }
}

}  // namespace dae::kernels::cuda::detail::cublas_conv

#else  // the CUDA emulator has no cuBLAS

namespace dae::kernels::cuda::detail::cublas_conv {

void forward(const Exec&, const Conv2dShape&, const float*, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCublas);
}
void backward_data(const Exec&, const Conv2dShape&, const float*, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCublas);
}
void backward_weight(const Exec&, const Conv2dShape&, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCublas);
}

}  // namespace dae::kernels::cuda::detail::cublas_conv

#endif
