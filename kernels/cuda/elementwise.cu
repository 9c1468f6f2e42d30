#include "kernels/cuda/elementwise.h"

#include "kernels/cuda/check.h"
#include "kernels/cuda/launch_config.h"

namespace dae::kernels::cuda {

namespace {

// Grid-stride loop: correct for any grid size, coalesced (consecutive threads
// touch consecutive elements).
#define DAE_GRID_STRIDE_LOOP(i, n)                                                                    \
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);                \
       i += std::int64_t(gridDim.x) * blockDim.x)

__global__ void fill_kernel(std::int64_t n, float value, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = value;
}
__global__ void fill_from_kernel(std::int64_t n, const float* value, float* out) {
  const float v = *value;
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = v;
}
__global__ void add_kernel(std::int64_t n, const float* a, const float* b, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] + b[i];
}
__global__ void sub_kernel(std::int64_t n, const float* a, const float* b, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] - b[i];
}
__global__ void mul_kernel(std::int64_t n, const float* a, const float* b, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] * b[i];
}
__global__ void add_scalar_kernel(std::int64_t n, const float* a, float s, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] + s;
}
__global__ void mul_scalar_kernel(std::int64_t n, const float* a, float s, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] * s;
}
__global__ void mul_by_scalar_kernel(std::int64_t n, const float* a, const float* scalar, float factor, float* out) {
  const float s = *scalar * factor;
  DAE_GRID_STRIDE_LOOP(i, n) out[i] = a[i] * s;
}
__global__ void accumulate_kernel(std::int64_t n, const float* a, float* out) {
  DAE_GRID_STRIDE_LOOP(i, n) out[i] += a[i];
}

}  // namespace

void fill(const Exec& ex, std::int64_t n, float value, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(fill_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, value, out);
}
void fill_from(const Exec& ex, std::int64_t n, const float* value, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(fill_from_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, value, out);
}
void add(const Exec& ex, std::int64_t n, const float* a, const float* b, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(add_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, b, out);
}
void sub(const Exec& ex, std::int64_t n, const float* a, const float* b, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(sub_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, b, out);
}
void mul(const Exec& ex, std::int64_t n, const float* a, const float* b, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(mul_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, b, out);
}
void add_scalar(const Exec& ex, std::int64_t n, const float* a, float s, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(add_scalar_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, s, out);
}
void mul_scalar(const Exec& ex, std::int64_t n, const float* a, float s, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(mul_scalar_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, s, out);
}
void mul_by_scalar(const Exec& ex, std::int64_t n, const float* a, const float* scalar, float factor, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(mul_by_scalar_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, scalar, factor, out);
}
void accumulate(const Exec& ex, std::int64_t n, const float* a, float* out) {
  if (n <= 0) return;
  DAE_LAUNCH(accumulate_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, n, a, out);
}
void copy(const Exec& ex, std::int64_t n, const float* a, float* out) {
  if (n <= 0 || a == out) return;
  DAE_CUDA_CHECK(cudaMemcpyAsync(out, a, std::size_t(n) * sizeof(float), cudaMemcpyDeviceToDevice,
                                 static_cast<cudaStream_t>(ex.stream)));
}

}  // namespace dae::kernels::cuda
