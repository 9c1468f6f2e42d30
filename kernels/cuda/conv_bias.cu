// Bias gradient and bias addition for the convolutions on CUDA.
#include <cstdint>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_passes.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

namespace {

// A partial sum covers this many consecutive pixels of one (image, channel)
// plane: 16 per thread. The partition depends only on (batch, pixels).
constexpr int kBiasPiece = 16 * kBlockThreads;

// Pass 1: partial[c][j] = sum of piece j of channel c, where piece j is
// pixels [piece * kBiasPiece, ...) of image j / pieces_per_plane. With one
// piece per channel it writes grad_bias[c] directly.
__global__ void bias_partials_kernel(const float* grad_y, int batch, int channels, int pixels, int pieces_per_plane,
                                     double* partial, float* grad_bias) {
  const int pieces = batch * pieces_per_plane;
  for (int c = int(blockIdx.y); c < channels; c += int(gridDim.y)) {
    for (int j = int(blockIdx.x); j < pieces; j += int(gridDim.x)) {
      const int b = j / pieces_per_plane, piece = j % pieces_per_plane;
      const float* plane = grad_y + (std::int64_t(b) * channels + c) * pixels;
      const int begin = piece * kBiasPiece;
      const int end = min(pixels, begin + kBiasPiece);
      double acc = 0.0;
      for (int i = begin + int(threadIdx.x); i < end; i += kBlockThreads) acc += double(plane[i]);
      const double total = block_sum(acc);
      if (threadIdx.x == 0) {
        if (pieces == 1) {
          grad_bias[c] = float(total);
        } else {
          partial[std::int64_t(c) * pieces + j] = total;
        }
      }
    }
  }
}

// Pass 2: grad_bias[c] = the sum of channel c's pieces (fixed pairing, block_sum).
__global__ void bias_finish_kernel(const double* partial, int channels, int pieces, float* grad_bias) {
  for (int c = int(blockIdx.x); c < channels; c += int(gridDim.x)) {
    double acc = 0.0;
    for (int j = int(threadIdx.x); j < pieces; j += kBlockThreads) acc += partial[std::int64_t(c) * pieces + j];
    const double total = block_sum(acc);
    if (threadIdx.x == 0) grad_bias[c] = float(total);
  }
}

__global__ void add_channel_bias_kernel(std::int64_t n, int channels, int pixels, const float* bias, float* y) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    y[i] += bias[(i / pixels) % channels];
  }
}

}  // namespace

void bias_backward(const Exec& ex, int batch, int channels, int pixels, const float* grad_y, float* grad_bias) {
  if (channels <= 0) return;
  if (batch <= 0 || pixels <= 0) {
    DAE_CUDA_CHECK(cudaMemsetAsync(grad_bias, 0, std::size_t(channels) * sizeof(float),
                                   static_cast<cudaStream_t>(ex.stream)));
    return;
  }
  const int pieces_per_plane = (pixels + kBiasPiece - 1) / kBiasPiece;
  const int pieces = batch * pieces_per_plane;
  const dim3 grid(loop_grid(ex, pieces, 1), unsigned(std::min<std::int64_t>(loop_grid(ex, channels, 1), 65535)));
  if (pieces == 1) {
    DAE_LAUNCH(bias_partials_kernel, grid, kBlockThreads, 0, ex.stream, grad_y, batch, channels, pixels,
               pieces_per_plane, static_cast<double*>(nullptr), grad_bias);
    return;
  }
  ScratchBuffer partial(ex, std::size_t(channels) * std::size_t(pieces) * sizeof(double));
  DAE_LAUNCH(bias_partials_kernel, grid, kBlockThreads, 0, ex.stream, grad_y, batch, channels, pixels,
             pieces_per_plane, partial.as<double>(), grad_bias);
  DAE_LAUNCH(bias_finish_kernel, loop_grid(ex, channels, 1), kBlockThreads, 0, ex.stream, partial.as<double>(),
             channels, pieces, grad_bias);
}

namespace detail {

void add_channel_bias(const Exec& ex, int batch, int channels, int pixels, const float* bias, float* y) {
  const std::int64_t n = std::int64_t(batch) * channels * pixels;
  if (n <= 0 || bias == nullptr) return;
  DAE_LAUNCH(add_channel_bias_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, n, channels,
             pixels, bias, y);
}

}  // namespace detail

}  // namespace dae::kernels::cuda
