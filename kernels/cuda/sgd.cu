// Compiled with --fmad=false (nvcc) / -ffp-contract=off (emulator): see
// DAE_CUDA_EXACT_SOURCES in kernels/CMakeLists.txt.
#include "kernels/cuda/sgd.h"

#include "kernels/common/sgd_body.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

namespace {

__global__ void sgd_update_kernel(std::int64_t n, SgdParams p, float* param, const float* grad, float* buffer) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    sgd_element<float>(p, param[i], grad[i], buffer != nullptr ? buffer + i : nullptr);
  }
}

}  // namespace

void sgd_update(const Exec& ex, std::int64_t n, const SgdParams& p, float* param, const float* grad,
                float* momentum_buffer) {
  if (n <= 0) return;
  float* buffer = p.momentum != 0.0f ? momentum_buffer : nullptr;
  DAE_LAUNCH(sgd_update_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, n, p, param, grad,
             buffer);
}

}  // namespace dae::kernels::cuda
