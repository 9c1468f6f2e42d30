#include "kernels/cuda/losses.h"

#include "kernels/cuda/chunked_sum.cuh"

namespace dae::kernels::cuda {

namespace {

// One element of the emphasized squared error: writes the gradient and
// returns the weighted square for the sum. The expressions are the CPU's
// (kernels/cpu/losses.cpp), so the gradient has the CPU's bits, and with
// mask == nullptr (w = 1) the sum is exactly mse_forward's.
struct WeightedSquareTerm {
  const float* a;
  const float* b;
  const float* mask;  // may be null: every weight 1
  float alpha, beta;
  float scale;        // 2 / n
  float* grad_a;      // may be null
  __device__ double operator()(std::int64_t i) const {
    const float w = mask == nullptr ? 1.0f : (mask[i] != 0.0f ? alpha : beta);
    if (grad_a != nullptr) grad_a[i] = (a[i] - b[i]) * (scale * w);
    const double d = double(a[i]) - double(b[i]);
    return d * d * double(w);
  }
};

}  // namespace

void weighted_mse(const Exec& ex, std::int64_t n, const float* a, const float* b, const float* mask, float alpha,
                  float beta, float* value, float* grad_a) {
  if (n <= 0) return;  // the loss refuses empty tensors
  const float scale = 2.0f / float(n);
  // Value and gradient in one pass over the data; then the fixed-order sum of the chunks.
  chunked_sum(ex, n, WeightedSquareTerm{a, b, mask, alpha, beta, scale, grad_a}, double(n), value);
}

}  // namespace dae::kernels::cuda
